//! The delivery guarantees on the in-memory adapters: each row is its own unit of work, a
//! step that is not the message never sends it again, and a row goes out once or is
//! accounted for. The fault-injecting end-to-end tests check the same on the real parts.

use forewarn_core::customer::Channel;
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::run_ready as run;
use serde_json::json;

mod common;
use common::*;

#[test]
fn a_push_that_fails_on_one_device_fails_over_to_the_other_device_and_both_rows_are_kept() {
    let (m, s) = memory(json!({"devices": [
        {"device_id": "p", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd",
            "last_seen": "2026-11-23T11:00:00Z"},
        {"device_id": "t", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/efgh",
            "last_seen": "2026-11-22T11:00:00Z"}]}));
    m.unreachable.borrow_mut().push("abcd".into());
    let r = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(m.sent.borrow()[0].to.masked(), "endpoint/…efgh");
    let rows: Vec<_> = m
        .rows
        .borrow()
        .iter()
        .map(|r| {
            (
                r.record.channel,
                r.device_id.as_ref().map(|d| d.to_string()),
                r.record.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Channel::Push, Some("p".into()), DeliveryStatus::Failed),
            (Channel::Push, Some("t".into()), DeliveryStatus::Sent)
        ]
    );
    assert_ne!(
        m.rows.borrow()[0].key(),
        m.rows.borrow()[1].key(),
        "each device's row has its own key"
    );
    assert!(m.claims.borrow()[0].1.completed);
}

/// A low-balance notice decided at 23:00 for a customer with no device: a row held for
/// the morning, by SMS or email.
fn held_overnight() -> (
    std::rc::Rc<forewarn_flows::memory::Memory>,
    forewarn_flows::memory::MemoryService,
) {
    let (m, s) = memory(json!({"devices": []}));
    let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    assert_eq!(r.scheduled, 1, "{r:?}");
    (m, s)
}

#[test]
fn dispatch_sends_to_the_address_the_profile_holds_now_not_the_one_it_held_when_decided() {
    let (m, s) = held_overnight();
    let channel = m.rows.borrow()[0].record.channel;
    {
        let mut profiles = m.profiles.borrow_mut();
        profiles[0].contacts.phone = Some("+351919999988".into());
        profiles[0].contacts.email = Some("ana.new@example.com".into());
    }
    let request = m.rows.borrow()[0].key();
    let r = run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let to = m.sent.borrow()[0].to.masked();
    match channel {
        Channel::Sms => assert_eq!(to, "+35191*****88"),
        _ => assert!(
            to.starts_with("a*") && to.ends_with("@example.com") && to != "a**@example.com",
            "{to}"
        ),
    }
    let row = m.rows.borrow()[0].clone();
    assert!(row.reasons.iter().any(|r| r.contains("current")), "{:?}", row.reasons);
}

#[test]
fn dispatch_withdraws_a_row_whose_address_became_unusable_since_it_was_decided() {
    let (m, s) = held_overnight();
    let row = m.rows.borrow()[0].clone();
    let address = match &row.address {
        forewarn_flows::records::Address::Phone(a) | forewarn_flows::records::Address::Email(a) => a.clone(),
        other => panic!("{other:?}"),
    };
    m.unusable.borrow_mut().push((
        row.customer_id.clone(),
        forewarn_core::customer::UnusableContact {
            channel: row.record.channel,
            address,
            reason: "hard bounce".into(),
        },
    ));
    let r = run(s.dispatch(&row.key(), ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.sent), ("cancelled", 0), "{r:?}");
    assert!(m.sent.borrow().is_empty());
    let row = m.rows.borrow()[0].clone();
    assert_eq!(row.record.status, DeliveryStatus::Cancelled);
    assert!(
        row.failure.as_deref().unwrap().contains("no usable"),
        "{:?}",
        row.failure
    );
}
