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
        Channel::Sms => assert_eq!(to, "+351*******88"),
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

/// The claim lease the flows run with, and a moment just past it.
fn after_the_lease(t: &str) -> jiff::Timestamp {
    ts(t) + jiff::SignedDuration::from_secs(forewarn_flows::service::CLAIM_LEASE_SECONDS + 1)
}

#[test]
fn a_fraud_question_is_open_before_the_alert_goes_out_even_if_recording_the_send_fails() {
    let (m, s) = memory(json!({}));
    *m.fail_finishes.borrow_mut() = 1;
    let e = fraud("st", "2026-11-23T03:00:00Z");
    let err = run(s.notify(&e, ts("2026-11-23T03:00:00Z"))).unwrap_err();
    assert!(err.retryable() && err.to_string().contains("injected"), "{err}");
    assert_eq!(*m.fail_finishes.borrow(), 0, "the fault fired");
    let sent = m.sent.borrow().len();
    assert!(sent >= 1);
    {
        let questions = m.questions.borrow();
        assert_eq!(questions.len(), 1, "the question was written with the claim");
        assert!(questions[0].open(ts("2026-11-23T03:01:00Z")));
    }
    let r = run(s.notify(&e, after_the_lease("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), sent, "the retry sends nothing again: {r:?}");
    assert_eq!(r.sent, sent, "and reports what went out");
    assert!(m.claims.borrow()[0].1.completed);
    let questions = m.questions.borrow();
    assert_eq!(questions.len(), 1);
    assert!(questions[0].provider_message_id.is_some(), "the question knows its SMS");
    assert_eq!(m.schedules.borrow().len(), 1, "one reminder");
}

#[test]
fn a_reminder_schedule_that_fails_never_sends_the_alert_again() {
    let (m, s) = memory(json!({}));
    *m.fail_schedules.borrow_mut() = 1;
    let e = fraud("st", "2026-11-23T03:00:00Z");
    let err = run(s.notify(&e, ts("2026-11-23T03:00:00Z"))).unwrap_err();
    assert!(err.retryable() && err.to_string().contains("CreateSchedule"), "{err}");
    assert_eq!(*m.fail_schedules.borrow(), 0, "the fault fired");
    let sent = m.sent.borrow().len();
    run(s.notify(&e, after_the_lease("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!(m.sent.borrow().len(), sent, "the SMS and the push went out once");
    assert_eq!(m.schedules.borrow().len(), 1, "the reminder is scheduled by the retry");
    let reminders = m.rows.borrow().iter().filter(|r| r.reminder).count();
    assert_eq!(reminders, 1);
    assert!(m.claims.borrow()[0].1.completed);
}

#[test]
fn an_sms_question_that_could_not_go_out_is_closed_so_no_answer_lands_on_it() {
    let (m, s) = memory(json!({}));
    m.unreachable.borrow_mut().push("+351*".into());
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let sms = m
        .rows
        .borrow()
        .iter()
        .find(|r| r.record.channel == Channel::Sms)
        .cloned()
        .unwrap();
    assert_eq!(sms.record.status, DeliveryStatus::Failed);
    let questions = m.questions.borrow();
    assert_eq!(questions.len(), 1, "{questions:#?} {:#?}", m.rows.borrow());
    assert!(!questions[0].open(ts("2026-11-23T03:00:01Z")), "{:?}", questions[0]);
}

fn low_balance_on(id: &str, account: &str, at: &str) -> forewarn_core::events::Event {
    event(
        id,
        "LowBalance",
        json!({"customer_id": "c-1", "account_id": account, "balance": {"amount": "5.00", "currency": "EUR"}}),
        at,
    )
}

/// Makes `event` land, through a second invocation on the same state, between the next
/// notify's read and its claim.
fn meanwhile(
    m: &std::rc::Rc<forewarn_flows::memory::Memory>,
    event: forewarn_core::events::Event,
    now: jiff::Timestamp,
) {
    let other = forewarn_flows::service::Service::new(
        forewarn_core::engine::Engine::default(),
        m.clone(),
        m.clone(),
        m.clone(),
        m.clone(),
    );
    *m.interleave.borrow_mut() = Some(Box::new(move || {
        run(other.notify(&event, now)).unwrap();
    }));
}

#[test]
fn the_same_notice_under_two_event_ids_at_once_goes_out_once() {
    let (m, s) = memory(json!({}));
    let now = ts("2026-11-23T12:00:00Z");
    meanwhile(&m, low_balance_on("lb-2", "a", "2026-11-23T12:00:00Z"), now);
    let r = run(s.notify(&low_balance_on("lb-1", "a", "2026-11-23T12:00:00Z"), now)).unwrap();
    assert!(
        m.interleave.borrow().is_none(),
        "the other invocation ran between the read and the claim"
    );
    assert_eq!(m.sent.borrow().len(), 1, "{r:?}");
    assert_eq!(r.sent, 0, "the later claim decided again and saw the first: {r:?}");
    assert_eq!(m.claims.borrow().len(), 2, "both events are accounted for");
}

#[test]
fn different_notices_at_once_never_exceed_the_daily_cap() {
    let (m, s) = memory(json!({}));
    let now = ts("2026-11-23T12:00:00Z");
    run(s.notify(
        &low_balance_on("lb-a", "a", "2026-11-23T11:00:00Z"),
        ts("2026-11-23T11:00:00Z"),
    ))
    .unwrap();
    assert_eq!(m.sent.borrow().len(), 1);
    meanwhile(&m, low_balance_on("lb-b", "b", "2026-11-23T12:00:00Z"), now);
    let r = run(s.notify(&low_balance_on("lb-c", "c", "2026-11-23T12:00:00Z"), now)).unwrap();
    assert!(
        m.interleave.borrow().is_none(),
        "the other invocation ran between the read and the claim"
    );
    let sent_within_a_day = m.sent.borrow().len()
        + m.rows
            .borrow()
            .iter()
            .filter(|r| {
                r.record.status == DeliveryStatus::Scheduled
                    && r.record.send_at < now + jiff::SignedDuration::from_hours(11)
            })
            .count();
    assert_eq!(sent_within_a_day, 2, "the cap of 2 holds: {r:?}");
    assert!(r.reasons.iter().any(|x| x.contains("frequency cap")), "{r:?}");
}

#[test]
fn a_banks_transaction_confirmed_closes_the_open_sms_question() {
    let (m, s) = memory(json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert!(m.questions.borrow()[0].open(ts("2026-11-23T03:01:00Z")));
    let confirmed = event(
        "tc",
        "TransactionConfirmed",
        json!({"customer_id": "c-1", "transaction_id": "tx-1", "answered_at": "2026-11-23T03:01:00Z", "channel": "app"}),
        "2026-11-23T03:01:00Z",
    );
    let r = run(s.resolve(&confirmed, ts("2026-11-23T03:01:05Z"))).unwrap();
    assert!(
        r.reasons.iter().any(|x| x.contains("closed the open question")),
        "{r:?}"
    );
    let q = m.questions.borrow()[0].clone();
    assert!(!q.open(ts("2026-11-23T03:02:00Z")), "{q:?}");
    assert!(m.schedules.borrow().is_empty(), "and the reminder is cancelled");
}

#[test]
fn a_notice_that_arrives_after_its_resolution_is_not_sent_and_a_later_one_is() {
    let (m, s) = memory(json!({}));
    let restored = event(
        "br",
        "BalanceRestored",
        json!({"customer_id": "c-1", "account_id": "a", "balance": {"amount": "500.00", "currency": "EUR"}}),
        "2026-11-23T12:00:05Z",
    );
    run(s.resolve(&restored, ts("2026-11-23T12:00:06Z"))).unwrap();
    // The low balance happened before the restore, but EventBridge delivered it after.
    let r = run(s.notify(
        &low_balance_on("lb-1", "a", "2026-11-23T12:00:00Z"),
        ts("2026-11-23T12:00:07Z"),
    ))
    .unwrap();
    assert_eq!(r.outcome.as_str(), "suppressed", "{r:?}");
    assert!(
        r.reasons[0].contains("already resolved") && r.reasons[0].contains("br"),
        "{r:?}"
    );
    assert!(m.sent.borrow().is_empty() && m.rows.borrow().is_empty());
    let kinds: Vec<_> = m.outcomes.borrow().iter().map(|o| o.detail_type).collect();
    assert_eq!(kinds, [forewarn_core::outcomes::OutcomeType::NotificationSuppressed]);
    // A new low balance after the restore is news.
    let r = run(s.notify(
        &low_balance_on("lb-2", "a", "2026-11-23T13:00:00Z"),
        ts("2026-11-23T13:00:00Z"),
    ))
    .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
}

#[test]
fn a_schedule_that_fires_after_the_message_stopped_mattering_expires_the_row_instead_of_sending() {
    let (m, s) = held_overnight();
    let row = m.rows.borrow()[0].clone();
    let ttl = row.message.ttl.expect("every message says until when it matters");
    // Scheduler retries a failing target for up to a day: this firing comes after the ttl.
    let r = run(s.dispatch(&row.key(), ttl + jiff::SignedDuration::from_secs(1))).unwrap();
    assert_eq!((r.outcome.as_str(), r.sent), ("expired", 0), "{r:?}");
    assert!(m.sent.borrow().is_empty());
    let row = m.rows.borrow()[0].clone();
    assert_eq!(row.record.status, DeliveryStatus::Expired);
    assert!(
        row.failure.as_deref().is_some_and(|f| f.contains("too late")),
        "{:?}",
        row.failure
    );
    let o = m.outcomes.borrow();
    assert_eq!(
        o.last().map(|o| o.detail_type),
        Some(forewarn_core::outcomes::OutcomeType::NotificationCancelled)
    );
    assert!(
        o.last().unwrap().reasons.iter().any(|r| r.contains("expired")),
        "{:?}",
        o.last()
    );
}

#[test]
fn a_row_stuck_scheduled_after_every_retry_failed_is_failed_by_the_next_decision_and_no_longer_blocks_it() {
    let (m, s) = held_overnight();
    let stuck = m.rows.borrow()[0].clone();
    // Every firing of its 08:00 schedule failed; at noon the balance is low again.
    m.schedules.borrow_mut().clear();
    let r = run(s.notify(
        &low_balance("lb-noon", "2026-11-23T12:00:00Z"),
        ts("2026-11-23T12:00:00Z"),
    ))
    .unwrap();
    assert_eq!(r.sent, 1, "the stuck row no longer suppresses the new notice: {r:?}");
    let rows = m.rows.borrow();
    let old = rows.iter().find(|r| r.key() == stuck.key()).unwrap();
    assert_eq!(old.record.status, DeliveryStatus::Failed);
    assert!(!old.unreported, "its event went out with the decision's");
    assert!(
        old.failure.as_deref().is_some_and(|f| f.starts_with("stuck")),
        "{:?}",
        old.failure
    );
    let failed: Vec<_> = m
        .outcomes
        .borrow()
        .iter()
        .filter(|o| o.detail_type == forewarn_core::outcomes::OutcomeType::NotificationFailed)
        .map(|o| o.event_id.clone())
        .collect();
    assert_eq!(failed, ["lb"], "the stuck row is accounted for");
}

#[test]
fn a_delivery_report_that_arrives_after_a_complaint_does_not_clear_it() {
    use forewarn_flows::feedback::{EmailFeedback, FeedbackKind};
    let (m, s) = memory(json!({"devices": [], "channel_preferences": {"travel": ["email"]}}));
    run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    let row = m.rows.borrow()[0].clone();
    assert_eq!(
        (row.record.channel, row.record.status),
        (Channel::Email, DeliveryStatus::Sent)
    );
    let fb = |kind| EmailFeedback {
        kind,
        message_id: row.provider_message_id.clone().unwrap(),
        customer_id: Some(row.customer_id.clone()),
        recipients: vec![],
        at: ts("2026-11-23T12:05:00Z"),
    };
    let complaint = FeedbackKind::Complained {
        feedback_type: "abuse".into(),
    };
    run(s.feedback(&fb(complaint), ts("2026-11-23T12:05:00Z"))).unwrap();
    run(s.feedback(&fb(FeedbackKind::Delivered), ts("2026-11-23T12:06:00Z"))).unwrap();
    let row = m.rows.borrow()[0].clone();
    assert!(row.delivered_at.is_some());
    assert!(
        row.failure.as_deref().is_some_and(|f| f.starts_with("complaint")),
        "{:?}",
        row.failure
    );
    assert_eq!(m.unusable.borrow().len(), 1, "the address stays unusable");
}

#[test]
fn the_sweep_fails_and_reports_a_row_stuck_past_its_horizon_that_no_later_decision_touches() {
    let (m, s) = held_overnight();
    let stuck = m.rows.borrow()[0].clone();
    m.schedules.borrow_mut().clear();
    let early = stuck.record.send_at + jiff::SignedDuration::from_hours(2);
    let r = run(s.sweep(early)).unwrap();
    assert_eq!(
        m.rows.borrow()[0].record.status,
        DeliveryStatus::Scheduled,
        "not yet stuck: {r:?}"
    );

    let late = stuck.record.send_at + jiff::SignedDuration::from_hours(4);
    let r = run(s.sweep(late)).unwrap();
    assert_eq!(r.outcome, forewarn_core::outcomes::Outcome::Swept);
    assert!(r.reasons[0].starts_with("1 row(s)"), "{r:?}");
    let row = m.rows.borrow()[0].clone();
    assert_eq!(row.record.status, DeliveryStatus::Failed);
    assert!(
        row.failure.as_deref().is_some_and(|f| f.starts_with("stuck")),
        "{row:?}"
    );
    let failed = || {
        m.outcomes
            .borrow()
            .iter()
            .filter(|o| o.detail_type == forewarn_core::outcomes::OutcomeType::NotificationFailed)
            .count()
    };
    assert_eq!(failed(), 1, "the stuck row is accounted for");
    run(s.sweep(late + jiff::SignedDuration::from_mins(15))).unwrap();
    assert_eq!(failed(), 1, "a row is swept once");
    assert!(m.sent.borrow().is_empty(), "the sweep never sends");
}

#[test]
fn a_sweep_that_dies_before_putting_its_events_leaves_the_row_for_the_next_sweep_to_report() {
    let (m, s) = held_overnight();
    m.schedules.borrow_mut().clear();
    let late = m.rows.borrow()[0].record.send_at + jiff::SignedDuration::from_hours(4);
    *m.fail_publishes.borrow_mut() = 1;
    assert!(run(s.sweep(late)).is_err(), "the injected fault fired");
    let row = m.rows.borrow()[0].clone();
    assert_eq!((row.record.status, row.unreported), (DeliveryStatus::Failed, true));
    let failed = || {
        m.outcomes
            .borrow()
            .iter()
            .filter(|o| o.detail_type == forewarn_core::outcomes::OutcomeType::NotificationFailed)
            .count()
    };
    assert_eq!(failed(), 0);

    let r = run(s.sweep(late + jiff::SignedDuration::from_mins(15))).unwrap();
    assert!(r.reasons[0].starts_with("1 row(s)"), "{r:?}");
    assert_eq!(failed(), 1);
    assert!(!m.rows.borrow()[0].unreported, "reported now");
    run(s.sweep(late + jiff::SignedDuration::from_mins(30))).unwrap();
    assert_eq!(failed(), 1, "and only once");
}
