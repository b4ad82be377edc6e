//! A stored profile the flows cannot read: every flow stops with the same permanent fault,
//! naming the customer and what is wrong (never a contact or a name), and acts on nothing,
//! but a reply, whose answer or opt-out is honoured all the same; a profile that is gone is
//! told apart from one that is unreadable.

use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::FlowError;
use forewarn_flows::memory::{Memory, run_ready as run};
use serde_json::json;

mod common;
use common::*;

/// Makes the stored profile of c-1 one the policy cannot trust: its time zone is no IANA zone.
fn corrupt(m: &Memory) {
    m.profiles.borrow_mut()[0].time_zone = Some("Mars/Olympus".into());
}

/// The fault a flow stopped with: `Corrupt`, permanent, naming c-1 and the field, and none of
/// the customer's data.
fn assert_unreadable(err: FlowError) {
    assert!(matches!(err, FlowError::Corrupt { .. }), "{err:?}");
    assert!(!err.retryable(), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("unreadable profile of customer c-1: time_zone:"),
        "{text}"
    );
    for private in ["912345678", "ana@example.com", "Ana Silva"] {
        assert!(!text.contains(private), "{text}");
    }
}

fn named() -> serde_json::Value {
    json!({"name": "Ana Silva"})
}

#[test]
fn notify_refuses_to_decide_on_an_unreadable_profile_and_writes_nothing() {
    let (m, s) = memory(named());
    corrupt(&m);
    let err = run(s.notify(&flight("fd", "2026-11-23T10:00:00Z"), ts("2026-11-23T10:00:00Z"))).unwrap_err();
    assert_unreadable(err);
    assert!(m.rows.borrow().is_empty() && m.claims.borrow().is_empty());
    assert!(m.sent.borrow().is_empty() && m.outcomes.borrow().is_empty());
}

#[test]
fn dispatch_leaves_a_held_row_scheduled_when_the_profile_became_unreadable() {
    let (m, s) = memory(json!({"name": "Ana Silva", "devices": []}));
    let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    assert_eq!(r.scheduled, 1, "{r:?}");
    corrupt(&m);
    let request = m.rows.borrow()[0].key();
    let err = run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap_err();
    assert_unreadable(err);
    let row = m.rows.borrow()[0].clone();
    assert_eq!(
        row.record.status,
        DeliveryStatus::Scheduled,
        "not withdrawn for a false reason"
    );
    assert_eq!(row.failure, None);
    assert!(m.sent.borrow().is_empty());
}

#[test]
fn dispatch_cancels_a_held_row_whose_customer_is_gone_saying_so() {
    let (m, s) = memory(json!({"devices": []}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    m.profiles.borrow_mut().clear();
    let request = m.rows.borrow()[0].key();
    let r = run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.sent), ("cancelled", 0), "{r:?}");
    let row = m.rows.borrow()[0].clone();
    assert_eq!(row.record.status, DeliveryStatus::Cancelled);
    assert_eq!(row.failure.as_deref(), Some("not sent: the customer's profile is gone"));
}

#[test]
fn activity_learns_nothing_from_a_session_of_a_customer_whose_profile_is_unreadable() {
    let (m, s) = memory(named());
    corrupt(&m);
    let session = event(
        "act-1",
        "CustomerActivity",
        json!({"customer_id": "c-1", "device_id": "p", "device_kind": "phone", "at": "2026-11-23T20:10:00Z"}),
        "2026-11-23T20:10:00Z",
    );
    let err = run(s.activity(&session, ts("2026-11-23T20:10:00Z"))).unwrap_err();
    assert_unreadable(err);
    assert!(
        m.activity.borrow().is_empty(),
        "not reported as an unknown customer either"
    );
}

#[test]
fn a_reply_from_a_customer_whose_profile_became_unreadable_is_honoured_all_the_same_and_says_so() {
    let (m, s) = memory(named());
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let sent_before = m.sent.borrow().len();
    corrupt(&m);
    let r = run(s.reply(&sms("NO", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
    assert_eq!(r.outcome.as_str(), "disputed", "{r:?}");
    let emitted = m.emitted.borrow();
    assert_eq!(emitted.len(), 1, "the dispute is on the bus: {emitted:?}");
    assert_eq!(emitted[0].0.detail_type().as_str(), "TransactionDisputed");
    assert!(
        r.reasons.iter().any(|why| why.contains("stored profile is unreadable")),
        "{:?}",
        r.reasons
    );
    assert_eq!(m.sent.borrow().len(), sent_before + 1, "the acknowledgement goes back");
    assert!(
        !m.questions.borrow()[0].open(ts("2026-11-23T03:05:00Z")),
        "the question is answered"
    );
}
