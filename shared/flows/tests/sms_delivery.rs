//! The SMS provider's delivery events settle the text's row: delivered, or failed with the
//! number marked unusable when it is the number's fault, and a critical alert whose text
//! failed goes out once on the next channel.

use forewarn_core::customer::Channel;
use forewarn_core::outcomes::{Outcome, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::{Memory, run_ready as run};
use forewarn_flows::reroute::SMS_REROUTED;
use forewarn_flows::sms_feedback::SmsFeedback;
use serde_json::json;

mod common;
use common::*;

/// A customer who asked for security alerts by SMS only, with an email on file.
fn sms_only() -> (std::rc::Rc<Memory>, forewarn_flows::memory::MemoryService) {
    memory(json!({"devices": [], "channel_preferences": {"security": ["sms"], "travel": ["sms"]}}))
}

fn event(m: &Memory, event_type: &str, at: &str) -> SmsFeedback {
    let row = m
        .rows
        .borrow()
        .iter()
        .find(|r| r.record.channel == Channel::Sms && !r.reminder)
        .cloned()
        .expect("an SMS row");
    SmsFeedback {
        event_type: event_type.into(),
        is_final: true,
        message_id: row.provider_message_id.expect("the SMS was sent"),
        customer_id: Some(row.customer_id),
        at: ts(at),
    }
}

fn sms_row(m: &Memory) -> forewarn_flows::records::StoredDelivery {
    m.rows
        .borrow()
        .iter()
        .find(|r| r.record.channel == Channel::Sms && !r.reminder)
        .cloned()
        .unwrap()
}

fn channels_sent(m: &Memory) -> Vec<String> {
    m.sent.borrow().iter().map(|s| s.to.masked()).collect()
}

const AT: &str = "2026-11-23T12:00:00Z";
const LATER: &str = "2026-11-23T12:02:00Z";

#[test]
fn a_delivered_event_settles_the_row_as_delivered() {
    let (m, s) = sms_only();
    run(s.notify(&flight("f1", AT), ts(AT))).unwrap();
    let r = run(s.sms_feedback(&event(&m, "TEXT_DELIVERED", LATER), ts(LATER))).unwrap();
    assert_eq!(r.outcome, Outcome::Delivered, "{r:?}");
    let row = sms_row(&m);
    assert_eq!(row.delivered_at, Some(ts(LATER)));
    assert_eq!(row.record.status, DeliveryStatus::Sent);
    let delivered: Vec<_> = m
        .outcomes
        .borrow()
        .iter()
        .filter(|o| o.detail_type == OutcomeType::NotificationDelivered)
        .map(|o| o.channel)
        .collect();
    assert_eq!(delivered, [Some(Channel::Sms)]);
}

#[test]
fn a_blocked_text_marks_the_number_unusable_and_the_critical_alert_fails_over_once() {
    let (m, s) = sms_only();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    assert_eq!(m.sent.borrow().len(), 1, "only the SMS went out at first");
    let r = run(s.sms_feedback(&event(&m, "TEXT_BLOCKED", LATER), ts(LATER))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Failed, 1), "{r:?}");
    assert!(r.reasons.iter().any(|w| w.starts_with(SMS_REROUTED)), "{r:?}");
    let row = sms_row(&m);
    assert_eq!(row.record.status, DeliveryStatus::Failed);
    assert!(row.failure.as_deref().unwrap().contains("TEXT_BLOCKED"), "{row:?}");
    let unusable = m.unusable.borrow();
    assert_eq!(unusable.len(), 1);
    assert_eq!(unusable[0].1.channel, Channel::Sms);
    let sent = channels_sent(&m);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].contains("@example.com"),
        "the alert went out by email: {sent:?}"
    );
}

#[test]
fn a_duplicate_failure_event_fails_over_no_second_time() {
    let (m, s) = sms_only();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let blocked = event(&m, "TEXT_BLOCKED", LATER);
    run(s.sms_feedback(&blocked, ts(LATER))).unwrap();
    let again = run(s.sms_feedback(&blocked, ts("2026-11-23T12:03:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "SMS, then one email: {:?}", channels_sent(&m));
    assert!(
        again.reasons.iter().any(|w| w == SMS_REROUTED),
        "a retry puts the re-routed row's events again, sending nothing: {again:?}"
    );
    let other = run(s.sms_feedback(&event(&m, "TEXT_UNREACHABLE", LATER), ts(LATER))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "{other:?}");
    assert!(
        other.duplicate,
        "a later failure of a failed row changes nothing: {other:?}"
    );
}

#[test]
fn an_event_for_a_cancelled_row_sends_nothing_and_says_so() {
    let (m, s) = sms_only();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let blocked = event(&m, "TEXT_BLOCKED", LATER);
    for r in m.rows.borrow_mut().iter_mut() {
        r.record.status = DeliveryStatus::Cancelled;
    }
    let r = run(s.sms_feedback(&blocked, ts(LATER))).unwrap();
    assert_eq!(m.sent.borrow().len(), 1, "{r:?}");
    assert!(m.unusable.borrow().is_empty(), "{r:?}");
    assert!(r.reasons[0].contains("cancelled already"), "{r:?}");
}

#[test]
fn an_event_for_an_unknown_text_or_a_pending_one_changes_nothing() {
    let (m, s) = sms_only();
    run(s.notify(&fraud("st", AT), ts(AT))).unwrap();
    let mut unknown = event(&m, "TEXT_BLOCKED", LATER);
    unknown.message_id = "not-a-message-we-sent".into();
    let r = run(s.sms_feedback(&unknown, ts(LATER))).unwrap();
    assert_eq!(r.outcome, Outcome::Unmatched, "{r:?}");
    let r = run(s.sms_feedback(&event(&m, "TEXT_PENDING", LATER), ts(LATER))).unwrap();
    assert_eq!(r.outcome, Outcome::Suppressed, "{r:?}");
    assert_eq!(sms_row(&m).record.status, DeliveryStatus::Sent);
    assert_eq!(m.sent.borrow().len(), 1);
}

#[test]
fn a_refused_message_fails_the_row_but_leaves_the_number_usable() {
    let (m, s) = sms_only();
    run(s.notify(&flight("f1", AT), ts(AT))).unwrap();
    let r = run(s.sms_feedback(&event(&m, "TEXT_SPAM", LATER), ts(LATER))).unwrap();
    assert_eq!(
        (r.outcome, r.sent),
        (Outcome::Failed, 0),
        "a normal alert is not re-routed: {r:?}"
    );
    assert_eq!(sms_row(&m).record.status, DeliveryStatus::Failed);
    assert!(m.unusable.borrow().is_empty());
}
