//! What the flows' test files share: a customer in memory and the events they decide.

#![allow(dead_code)]

use std::rc::Rc;

use forewarn_core::engine::Engine;
use forewarn_core::events::Event;
use forewarn_flows::memory::{Memory, MemoryService};
use jiff::Timestamp;
use serde_json::json;

pub fn memory(patch: serde_json::Value) -> (Rc<Memory>, MemoryService) {
    let mut p = json!({"customer_id": "c-1", "locale": "en", "time_zone": "Europe/Lisbon",
        "contacts": {"phone": "+351912345678", "email": "ana@example.com"},
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "devices": [{"device_id": "p", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd"}]});
    for (k, v) in patch.as_object().unwrap() {
        p[k] = v.clone();
    }
    Memory::service(Engine::default(), vec![serde_json::from_value(p).unwrap()])
}

pub fn event(id: &str, detail_type: &str, detail: serde_json::Value, at: &str) -> Event {
    forewarn_core::events::parse_event(
        &json!({"version": "0", "id": id, "detail-type": detail_type, "source": "t", "account": "1", "time": at,
            "region": "r", "resources": [], "detail": detail})
        .to_string(),
    )
    .unwrap()
}

pub fn flight(id: &str, at: &str) -> Event {
    event(
        id,
        "FlightDelayed",
        json!({"customer_id": "c-1", "booking_ref": "B", "flight": {"number": "TP1", "origin": "LIS",
        "destination": "LHR", "scheduled_departure": "2026-11-23T18:00:00Z", "estimated_departure": "2026-11-23T19:00:00Z"}}),
        at,
    )
}

pub fn low_balance(id: &str, at: &str) -> Event {
    event(
        id,
        "LowBalance",
        json!({"customer_id": "c-1", "account_id": "a", "balance": {"amount": "5.00", "currency": "EUR"}}),
        at,
    )
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn fraud(id: &str, at: &str) -> Event {
    event(
        id,
        "SuspiciousTransaction",
        json!({"customer_id": "c-1", "transaction_id": "tx-1", "account_id": "a", "amount": {"amount": "99.00", "currency": "EUR"},
            "merchant": {"name": "Shop", "city": "Porto", "country": "PT"}, "occurred_at": at}),
        at,
    )
}

pub fn sms(body: &str, id: &str) -> forewarn_core::conversation::InboundSms {
    forewarn_core::conversation::parse_inbound_sms(
        &json!({"originationNumber": "+351912345678", "destinationNumber": "+18005550100",
            "messageBody": body, "inboundMessageId": id})
        .to_string(),
    )
    .unwrap()
}
