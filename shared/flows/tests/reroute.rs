//! A critical email that bounces hard after SES accepted it is re-routed to the next
//! reachable channel, once, and only while the alert still matters.

use forewarn_core::customer::Channel;
use forewarn_core::engine::Destination;
use forewarn_core::outcomes::OutcomeType;
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::feedback::{EmailFeedback, FeedbackKind};
use forewarn_flows::memory::{Memory, run_ready as run};
use forewarn_flows::reroute::REROUTED;
use jiff::Timestamp;
use serde_json::json;

mod common;
use common::*;

/// A customer who asked for security alerts by email only, with a phone on file.
fn email_only() -> (std::rc::Rc<Memory>, forewarn_flows::memory::MemoryService) {
    memory(json!({"devices": [], "channel_preferences": {"security": ["email"], "travel": ["email"]}}))
}

fn hard_bounce(m: &Memory, at: &str) -> EmailFeedback {
    let row = m
        .rows
        .borrow()
        .iter()
        .find(|r| r.record.channel == Channel::Email)
        .cloned()
        .unwrap();
    EmailFeedback {
        kind: FeedbackKind::Bounced {
            permanent: true,
            sub_type: "OnAccountSuppressionList".into(),
        },
        message_id: row.provider_message_id.unwrap(),
        customer_id: Some(row.customer_id),
        recipients: vec![],
        at: ts(at),
    }
}

/// The alert's rows (not the escalation reminder notify scheduled), as (channel, status).
fn alerts(m: &Memory) -> Vec<(Channel, DeliveryStatus)> {
    m.rows
        .borrow()
        .iter()
        .filter(|r| !r.reminder)
        .map(|r| (r.record.channel, r.record.status))
        .collect()
}

fn sent_to(m: &Memory) -> Vec<String> {
    m.sent.borrow().iter().map(|s| s.to.masked()).collect()
}

fn outcomes(m: &Memory, kind: OutcomeType) -> Vec<Option<Channel>> {
    m.outcomes
        .borrow()
        .iter()
        .filter(|o| o.detail_type == kind)
        .map(|o| o.channel)
        .collect()
}

#[test]
fn a_fraud_alert_whose_email_bounces_hard_later_goes_out_by_sms_and_asks_its_question() {
    let (m, s) = email_only();
    let at = "2026-11-23T12:00:00Z";
    run(s.notify(&fraud("st", at), ts(at))).unwrap();
    assert_eq!(sent_to(&m), ["a***@example.com"], "only the email went out at first");
    let r = run(s.feedback(&hard_bounce(&m, "2026-11-23T12:03:00Z"), ts("2026-11-23T12:03:00Z"))).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert!(r.reasons.iter().any(|w| w.starts_with(REROUTED)), "{r:?}");
    let sms = m.sent.borrow()[1].clone();
    assert!(matches!(sms.to, Destination::Phone(_)), "{:?}", sms.to);
    assert!(sms.message.expects_reply, "the SMS asks YES/NO like any fraud SMS");
    assert_eq!(
        alerts(&m),
        [
            (Channel::Email, DeliveryStatus::Failed),
            (Channel::Sms, DeliveryStatus::Sent)
        ]
    );
    let q = m.questions.borrow();
    assert_eq!(q.len(), 1, "the customer's YES finds its question");
    assert_eq!(
        q[0].provider_message_id.as_deref(),
        Some(sms.provider_message_id.as_str())
    );
    assert_eq!(outcomes(&m, OutcomeType::NotificationBounced), [Some(Channel::Email)]);
    assert_eq!(
        outcomes(&m, OutcomeType::NotificationSent),
        [Some(Channel::Email), Some(Channel::Sms)]
    );
}

#[test]
fn the_same_bounce_reported_again_sends_nothing_more_and_puts_its_events_again() {
    let (m, s) = email_only();
    let at = "2026-11-23T12:00:00Z";
    run(s.notify(&fraud("st", at), ts(at))).unwrap();
    let bounce = hard_bounce(&m, "2026-11-23T12:03:00Z");
    run(s.feedback(&bounce, ts("2026-11-23T12:03:00Z"))).unwrap();
    let again = run(s.feedback(&bounce, ts("2026-11-23T12:04:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "email, then one SMS: {:?}", sent_to(&m));
    assert_eq!(alerts(&m).len(), 2, "{:?}", alerts(&m));
    assert!(again.reasons.iter().any(|w| w == REROUTED), "{again:?}");
    assert_eq!(
        outcomes(&m, OutcomeType::NotificationSent),
        [Some(Channel::Email), Some(Channel::Sms), Some(Channel::Sms)],
        "a retry that finds the SMS sent puts its event again (at least once)"
    );
}

#[test]
fn a_bounce_of_a_normal_alert_or_of_one_that_stopped_mattering_is_only_recorded() {
    let (m, s) = email_only();
    let at = "2026-11-23T12:00:00Z";
    run(s.notify(&flight("f1", at), ts(at))).unwrap();
    let r = run(s.feedback(&hard_bounce(&m, "2026-11-23T12:03:00Z"), ts("2026-11-23T12:03:00Z"))).unwrap();
    assert_eq!((r.sent, m.sent.borrow().len()), (0, 1), "{r:?}");

    let (m, s) = email_only();
    run(s.notify(&fraud("st", at), ts(at))).unwrap();
    let ttl: Timestamp = m.rows.borrow()[0]
        .message
        .ttl
        .expect("a fraud alert has a time to live");
    let late = ttl + jiff::SignedDuration::from_mins(1);
    let r = run(s.feedback(&hard_bounce(&m, "2026-11-23T12:03:00Z"), late)).unwrap();
    assert_eq!(m.sent.borrow().len(), 1, "{r:?}");
    assert!(r.reasons.iter().any(|w| w.contains("stopped mattering")), "{r:?}");
}

#[test]
fn a_bounce_when_another_channel_carried_the_alert_is_not_re_routed() {
    let (m, s) = memory(json!({"devices": [], "channel_preferences": {"security": ["sms", "email"]}}));
    let at = "2026-11-23T12:00:00Z";
    run(s.notify(&fraud("st", at), ts(at))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "critical goes on every reachable channel");
    let r = run(s.feedback(&hard_bounce(&m, "2026-11-23T12:03:00Z"), ts("2026-11-23T12:03:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), 2, "{r:?}");
    assert!(r.reasons.iter().any(|w| w.contains("went out by sms too")), "{r:?}");
}
