//! Preferences on the in-memory adapters: a held notice whose kind the customer turned off
//! before its release is cancelled, not sent; a critical one still goes; an app's `opted_out: []`
//! never lifts a carrier STOP.

use forewarn_core::customer::Channel;
use forewarn_core::events::Event;
use forewarn_core::outcomes::{Outcome, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::{Memory, MemoryService, run_ready as run};
use serde_json::{Value, json};

mod common;
use common::*;

/// A `CustomerChanged` for c-1 setting `set`, changed at `at`.
fn changed(id: &str, at: &str, set: Value) -> Event {
    event(
        id,
        "CustomerChanged",
        json!({"customer_id": "c-1", "changed_at": at, "set": set}),
        at,
    )
}

fn apply(s: &MemoryService, e: &Event) {
    let r = run(s.context(e, e.time.0)).unwrap_or_else(|err| panic!("{}: {err}", e.id));
    assert_eq!(r.outcome, Outcome::Recorded, "{r:?}");
}

/// The one row still scheduled.
fn held(m: &Memory) -> forewarn_flows::records::StoredDelivery {
    let rows = m.rows.borrow();
    let mut held = rows.iter().filter(|r| r.record.status == DeliveryStatus::Scheduled);
    let row = held.next().expect("a held row").clone();
    assert!(held.next().is_none(), "one held row: {rows:?}");
    row
}

#[test]
fn a_held_notice_whose_kind_the_customer_turned_off_before_its_release_is_cancelled_saying_so() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    assert_eq!(r.scheduled, 1, "held for the morning: {r:?}");
    apply(
        &s,
        &changed("ch-1", "2026-11-23T01:00:00Z", json!({"muted_kinds": ["LowBalance"]})),
    );
    let row = held(&m);
    let r = run(s.dispatch(&row.key(), ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent, r.cancelled), (Outcome::Cancelled, 0, 1), "{r:?}");
    let reason = "not sent: the customer turned off LowBalance reminders since";
    assert_eq!(r.reasons, [reason]);
    let row = m.rows.borrow()[0].clone();
    assert_eq!(row.record.status, DeliveryStatus::Cancelled);
    assert_eq!(row.failure.as_deref(), Some(reason));
    assert!(m.sent.borrow().is_empty());
    assert!(
        m.outcomes
            .borrow()
            .iter()
            .any(|o| o.detail_type == OutcomeType::NotificationCancelled),
        "the cancellation is reported"
    );
}

#[test]
fn a_held_notice_whose_category_the_customer_turned_off_is_cancelled_naming_the_category() {
    let (m, s) = memory(json!({}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    apply(
        &s,
        &changed("ch-1", "2026-11-23T01:00:00Z", json!({"muted_categories": ["account"]})),
    );
    let r = run(s.dispatch(&held(&m).key(), ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Cancelled, "{r:?}");
    assert_eq!(
        r.reasons,
        ["not sent: the customer turned off the account category since"]
    );
    assert!(m.sent.borrow().is_empty());
}

#[test]
fn a_held_fraud_reminder_still_goes_out_after_the_customer_turned_off_the_security_category() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert!(r.sent >= 1, "{r:?}");
    apply(
        &s,
        &changed(
            "ch-1",
            "2026-11-23T03:05:00Z",
            json!({"muted_categories": ["security"], "muted_kinds": ["SuspiciousTransaction"]}),
        ),
    );
    let reminder = held(&m);
    assert!(reminder.reminder, "{reminder:?}");
    let before = m.sent.borrow().len();
    let r = run(s.dispatch(&reminder.key(), ts("2026-11-23T03:15:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Sent, 1), "{r:?}");
    assert_eq!(m.sent.borrow().len(), before + 1);
}

#[test]
fn an_app_toggle_with_no_opt_outs_never_lifts_a_carrier_stop() {
    let (m, s) = memory(json!({}));
    let r = run(s.reply(&sms("STOP", "in-1"), ts("2026-11-23T10:00:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::OptedOut, "{r:?}");
    apply(
        &s,
        &changed(
            "ch-1",
            "2026-11-23T10:05:00Z",
            json!({"opted_out": [], "muted_kinds": ["ApplicationIncomplete"]}),
        ),
    );
    assert!(
        m.profiles.borrow()[0].opted_out.is_empty(),
        "the app's choice is stored as sent"
    );
    let r = run(s.notify(&fraud("st", "2026-11-23T10:10:00Z"), ts("2026-11-23T10:10:00Z"))).unwrap();
    assert!(!r.channels.contains(&Channel::Sms), "{r:?}");
    assert!(r.channels.contains(&Channel::Push), "{r:?}");
    assert!(
        r.reasons.iter().any(|x| x == "sms skipped: the customer opted out"),
        "{:?}",
        r.reasons
    );
    assert!(
        m.sent
            .borrow()
            .iter()
            .all(|x| !matches!(x.to, forewarn_core::engine::Destination::Phone(_))),
        "no SMS after the STOP"
    );
}
