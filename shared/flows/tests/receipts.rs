//! A critical text the SMS provider has not reported delivered within its kind's
//! `receipt_within_minutes` falls over once to the next channel; a receipt in time, an
//! answer, or a provider that reports nothing (SNS) leaves it alone.

use forewarn_core::customer::Channel;
use forewarn_core::outcomes::{DispatchRequest, Outcome};
use forewarn_core::policy::{DeliveryStatus, Subject};
use forewarn_core::types::Id;
use forewarn_flows::memory::{Memory, MemoryService, run_ready as run};
use forewarn_flows::records::{Resolution, StoredDelivery};
use forewarn_flows::reroute::UNCONFIRMED_REROUTED;
use forewarn_flows::sms_feedback::SmsFeedback;
use jiff::Timestamp;
use serde_json::json;

mod common;
use common::*;

const AT: &str = "2026-11-23T12:00:00Z";
/// `SuspiciousTransaction`'s `receipt_within_minutes` (10) after `AT`.
const WINDOW_END: &str = "2026-11-23T12:10:00Z";

/// A customer who asked for security alerts by SMS only (an email on file), whose SMS
/// provider reports texts delivered (End User Messaging SMS).
fn reported() -> (std::rc::Rc<Memory>, MemoryService) {
    let (m, s) = memory(json!({"devices": [], "channel_preferences": {"security": ["sms"], "travel": ["sms"]}}));
    *m.sms_receipts.borrow_mut() = true;
    (m, s)
}

fn sms_row(m: &Memory) -> StoredDelivery {
    let rows = m.rows.borrow();
    rows.iter()
        .find(|r| r.record.channel == Channel::Sms && !r.reminder)
        .cloned()
        .expect("an SMS row")
}

fn checks(m: &Memory) -> Vec<(Timestamp, DispatchRequest)> {
    let schedules = m.schedules.borrow();
    schedules.iter().filter(|(_, r)| r.receipt_check).cloned().collect()
}

fn delivered(m: &Memory, at: &str) -> SmsFeedback {
    let row = sms_row(m);
    SmsFeedback {
        event_type: "TEXT_DELIVERED".into(),
        is_final: true,
        message_id: row.provider_message_id.expect("the SMS was sent"),
        customer_id: Some(row.customer_id),
        at: ts(at),
    }
}

#[test]
fn a_critical_text_schedules_its_receipt_check_at_the_end_of_the_kinds_window() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let checks = checks(&m);
    assert_eq!(checks.len(), 1, "{:?}", m.schedules.borrow());
    assert_eq!(checks[0].0, ts(WINDOW_END));
    let mut names = checks[0].1.clone();
    names.receipt_check = false;
    assert_eq!(names, sms_row(&m).key(), "the check names the text's row");
}

#[test]
fn a_critical_text_not_reported_delivered_in_time_falls_over_once() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let (_, check) = checks(&m).remove(0);
    let r = run(s.dispatch(&check, ts(WINDOW_END))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Sent, 1), "{r:?}");
    assert!(r.reasons[0].contains("not reported delivered within 10 min"), "{r:?}");
    assert!(r.reasons.iter().any(|w| w.starts_with(UNCONFIRMED_REROUTED)), "{r:?}");
    let sent = m.sent.borrow().iter().map(|s| s.to.masked()).collect::<Vec<_>>();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].contains("@example.com"),
        "the alert went out by email: {sent:?}"
    );
    assert_eq!(
        sms_row(&m).record.status,
        DeliveryStatus::Sent,
        "the text stays sent: a late receipt still settles it"
    );
    let again = run(s.dispatch(&check, ts("2026-11-23T12:11:00Z"))).unwrap();
    assert_eq!(
        m.sent.borrow().len(),
        2,
        "a retried check sends nothing again: {again:?}"
    );
    assert!(again.reasons.iter().any(|w| w == UNCONFIRMED_REROUTED), "{again:?}");
    assert!(checks(&m).len() == 1, "the e-mail awaits no receipt check of its own");
}

#[test]
fn a_late_receipt_after_the_failover_still_settles_the_text_as_delivered() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let (_, check) = checks(&m).remove(0);
    run(s.dispatch(&check, ts(WINDOW_END))).unwrap();
    let late = "2026-11-23T12:14:00Z";
    let r = run(s.sms_feedback(&delivered(&m, late), ts(late))).unwrap();
    assert_eq!(r.outcome, Outcome::Delivered, "{r:?}");
    assert_eq!(sms_row(&m).delivered_at, Some(ts(late)));
}

#[test]
fn a_text_reported_delivered_in_time_needs_no_failover() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let at = "2026-11-23T12:01:00Z";
    run(s.sms_feedback(&delivered(&m, at), ts(at))).unwrap();
    let (_, check) = checks(&m).remove(0);
    let r = run(s.dispatch(&check, ts(WINDOW_END))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Delivered, 0), "{r:?}");
    assert_eq!(m.sent.borrow().len(), 1, "only the text went out");
}

#[test]
fn an_alert_resolved_before_its_check_is_not_sent_again() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    // The customer answered (by push, in the app): the bank's TransactionConfirmed resolved it.
    m.resolutions.borrow_mut().push((
        Id::parse("c-1").unwrap(),
        Resolution {
            subject: Subject::exact("transaction", ["tx-1".to_owned()]),
            event_id: Id::parse("tc-1").unwrap(),
            detail_type: "TransactionConfirmed".into(),
            at: ts("2026-11-23T12:04:00Z"),
        },
    ));
    let (_, check) = checks(&m).remove(0);
    let r = run(s.dispatch(&check, ts(WINDOW_END))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Suppressed, 0), "{r:?}");
    assert!(
        r.reasons
            .iter()
            .any(|w| w.contains("TransactionConfirmed (tc-1) resolved the alert first")),
        "{r:?}"
    );
    assert_eq!(m.sent.borrow().len(), 1);
}

#[test]
fn a_check_of_a_text_that_failed_meanwhile_changes_nothing() {
    let (m, s) = reported();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let mut blocked = delivered(&m, "2026-11-23T12:02:00Z");
    blocked.event_type = "TEXT_BLOCKED".into();
    run(s.sms_feedback(&blocked, ts("2026-11-23T12:02:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "its failure event re-routed it");
    let (_, check) = checks(&m).remove(0);
    let r = run(s.dispatch(&check, ts(WINDOW_END))).unwrap();
    assert!(r.duplicate, "{r:?}");
    assert_eq!(m.sent.borrow().len(), 2, "{r:?}");
}

#[test]
fn no_check_is_scheduled_when_the_provider_reports_nothing_or_the_alert_is_not_critical() {
    let (m, s) = memory(json!({"devices": [], "channel_preferences": {"security": ["sms"], "travel": ["sms"]}}));
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    assert!(
        checks(&m).is_empty(),
        "SNS reports no receipts: {:?}",
        m.schedules.borrow()
    );
    let (m, s) = reported();
    run(s.notify(&flight("f1", AT), ts(AT))).unwrap();
    assert_eq!(m.sent.borrow().len(), 1, "the flight delay went out by SMS");
    assert!(checks(&m).is_empty(), "a flight delay is not critical");
}

#[test]
fn a_retried_dispatch_of_a_sent_critical_text_schedules_its_missing_check() {
    let (m, s) = memory(json!({"devices": [], "channel_preferences": {"security": ["sms"], "travel": ["sms"]}}));
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    assert!(checks(&m).is_empty());
    // As if the worker that sent it died before scheduling the check.
    *m.sms_receipts.borrow_mut() = true;
    let r = run(s.dispatch(&sms_row(&m).key(), ts("2026-11-23T12:00:30Z"))).unwrap();
    assert!(r.duplicate, "{r:?}");
    assert_eq!(checks(&m).len(), 1, "{:?}", m.schedules.borrow());
}
