//! The context flow on the in-memory adapters: context events in any order and any number of
//! times give the same customer; devices by token; erasure leaves nothing but its marker.

use std::rc::Rc;

use forewarn_core::engine::{Destination, Engine};
use forewarn_core::events::{Event, parse_event};
use forewarn_core::outcomes::Outcome;
use forewarn_flows::memory::{Memory, MemoryService, run_ready as run};
use jiff::Timestamp;
use serde_json::{Value, json};

const APNS_1: &str = "5f1c0ffee0000000000000000000000000000000000000000000000000000a01";
const APNS_2: &str = "5f1c0ffee0000000000000000000000000000000000000000000000000000a02";

fn event(id: &str, detail_type: &str, at: &str, mut detail: Value) -> Event {
    detail["changed_at"] = json!(at);
    let e = json!({"version": "0", "id": id, "detail-type": detail_type, "source": "com.example.bank.crm",
        "account": "123456789012", "time": at, "region": "eu-west-1", "resources": [], "detail": detail});
    parse_event(&e.to_string()).unwrap_or_else(|err| panic!("{id}: {err}"))
}

fn upsert(id: &str, at: &str, customer: &str, locale: &str) -> Event {
    event(
        id,
        "CustomerUpserted",
        at,
        json!({"customer_id": customer, "profile": {"locale": locale, "time_zone": "Europe/London",
            "contacts": {"email": "sam@example.com"}}}),
    )
}

fn register(id: &str, at: &str, customer: &str, device: &str, token: &str) -> Event {
    event(
        id,
        "DeviceRegistered",
        at,
        json!({"customer_id": customer, "device_id": device, "token": token, "platform": "apns",
            "kind": "phone", "app": "com.example.bank"}),
    )
}

fn service() -> (Rc<Memory>, MemoryService) {
    Memory::service(Engine::default(), vec![])
}

fn apply(s: &MemoryService, e: &Event) -> forewarn_flows::Report {
    run(s.context(e, e.time.0)).unwrap_or_else(|err| panic!("{}: {err}", e.id))
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// What the store holds of a customer, as notify would read it, each endpoint named by its
/// token (an endpoint's ARN depends on when it was made).
fn profile_json(m: &Memory, customer: &str) -> Value {
    let profiles = m.profiles.borrow();
    let mut p = profiles.iter().find(|p| p.customer_id.as_str() == customer).cloned();
    if let Some(p) = &mut p {
        p.devices.sort_by(|a, b| a.device_id.cmp(&b.device_id));
        for d in &mut p.devices {
            let ctx = m.context.borrow();
            let token = ctx.endpoints.iter().find(|e| Some(&e.arn) == d.push_endpoint.as_ref());
            d.push_endpoint = Some(token.map_or("(no endpoint)".into(), |e| e.token.expose().to_owned()));
        }
    }
    serde_json::to_value(p).unwrap()
}

fn low_balance(id: &str, at: &str, customer: &str) -> Event {
    let e = json!({"version": "0", "id": id, "detail-type": "LowBalance", "source": "com.example.bank.core",
        "account": "123456789012", "time": at, "region": "eu-west-1", "resources": [],
        "detail": {"customer_id": customer, "account_id": "GB-1", "balance": {"amount": "18.40", "currency": "GBP"}}});
    parse_event(&e.to_string()).unwrap()
}

fn story() -> Vec<Event> {
    vec![
        upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"),
        register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1),
        event(
            "ch-1",
            "CustomerChanged",
            "2026-11-20T10:00:00Z",
            json!({"customer_id": "c-1", "set": {"locale": "pt-PT"}, "cleared": ["email"]}),
        ),
        register("r-2", "2026-11-21T09:00:00Z", "c-1", "d-1", APNS_2),
        event(
            "rm-1",
            "DeviceRemoved",
            "2026-11-21T10:00:00Z",
            json!({"customer_id": "c-1", "device_id": "d-2"}),
        ),
        register("r-3", "2026-11-21T08:00:00Z", "c-1", "d-2", "fcmtoken-1"),
    ]
}

#[test]
fn context_events_in_any_order_and_any_number_of_times_give_the_same_customer() {
    let (m, s) = service();
    for e in story() {
        apply(&s, &e);
    }
    let want = profile_json(&m, "c-1");
    assert_eq!(want["locale"], "pt-PT");
    assert_eq!(want["contacts"], json!({}));
    assert_eq!(want["devices"].as_array().unwrap().len(), 1, "{want}");
    let orders: [&[usize]; 4] = [
        &[5, 4, 3, 2, 1, 0],
        &[3, 0, 5, 2, 1, 4],
        &[2, 2, 0, 3, 3, 1, 4, 5, 0],
        &[4, 1, 3, 0, 5, 2, 1],
    ];
    let all = story();
    for order in orders {
        let (m, s) = service();
        for &i in order {
            apply(&s, &all[i]);
        }
        let got = profile_json(&m, "c-1");
        assert_eq!(got, want, "order {order:?}");
    }
}

#[test]
fn the_same_change_delivered_again_is_a_recorded_duplicate_that_changes_nothing() {
    let (m, s) = service();
    let u = upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB");
    assert_eq!(apply(&s, &u).outcome, Outcome::Recorded);
    let before = profile_json(&m, "c-1");
    let again = apply(&s, &u);
    assert!(again.duplicate, "{again:?}");
    assert_eq!(again.outcome, Outcome::Suppressed);
    assert_eq!(profile_json(&m, "c-1"), before);
}

#[test]
fn an_older_change_arriving_late_is_ignored_with_its_reason() {
    let (m, s) = service();
    apply(&s, &upsert("u-2", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    let late = apply(&s, &upsert("u-1", "2026-11-19T09:00:00Z", "c-1", "fr-FR"));
    assert_eq!(late.outcome, Outcome::Suppressed);
    assert!(late.reasons[0].contains("changed more recently"), "{late:?}");
    assert_eq!(profile_json(&m, "c-1")["locale"], "en-GB");
}

#[test]
fn a_device_registered_by_token_receives_a_push() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    apply(&s, &register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1));
    let arn = m.context.borrow().endpoints[0].arn.clone();
    let r = run(s.notify(
        &low_balance("lb-1", "2026-11-21T12:00:00Z", "c-1"),
        ts("2026-11-21T12:00:00Z"),
    ))
    .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(m.sent.borrow()[0].to, Destination::Endpoint(arn));
}

#[test]
fn a_refreshed_token_replaces_the_old_endpoint() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    apply(&s, &register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1));
    let r = apply(&s, &register("r-2", "2026-11-21T09:05:00Z", "c-1", "d-1", APNS_2));
    assert!(r.reasons[0].contains("old endpoint deleted"), "{r:?}");
    let endpoints = m.context.borrow().endpoints.clone();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].token.expose(), APNS_2);
    let p = profile_json(&m, "c-1");
    assert_eq!(p["devices"][0]["push_endpoint"], APNS_2);
}

#[test]
fn a_token_that_moves_to_another_customer_leaves_the_first() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    apply(&s, &upsert("u-2", "2026-11-20T09:00:00Z", "c-2", "en-GB"));
    apply(&s, &register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1));
    let r = apply(&s, &register("r-2", "2026-11-22T09:05:00Z", "c-2", "d-9", APNS_1));
    assert!(r.reasons.iter().any(|x| x.contains("moved here")), "{r:?}");
    assert_eq!(profile_json(&m, "c-1")["devices"], Value::Null);
    assert_eq!(profile_json(&m, "c-2")["devices"][0]["device_id"], "d-9");
    assert_eq!(m.context.borrow().endpoints.len(), 1);
    let stale = apply(&s, &register("r-0", "2026-11-21T09:05:00Z", "c-1", "d-1", APNS_1));
    assert_eq!(
        stale.outcome,
        Outcome::Suppressed,
        "an older registration does not take it back"
    );
}

#[test]
fn two_registrations_of_the_same_token_never_give_two_devices() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    apply(&s, &register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1));
    apply(
        &s,
        &register("r-2", "2026-11-20T09:06:00Z", "c-1", "d-1-reinstalled", APNS_1),
    );
    let p = profile_json(&m, "c-1");
    assert_eq!(p["devices"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["devices"][0]["device_id"], "d-1-reinstalled");
}

#[test]
fn a_device_push_disabled_stays_disabled_until_a_new_registration() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    let r1 = register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1);
    apply(&s, &r1);
    m.disabled
        .borrow_mut()
        .push(("c-1".parse_id(), "d-1".parse_id(), "endpoint disabled".into()));
    apply(&s, &r1);
    assert_eq!(
        m.disabled.borrow().len(),
        1,
        "a redelivered registration is not a new one"
    );
    apply(&s, &register("r-2", "2026-11-21T09:05:00Z", "c-1", "d-1", APNS_1));
    assert!(m.disabled.borrow().is_empty());
}

#[test]
fn an_erased_customer_leaves_no_profile_device_pending_row_or_schedule() {
    let (m, s) = service();
    apply(&s, &upsert("u-1", "2026-11-20T09:00:00Z", "c-1", "en-GB"));
    apply(&s, &register("r-1", "2026-11-20T09:05:00Z", "c-1", "d-1", APNS_1));
    let night = low_balance("lb-1", "2026-11-23T23:30:00Z", "c-1");
    run(s.notify(&night, night.time.0)).unwrap();
    let e = event(
        "x-1",
        "CustomerErased",
        "2026-11-24T01:00:00Z",
        json!({"customer_id": "c-1", "reference": "DSR-1"}),
    );
    let r = apply(&s, &e);
    assert_eq!(r.outcome, Outcome::Recorded, "{r:?}");
    assert!(
        r.reasons.iter().any(|x| x.starts_with("kept: the erasure marker")),
        "{r:?}"
    );
    assert_eq!(profile_json(&m, "c-1"), Value::Null);
    assert!(m.rows.borrow().is_empty());
    assert!(m.schedules.borrow().is_empty());
    assert!(m.claims.borrow().is_empty());
    assert!(m.context.borrow().endpoints.is_empty());
    let erasure = m.context.borrow().erasures[0].1.clone();
    assert_eq!(erasure.reference.as_ref().map(|r| r.as_str()), Some("DSR-1"));
    let late = apply(&s, &upsert("u-0", "2026-11-23T09:00:00Z", "c-1", "en-GB"));
    assert_eq!(late.outcome, Outcome::Suppressed);
    assert_eq!(
        profile_json(&m, "c-1"),
        Value::Null,
        "an older upsert does not resurrect them"
    );
    assert!(apply(&s, &e).duplicate);
}

trait ParseId {
    fn parse_id(&self) -> forewarn_core::types::Id;
}

impl ParseId for str {
    fn parse_id(&self) -> forewarn_core::types::Id {
        forewarn_core::types::Id::parse(self).unwrap()
    }
}
