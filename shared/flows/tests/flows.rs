//! The flows over the in-memory adapters: claims, sends, schedules, failover, replies,
//! reminders. The same flows run on the AWS adapters in the end-to-end tests.

use std::rc::Rc;

use forewarn_core::conversation::InboundSms;
use forewarn_core::customer::Channel;
use forewarn_core::engine::Engine;
use forewarn_core::events::Event;
use forewarn_core::outcomes::{Outcome, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::{Memory, run_ready as run};
use forewarn_flows::ports::Claims;
use forewarn_flows::records::{AnswerKind, Claiming, Commit, QUESTION_HOURS, Question};
use forewarn_flows::reply::{Matched, match_question};
use jiff::Timestamp;
use jiff::ToSpan;
use serde_json::json;

mod common;
use common::*;

#[test]
fn a_send_now_event_is_claimed_sent_recorded_and_reported() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.sent), ("send_now", 1));
    assert_eq!(m.sent.borrow().len(), 1);
    assert!(m.claims.borrow()[0].1.completed);
    assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Sent);
    assert_eq!(m.rows.borrow()[0].provider_message_id.as_deref(), Some("m-1"));
    let o = m.outcomes.borrow();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].detail_type, OutcomeType::NotificationSent);
    assert_eq!(o[0].to.as_deref(), Some("endpoint/…abcd"));
}

#[test]
fn a_completed_event_delivered_again_sends_nothing_and_puts_its_outcomes_again() {
    let (m, s) = memory(json!({}));
    run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    let again = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:05Z"))).unwrap();
    assert!(again.duplicate);
    assert_eq!(m.sent.borrow().len(), 1);
    let o = m.outcomes.borrow();
    assert_eq!(
        o.len(),
        2,
        "in case the first PutEvents failed after the claim completed"
    );
    assert_eq!(o[0], o[1]);
}

#[test]
fn a_claim_in_progress_makes_a_duplicate_retry_later_and_an_expired_one_resumes_the_committed_rows() {
    let (m, s) = memory(json!({}));
    let e = flight("f1", "2026-11-23T12:00:00Z");
    let now = ts("2026-11-23T12:00:00Z");
    // What a first invocation decided, claimed and wrote before it died, short of sending.
    died_after_commit(&m, &e, now);

    let busy = run(s.notify(&e, now + jiff::SignedDuration::from_secs(10))).unwrap_err();
    assert!(busy.retryable(), "{busy}");
    assert!(m.sent.borrow().is_empty());

    let r = run(s.notify(&e, now + jiff::SignedDuration::from_secs(90))).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(
        m.rows.borrow().len(),
        1,
        "the committed row is resumed, not decided again"
    );
    assert!(m.claims.borrow()[0].1.completed);
}

/// A claim left unfinished at `now` by an invocation that committed its rows and died.
fn died_after_commit(m: &Rc<Memory>, e: &Event, now: Timestamp) {
    let (decided, d) = memory(json!({}));
    run(d.notify(e, now)).unwrap();
    let mut rows = decided.rows.borrow().clone();
    for r in &mut rows {
        r.record.status = DeliveryStatus::Scheduled;
        r.provider_message_id = None;
        r.attempt = 0;
    }
    let mut claim = decided.claims.borrow()[0].1.clone();
    claim.completed = false;
    claim.lease_until = now + jiff::SignedDuration::from_secs(60);
    claim.outcomes.clear();
    let commit = Commit {
        customer_id: rows[0].customer_id.clone(),
        claim,
        claiming: Claiming::Fresh,
        new_rows: rows,
        cancel: vec![],
        questions: vec![],
        decisions: None,
    };
    run(Claims::commit(m, &commit)).unwrap();
}

#[test]
fn a_take_over_does_not_send_a_row_that_was_cancelled_or_sent_meanwhile_and_reports_a_sent_one_as_sent() {
    let now = ts("2026-11-23T12:00:00Z");
    for meanwhile in [DeliveryStatus::Cancelled, DeliveryStatus::Sent] {
        let (m, s) = memory(json!({}));
        let e = flight("f1", "2026-11-23T12:00:00Z");
        died_after_commit(&m, &e, now);
        m.rows.borrow_mut()[0].record.status = meanwhile;
        let r = run(s.notify(&e, now + jiff::SignedDuration::from_secs(90))).unwrap();
        let sent_before = usize::from(meanwhile == DeliveryStatus::Sent);
        assert_eq!(r.sent, sent_before, "{meanwhile:?}: {r:?}");
        let reported = m
            .outcomes
            .borrow()
            .iter()
            .filter(|o| o.detail_type == OutcomeType::NotificationSent)
            .count();
        assert_eq!(
            reported, sent_before,
            "{meanwhile:?}: the dead invocation's send is reported once"
        );
        assert!(m.sent.borrow().is_empty(), "{meanwhile:?}: nothing sent");
        assert_eq!(
            m.rows.borrow()[0].record.status,
            meanwhile,
            "and the row is left as it was"
        );
        assert!(m.claims.borrow()[0].1.completed);
    }
}

#[test]
fn a_take_over_waits_while_a_row_is_being_sent_under_a_live_lease() {
    let now = ts("2026-11-23T12:00:00Z");
    let (m, s) = memory(json!({}));
    let e = flight("f1", "2026-11-23T12:00:00Z");
    died_after_commit(&m, &e, now);
    let sending = forewarn_flows::state::taken(&m.rows.borrow()[0], now + jiff::SignedDuration::from_secs(50), 60);
    m.rows.borrow_mut()[0] = sending;
    let busy = run(s.notify(&e, now + jiff::SignedDuration::from_secs(90))).unwrap_err();
    assert!(busy.retryable() && busy.to_string().contains("being sent"), "{busy}");
    let r = run(s.notify(&e, now + jiff::SignedDuration::from_secs(200))).unwrap();
    assert_eq!((r.sent, m.sent.borrow().len()), (1, 1), "{r:?}");
}

#[test]
fn a_push_that_cannot_be_delivered_fails_over_to_the_next_channel() {
    let (m, s) = memory(json!({}));
    m.unreachable.borrow_mut().push("abcd".into());
    let r = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    assert_eq!(r.sent, 1);
    assert_eq!(m.sent.borrow()[0].to.masked(), "+351*******78");
    let rows = m.rows.borrow();
    let statuses: Vec<_> = rows.iter().map(|r| (r.record.channel, r.record.status)).collect();
    assert_eq!(
        statuses,
        [
            (Channel::Push, DeliveryStatus::Failed),
            (Channel::Sms, DeliveryStatus::Sent)
        ]
    );
    let kinds: Vec<_> = m.outcomes.borrow().iter().map(|o| o.detail_type).collect();
    assert_eq!(
        kinds,
        [
            OutcomeType::NotificationFailed,
            OutcomeType::NotificationSent,
            OutcomeType::DeviceDisabled
        ]
    );
}

#[test]
fn a_scheduled_delivery_is_sent_once_by_dispatch() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.scheduled), ("scheduled", 1));
    assert_eq!(m.schedules.borrow().len(), 1);
    let row = m.rows.borrow()[0].clone();
    let request = row.key();
    assert_eq!(run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap().sent, 1);
    assert_eq!(run(s.dispatch(&request, ts("2026-11-23T08:00:01Z"))).unwrap().sent, 0);
    assert_eq!(m.sent.borrow().len(), 1);
}

#[test]
fn a_dispatch_whose_send_is_throttled_hands_the_row_back_and_the_retry_sends_it_once() {
    let (m, s) = memory(json!({}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    let request = m.rows.borrow()[0].key();
    *m.throttle_sends.borrow_mut() = 1;
    let err = run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap_err();
    assert!(err.retryable(), "{err}");
    assert_eq!(*m.throttle_sends.borrow(), 0, "the throttle fired");
    assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Scheduled);
    let r = run(s.dispatch(&request, ts("2026-11-23T08:00:01Z"))).unwrap();
    assert_eq!(r.sent, 1);
    assert_eq!(m.sent.borrow().len(), 1);
    let row = m.rows.borrow()[0].clone();
    assert_eq!((row.record.status, row.attempt), (DeliveryStatus::Sent, 2));
}

#[test]
fn a_row_left_sending_by_a_dead_worker_waits_for_its_lease_then_is_taken_over_and_sent() {
    let (m, s) = memory(json!({}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    let request = m.rows.borrow()[0].key();
    // A worker took the row at 08:00 and died before sending.
    let dead = forewarn_flows::state::taken(&m.rows.borrow()[0], ts("2026-11-23T08:00:00Z"), 60);
    m.rows.borrow_mut()[0] = dead;
    let err = run(s.dispatch(&request, ts("2026-11-23T08:00:30Z"))).unwrap_err();
    assert!(err.retryable() && err.to_string().contains("being sent"), "{err}");
    assert!(m.sent.borrow().is_empty());
    let r = run(s.dispatch(&request, ts("2026-11-23T08:01:01Z"))).unwrap();
    assert_eq!(r.sent, 1);
    assert_eq!(m.rows.borrow()[0].attempt, 2);
    assert_eq!(run(s.dispatch(&request, ts("2026-11-23T08:02:00Z"))).unwrap().sent, 0);
    assert_eq!(m.sent.borrow().len(), 1);
}

#[test]
fn a_worker_that_lost_its_lease_cannot_record_over_the_one_that_took_over() {
    let (m, s) = memory(json!({}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    let row = m.rows.borrow()[0].clone();
    let first = forewarn_flows::state::taken(&row, ts("2026-11-23T08:00:00Z"), 60);
    let second = forewarn_flows::state::taken(&first, ts("2026-11-23T08:01:01Z"), 60);
    m.rows.borrow_mut()[0] = second.clone();
    let mut late = first.clone();
    late.record.status = DeliveryStatus::Failed;
    use forewarn_flows::ports::Deliveries;
    assert!(!run(m.transition(&late, DeliveryStatus::Sending)).unwrap());
    let mut current = second;
    current.record.status = DeliveryStatus::Sent;
    assert!(run(m.transition(&current, DeliveryStatus::Sending)).unwrap());
}

#[test]
fn dispatch_rechecks_that_the_channel_is_still_allowed() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    assert_eq!(r.scheduled, 1);
    m.profiles.borrow_mut()[0].opted_out.push(Channel::Push);
    let row = m.rows.borrow()[0].clone();
    let request = row.key();
    let r = run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.sent), ("cancelled", 0));
    assert!(m.sent.borrow().is_empty());
    assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Cancelled);
}

#[test]
fn a_resolving_event_cancels_pending_rows_and_their_schedules() {
    let (m, s) = memory(json!({}));
    run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
    let restored = event(
        "br",
        "BalanceRestored",
        json!({"customer_id": "c-1", "account_id": "a"}),
        "2026-11-23T07:00:00Z",
    );
    let r = run(s.resolve(&restored, ts("2026-11-23T07:00:00Z"))).unwrap();
    assert_eq!(r.cancelled, 1);
    assert!(m.schedules.borrow().is_empty());
    assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Cancelled);
    let last = m.outcomes.borrow().last().cloned().unwrap();
    assert_eq!(
        (last.detail_type, last.by_event_id.as_deref()),
        (OutcomeType::NotificationCancelled, Some("br"))
    );
}

#[test]
fn an_unknown_customer_is_recorded_as_suppressed() {
    let (m, s) = Memory::service(Engine::default(), vec![]);
    let r = run(s.notify(&low_balance("lb", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Suppressed);
    assert_eq!(m.claims.borrow()[0].1.outcome, Outcome::Suppressed);
    assert!(m.claims.borrow()[0].1.reasons[0].contains("unknown customer"));
    assert_eq!(m.outcomes.borrow()[0].detail_type, OutcomeType::NotificationSuppressed);
}

#[test]
fn a_fraud_alert_asks_a_question_and_schedules_one_reminder_by_push() {
    let (m, s) = memory(json!({}));
    let r = run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!((r.sent, r.scheduled), (2, 1), "sms + push now, one reminder: {r:?}");
    let reminder = m.rows.borrow().iter().find(|r| r.reminder).cloned().unwrap();
    assert_eq!(reminder.record.channel, Channel::Push);
    assert_eq!(reminder.record.send_at, ts("2026-11-23T03:15:00Z"));
    assert!(
        reminder.message.body.starts_with("Reminder: "),
        "{}",
        reminder.message.body
    );
    let scheduled: Vec<_> = m.schedules.borrow().iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(scheduled, [reminder.key()]);
    let q = m.questions.borrow();
    assert_eq!((q.len(), q[0].transaction_id.as_str()), (1, "tx-1"));
}

#[test]
fn a_yes_confirms_once_cancels_the_reminder_and_is_acknowledged() {
    let (m, s) = memory(json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let r = run(s.reply(&sms("yes", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
    assert_eq!((r.outcome.as_str(), r.cancelled, r.sent), ("confirmed", 1, 1));
    assert!(m.schedules.borrow().is_empty());
    let emitted = m.emitted.borrow().clone();
    assert_eq!(emitted.len(), 1);
    assert_eq!(emitted[0].0.detail_type().as_str(), "TransactionConfirmed");
    assert_eq!(emitted[0].0.to_json()["transaction_id"], "tx-1");
    let again = run(s.reply(&sms("YES", "in-2"), ts("2026-11-23T03:06:00Z"))).unwrap();
    assert_eq!(again.outcome, Outcome::NoOpenQuestion);
    assert_eq!(m.emitted.borrow().len(), 1, "a repeated answer changes nothing");
}

#[test]
fn a_redelivered_answer_finishes_its_effects_without_a_second_answer() {
    let (m, s) = memory(json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    run(s.reply(&sms("no", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
    let r = run(s.reply(&sms("no", "in-1"), ts("2026-11-23T03:05:30Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Disputed);
    assert!(
        m.emitted
            .borrow()
            .iter()
            .all(|(d, _)| d.detail_type().as_str() == "TransactionDisputed")
    );
    assert_eq!(m.questions.borrow()[0].answer.as_ref().unwrap().intent, AnswerKind::No);
}

#[test]
fn an_answer_after_a_day_is_expired_and_emits_nothing() {
    let (m, s) = memory(json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let r = run(s.reply(&sms("yes", "in-1"), ts("2026-11-24T03:00:01Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Expired);
    assert!(m.emitted.borrow().is_empty());
}

#[test]
fn stop_opts_out_once_and_later_alerts_skip_sms() {
    let (m, mut s) = memory(json!({}));
    s.self_managed_opt_outs = true;
    assert_eq!(
        run(s.reply(&sms("STOP", "in-1"), ts("2026-11-23T03:00:00Z")))
            .unwrap()
            .sent,
        1
    );
    assert_eq!(
        run(s.reply(&sms("stop", "in-2"), ts("2026-11-23T03:01:00Z")))
            .unwrap()
            .sent,
        0
    );
    let r = run(s.notify(&fraud("st", "2026-11-23T04:00:00Z"), ts("2026-11-23T04:00:00Z"))).unwrap();
    assert_eq!(r.sent, 1);
    assert!(
        m.sent
            .borrow()
            .iter()
            .filter(|x| x.to.masked().starts_with('+'))
            .count()
            == 1,
        "only the STOP confirmation"
    );
}

#[test]
fn a_push_to_a_disabled_device_marks_it_disabled() {
    let (m, s) = memory(json!({}));
    m.unreachable.borrow_mut().push("abcd".into());
    run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    let disabled: Vec<_> = m.disabled.borrow().iter().map(|(_, d, _)| d.to_string()).collect();
    assert_eq!(disabled, ["p"]);
    assert!(
        m.outcomes
            .borrow()
            .iter()
            .any(|o| o.detail_type == OutcomeType::DeviceDisabled)
    );
}

fn question(at: &str, provider: &str) -> Question {
    let at: Timestamp = at.parse().unwrap();
    Question {
        phone: "+351912345678".into(),
        customer_id: forewarn_core::types::Id::parse("c").unwrap(),
        event_id: forewarn_core::types::Id::parse(provider).unwrap(),
        subject: "transaction:t".into(),
        transaction_id: "t".into(),
        asked_at: at,
        expires_at: at + QUESTION_HOURS.hours(),
        provider_message_id: Some(provider.into()),
        answer: None,
        about: None,
    }
}

fn threaded_sms(from: &str, previous: Option<&str>, body: &str) -> InboundSms {
    forewarn_core::conversation::parse_inbound_sms(
        &json!({"originationNumber": from, "destinationNumber": "+1800", "messageBody": body,
            "inboundMessageId": "in", "previousPublishedMessageId": previous})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn an_answer_goes_to_the_numbered_or_threaded_question_else_to_the_only_open_one_from_that_number() {
    let qs = [
        question("2026-11-23T01:00:00Z", "m-old"),
        question("2026-11-23T02:00:00Z", "m-new"),
    ];
    let now: Timestamp = "2026-11-23T03:00:00Z".parse().unwrap();
    let pick = |m: Matched<'_>| match m {
        Matched::Answer(qs) => qs.iter().map(|q| q.event_id.to_string()).collect::<Vec<_>>().join(","),
        Matched::Ambiguous(listed) => format!("which of {}", listed.len()),
        other => format!("{other:?}"),
    };
    let from = "+351912345678";
    assert_eq!(
        pick(match_question(&qs, &threaded_sms(from, None, "yes"), now)),
        "which of 2"
    );
    assert_eq!(
        pick(match_question(&qs, &threaded_sms(from, None, "yes 2"), now)),
        "m-new"
    );
    assert_eq!(
        pick(match_question(&qs, &threaded_sms(from, None, "no"), now)),
        "m-old,m-new"
    );
    assert_eq!(
        pick(match_question(&qs, &threaded_sms(from, Some("m-old"), "yes"), now)),
        "m-old"
    );
    assert_eq!(
        pick(match_question(&qs, &threaded_sms(from, Some("other"), "yes"), now)),
        "which of 2"
    );
    assert_eq!(
        match_question(&qs, &threaded_sms("+351919999999", None, "yes"), now),
        Matched::None
    );
    let only = &qs[..1];
    assert_eq!(
        pick(match_question(only, &threaded_sms(from, None, "yes"), now)),
        "m-old"
    );
    let late: Timestamp = "2026-11-24T02:00:00Z".parse().unwrap();
    assert_eq!(
        match_question(&qs, &threaded_sms(from, None, "yes"), late),
        Matched::Expired
    );
}

#[test]
fn a_phone_number_or_link_in_a_merchant_name_never_reaches_the_customer_or_the_question() {
    let (m, s) = memory(json!({"locale": "pt-PT"}));
    let at = "2026-11-23T12:00:00Z";
    let e = event(
        "x1",
        "SuspiciousTransaction",
        json!({"customer_id": "c-1", "transaction_id": "tx-1", "account_id": "a", "amount": {"amount": "99.00", "currency": "EUR"},
            "merchant": {"name": "Ligue +351 800 555 010", "city": "evil.example/pt", "country": "PT"}, "occurred_at": at}),
        at,
    );
    let r = run(s.notify(&e, ts(at))).unwrap();
    assert!(r.sent >= 1, "{r:?}");
    for sent in m.sent.borrow().iter() {
        let text = format!("{:?}", sent.message);
        assert!(!text.contains("555 010") && !text.contains("evil.example"), "{text}");
        assert!(text.contains("[número removido]"), "{text}");
    }
    let rows = m.rows.borrow();
    let about = rows.iter().find_map(|r| r.message.about.clone());
    assert_eq!(about.as_deref(), Some("Ligue [número removido] 99.00 EUR"));
}

#[test]
fn a_stored_message_written_before_intrusion_existed_reads_as_normal_and_a_passive_one_round_trips() {
    use forewarn_core::policy::Intrusion;
    use forewarn_flows::records::StoredMessage;
    let old = serde_json::json!({"subject": null, "title": "Low balance", "body": "b", "html": null,
        "deep_link": null, "ttl": null, "expects_reply": false});
    let read: StoredMessage = serde_json::from_value(old).unwrap();
    assert_eq!(read.intrusion, Intrusion::Normal);
    assert!(serde_json::to_value(&read).unwrap().get("intrusion").is_none());
    let passive = StoredMessage {
        intrusion: Intrusion::Passive,
        ..read
    };
    let v = serde_json::to_value(&passive).unwrap();
    assert_eq!(v["intrusion"], "passive");
    assert_eq!(serde_json::from_value::<StoredMessage>(v).unwrap(), passive);
}
