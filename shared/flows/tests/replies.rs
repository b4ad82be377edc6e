//! Two-way SMS keywords, several open questions and provider numbers, over the in-memory adapters.

use std::rc::Rc;

use forewarn_core::conversation::{Intent, ReplyText, keywords, reply_sms};
use forewarn_core::customer::Channel;
use forewarn_core::events::Event;
use forewarn_core::outcomes::Outcome;
use forewarn_flows::memory::{Memory, MemoryService, run_ready as run};
use forewarn_flows::records::{QUESTION_HOURS, Question};
use jiff::ToSpan;
use serde_json::json;

mod common;
use common::*;

/// A fraud alert about `tx` at `merchant` for `amount` EUR.
fn fraud_at(id: &str, tx: &str, merchant: &str, amount: &str, at: &str) -> Event {
    event(
        id,
        "SuspiciousTransaction",
        json!({"customer_id": "c-1", "transaction_id": tx, "account_id": "a",
            "amount": {"amount": amount, "currency": "EUR"},
            "merchant": {"name": merchant, "city": "Porto", "country": "PT"}, "occurred_at": at}),
        at,
    )
}

/// Texts sent to the customer's phone, in order.
fn texts_to_phone(m: &Rc<Memory>) -> Vec<String> {
    m.sent
        .borrow()
        .iter()
        .filter(|s| s.to.masked().starts_with("+351"))
        .map(|s| s.message.body.clone())
        .collect()
}

/// Two fraud alerts, at Shop (99.00 EUR) and Café Lisboa (12.00 EUR), both unanswered.
fn two_open_questions() -> (Rc<Memory>, MemoryService) {
    let (m, s) = memory(json!({}));
    run(s.notify(
        &fraud_at("st-1", "tx-1", "Shop", "99.00", "2026-11-23T03:00:00Z"),
        ts("2026-11-23T03:00:00Z"),
    ))
    .unwrap();
    run(s.notify(
        &fraud_at("st-2", "tx-2", "Café Lisboa", "12.00", "2026-11-23T03:02:00Z"),
        ts("2026-11-23T03:02:00Z"),
    ))
    .unwrap();
    assert_eq!(m.questions.borrow().len(), 2);
    m.sent.borrow_mut().clear();
    (m, s)
}

fn answered(m: &Rc<Memory>) -> Vec<(String, String)> {
    m.emitted
        .borrow()
        .iter()
        .map(|(d, _)| {
            let tx = d.to_json()["transaction_id"].as_str().unwrap_or_default().to_owned();
            (d.detail_type().as_str().to_owned(), tx)
        })
        .collect()
}

#[test]
fn every_opt_out_keyword_is_recorded_without_an_answer_when_aws_manages_opt_outs() {
    for word in keywords().words(Intent::Stop) {
        for body in [word.to_owned(), format!(" {}! ", word.to_uppercase())] {
            let (m, s) = memory(json!({}));
            let r = run(s.reply(&sms(&body, "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
            assert_eq!((r.outcome, r.sent), (Outcome::OptedOut, 0), "{body:?}: {r:?}");
            assert_eq!(m.opt_outs.borrow().len(), 1, "{body:?}");
            assert!(m.sent.borrow().is_empty(), "AWS answers {body:?} itself");
            assert!(r.reasons.iter().any(|x| x.contains("AWS manages")), "{:?}", r.reasons);
        }
    }
}

#[test]
fn every_keyword_gets_its_own_answer_when_opt_outs_are_self_managed() {
    let answers = [
        (keywords().words(Intent::Stop), Outcome::OptedOut, ReplyText::OptedOut),
        (keywords().words(Intent::Help), Outcome::Help, ReplyText::Help),
    ];
    for (words, outcome, text) in answers {
        for word in words {
            let (m, mut s) = memory(json!({}));
            s.self_managed_opt_outs = true;
            let r = run(s.reply(
                &sms(&format!("{}.", word.to_uppercase()), "in-1"),
                ts("2026-11-23T03:00:00Z"),
            ))
            .unwrap();
            assert_eq!((r.outcome, r.sent), (outcome, 1), "{word}: {r:?}");
            assert_eq!(texts_to_phone(&m), [reply_sms("en", text)], "{word}");
        }
    }
    for word in keywords().words(Intent::Start) {
        let (m, mut s) = memory(json!({}));
        s.self_managed_opt_outs = true;
        run(s.reply(&sms("stop", "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
        let r = run(s.reply(&sms(&format!(" {word}! "), "in-2"), ts("2026-11-23T03:01:00Z"))).unwrap();
        assert_eq!((r.outcome, r.sent), (Outcome::OptedIn, 1), "{word}: {r:?}");
        assert_eq!(
            texts_to_phone(&m).last().map(String::as_str),
            Some(reply_sms("en", ReplyText::OptedIn).as_str())
        );
        assert!(m.opt_outs.borrow().is_empty(), "{word}");
    }
}

#[test]
fn help_is_recorded_without_an_answer_when_aws_manages_opt_outs_and_answered_when_self_managed() {
    let (m, s) = memory(json!({}));
    let r = run(s.reply(&sms("HELP", "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Help, 0));
    assert!(m.sent.borrow().is_empty());
    assert_eq!(m.outcomes.borrow().len(), 1, "the request is recorded as ReplyReceived");

    let (m, mut s) = memory(json!({}));
    s.self_managed_opt_outs = true;
    let r = run(s.reply(&sms("ajuda", "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Help, 1));
    assert_eq!(texts_to_phone(&m), [reply_sms("en", ReplyText::Help)]);
}

#[test]
fn self_managed_stop_and_start_are_each_confirmed_once_and_later_decisions_say_sms_is_allowed_again() {
    let (m, mut s) = memory(json!({}));
    s.self_managed_opt_outs = true;
    let r = run(s.reply(&sms("End", "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::OptedOut, 1));
    let r = run(s.reply(&sms("START", "in-2"), ts("2026-11-23T03:01:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::OptedIn, 1), "{r:?}");
    let r = run(s.reply(&sms("unstop", "in-3"), ts("2026-11-23T03:02:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::OptedIn, 0), "confirmed once: {r:?}");
    assert_eq!(
        texts_to_phone(&m),
        [
            reply_sms("en", ReplyText::OptedOut),
            reply_sms("en", ReplyText::OptedIn)
        ]
    );
    assert!(m.opt_outs.borrow().is_empty());

    let r = run(s.notify(&fraud("st", "2026-11-23T04:00:00Z"), ts("2026-11-23T04:00:00Z"))).unwrap();
    assert!(r.channels.contains(&Channel::Sms), "{r:?}");
    assert!(
        r.reasons
            .iter()
            .any(|x| x == "SMS allowed again: the customer replied START on 2026-11-23T03:01:00Z"),
        "{:?}",
        r.reasons
    );
}

#[test]
fn start_lifts_the_opt_out_without_an_answer_when_aws_manages_opt_outs() {
    let (m, s) = memory(json!({}));
    run(s.reply(&sms("QUIT", "in-1"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let r = run(s.notify(&fraud("st-1", "2026-11-23T03:10:00Z"), ts("2026-11-23T03:10:00Z"))).unwrap();
    assert!(!r.channels.contains(&Channel::Sms), "{r:?}");
    let r = run(s.reply(&sms("Iniciar", "in-2"), ts("2026-11-23T03:20:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::OptedIn, 0));
    assert!(texts_to_phone(&m).is_empty());
    let later = fraud_at("st-2", "tx-2", "Shop", "5.00", "2026-11-23T04:00:00Z");
    let r = run(s.notify(&later, ts("2026-11-23T04:00:00Z"))).unwrap();
    assert!(r.channels.contains(&Channel::Sms), "{r:?}");
    assert!(
        r.reasons.iter().any(|x| x.starts_with("SMS allowed again")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn a_bare_yes_with_two_open_questions_confirms_neither_and_asks_which_naming_the_merchants() {
    let (m, s) = two_open_questions();
    let r = run(s.reply(&sms("yes", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Ambiguous, 1), "{r:?}");
    assert!(answered(&m).is_empty(), "nothing confirmed");
    assert!(m.questions.borrow().iter().all(|q| q.answer.is_none()));
    let text = texts_to_phone(&m).pop().unwrap();
    assert!(
        text.contains("YES 1 for Shop 99.00 EUR, YES 2 for Café Lisboa 12.00 EUR"),
        "{text}"
    );
    let outcome = serde_json::to_string(&*m.outcomes.borrow()).unwrap();
    assert!(!outcome.contains("Shop") && !outcome.contains("Café"), "{outcome}");

    let r = run(s.reply(&sms("YES 2", "in-2"), ts("2026-11-23T03:06:00Z"))).unwrap();
    assert_eq!((r.outcome, r.cancelled), (Outcome::Confirmed, 1), "{r:?}");
    assert_eq!(answered(&m), [("TransactionConfirmed".to_owned(), "tx-2".to_owned())]);
    let r = run(s.reply(&sms("não 1", "in-3"), ts("2026-11-23T03:07:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Disputed, "numbers stay put once one is answered");
    assert_eq!(answered(&m)[1], ("TransactionDisputed".to_owned(), "tx-1".to_owned()));
    let r = run(s.reply(&sms("yes 2", "in-4"), ts("2026-11-23T03:08:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::NoOpenQuestion);
    assert_eq!(answered(&m).len(), 2);
}

#[test]
fn a_bare_no_with_two_open_questions_disputes_both_once_and_cancels_both_reminders() {
    let (m, s) = two_open_questions();
    assert_eq!(m.schedules.borrow().len(), 2);
    let r = run(s.reply(&sms("NO", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
    assert_eq!((r.outcome, r.cancelled, r.sent), (Outcome::Disputed, 2, 1), "{r:?}");
    assert_eq!(
        answered(&m),
        [
            ("TransactionDisputed".to_owned(), "tx-1".to_owned()),
            ("TransactionDisputed".to_owned(), "tx-2".to_owned())
        ]
    );
    assert!(m.schedules.borrow().is_empty());
    let again = run(s.reply(&sms("NO", "in-1"), ts("2026-11-23T03:05:30Z"))).unwrap();
    assert_eq!(again.outcome, Outcome::Disputed, "a redelivery finishes its effects");
    assert!(
        m.questions
            .borrow()
            .iter()
            .all(|q| q.answer.as_ref().unwrap().inbound_message_id == "in-1")
    );
    let r = run(s.reply(&sms("no", "in-2"), ts("2026-11-23T03:06:00Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::NoOpenQuestion);
}

#[test]
fn an_answer_from_a_number_the_metadata_calls_unassigned_is_read_and_answered() {
    let (m, s) = memory(json!({}));
    let from = "+447700900123";
    let at = ts("2026-11-23T03:00:00Z");
    m.questions.borrow_mut().push(Question {
        phone: from.into(),
        customer_id: forewarn_core::types::Id::parse("c-1").unwrap(),
        event_id: forewarn_core::types::Id::parse("st-uk").unwrap(),
        subject: "transaction:tx-uk".into(),
        transaction_id: "tx-uk".into(),
        asked_at: at,
        expires_at: at + QUESTION_HOURS.hours(),
        provider_message_id: Some("m-uk".into()),
        answer: None,
        about: None,
    });
    let message = json!({"originationNumber": from, "destinationNumber": "+18005550100",
        "messageBody": "Yes", "inboundMessageId": "in-uk"});
    let inbound = forewarn_core::conversation::parse_inbound_sms(&message.to_string()).unwrap();
    let r = run(s.reply(&inbound, at + 5.minutes())).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Confirmed, 1), "{r:?}");
    assert_eq!(answered(&m), [("TransactionConfirmed".to_owned(), "tx-uk".to_owned())]);
    let o = m.outcomes.borrow();
    assert_eq!(o[0].to, Some(forewarn_core::customer::mask_phone(from)));
    assert!(!o[0].to.as_deref().unwrap_or_default().contains("7700900"));
}

/// An inbound SMS from `from`.
fn sms_from(from: &str, body: &str, id: &str) -> forewarn_core::conversation::InboundSms {
    let message = json!({"originationNumber": from, "destinationNumber": "+18005550100",
        "messageBody": body, "inboundMessageId": id});
    forewarn_core::conversation::parse_inbound_sms(&message.to_string()).unwrap()
}

const ALREADY: &str = "no answer sent: this number already got its automatic answer in the last 24 h";

#[test]
fn five_texts_from_an_unknown_number_get_one_answer_and_each_is_still_reported() {
    let (m, s) = memory(json!({}));
    let stranger = "+351930000001";
    let start = ts("2026-11-23T03:00:00Z");
    let mut sent = 0;
    for i in 0..5 {
        let r = run(s.reply(
            &sms_from(stranger, "hello?", &format!("in-{i}")),
            start + (i * 10).minutes(),
        ))
        .unwrap();
        assert_eq!(r.outcome, Outcome::UnknownSender, "{r:?}");
        assert_eq!(r.reasons.iter().any(|x| x == ALREADY), i > 0, "{i}: {:?}", r.reasons);
        sent += r.sent;
    }
    assert_eq!(sent, 1, "one answer, not five");
    assert_eq!(m.sent.borrow().len(), 1);
    let outcomes = m.outcomes.borrow();
    assert_eq!(outcomes.len(), 5, "every text is reported");
    assert!(outcomes[1..].iter().all(|o| o.reasons.iter().any(|x| x == ALREADY)));
    drop(outcomes);
    let r = run(s.reply(&sms_from(stranger, "hello?", "in-9"), start + 25.hours())).unwrap();
    assert_eq!(r.sent, 1, "a new day, a new answer: {r:?}");
}

#[test]
fn five_hellos_from_a_customer_get_one_answer() {
    let (m, s) = memory(json!({}));
    let start = ts("2026-11-23T03:00:00Z");
    let sent: usize = (0..5)
        .map(|i| {
            run(s.reply(&sms("hello?", &format!("in-{i}")), start + i.minutes()))
                .unwrap()
                .sent
        })
        .sum();
    assert_eq!(sent, 1);
    assert_eq!(texts_to_phone(&m), [reply_sms("en", ReplyText::NoOpenQuestion)]);
}

#[test]
fn an_opted_out_number_gets_only_its_opt_out_confirmation() {
    let (m, mut s) = memory(json!({}));
    s.self_managed_opt_outs = true;
    run(s.notify(&fraud("st-1", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    m.sent.borrow_mut().clear();
    let r = run(s.reply(&sms("STOP", "in-1"), ts("2026-11-23T03:01:00Z"))).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::OptedOut, 1), "{r:?}");
    let later = [
        ("hello?", Outcome::Unrecognised),
        ("HELP", Outcome::Help),
        ("yes", Outcome::Confirmed),
        ("stop", Outcome::OptedOut),
    ];
    for (i, (body, outcome)) in later.into_iter().enumerate() {
        let r = run(s.reply(&sms(body, &format!("in-{}", i + 2)), ts("2026-11-23T03:05:00Z"))).unwrap();
        assert_eq!((r.outcome, r.sent), (outcome, 0), "{body}: {r:?}");
        if outcome != Outcome::OptedOut {
            assert!(
                r.reasons
                    .iter()
                    .any(|x| x == "no answer sent: this number opted out of SMS"),
                "{body}: {:?}",
                r.reasons
            );
        }
    }
    assert_eq!(answered(&m).len(), 1, "the answer still counts");
    assert_eq!(texts_to_phone(&m), [reply_sms("en", ReplyText::OptedOut)]);
    let r = run(s.reply(&sms("START", "in-9"), ts("2026-11-23T03:10:00Z"))).unwrap();
    assert_eq!(
        (r.outcome, r.sent),
        (Outcome::OptedIn, 1),
        "opted back in, confirmed: {r:?}"
    );
}

#[test]
fn help_twice_gets_one_help_text_counted_apart_from_other_answers() {
    let (m, mut s) = memory(json!({}));
    s.self_managed_opt_outs = true;
    let at = ts("2026-11-23T03:00:00Z");
    let r = run(s.reply(&sms("HELP", "in-1"), at)).unwrap();
    assert_eq!(r.sent, 1);
    let r = run(s.reply(&sms("help", "in-2"), at + 1.minutes())).unwrap();
    assert_eq!((r.outcome, r.sent), (Outcome::Help, 0), "{r:?}");
    assert!(
        r.reasons
            .iter()
            .any(|x| x == "no answer sent: this number already got the help text in the last 24 h"),
        "{:?}",
        r.reasons
    );
    let r = run(s.reply(&sms("hello?", "in-3"), at + 2.minutes())).unwrap();
    assert_eq!(r.sent, 1, "other answers are counted apart: {r:?}");
    assert_eq!(
        texts_to_phone(&m),
        [
            reply_sms("en", ReplyText::Help),
            reply_sms("en", ReplyText::NoOpenQuestion)
        ]
    );
}

#[test]
fn answers_to_questions_are_not_limited() {
    let (m, s) = two_open_questions();
    let at = ts("2026-11-23T03:05:00Z");
    let replies = [
        ("hello?", Outcome::Unrecognised, 1),
        ("what?", Outcome::Unrecognised, 0),
        ("yes", Outcome::Ambiguous, 1),
        ("yes", Outcome::Ambiguous, 1),
        ("YES 1", Outcome::Confirmed, 1),
        ("NO 2", Outcome::Disputed, 1),
    ];
    for (i, (body, outcome, sent)) in replies.into_iter().enumerate() {
        let r = run(s.reply(&sms(body, &format!("in-{i}")), at + (i as i64).minutes())).unwrap();
        assert_eq!((r.outcome, r.sent), (outcome, sent), "{body}: {r:?}");
    }
    assert_eq!(texts_to_phone(&m).len(), 5);
}

#[test]
fn a_redelivered_text_whose_answer_was_throttled_gets_its_answer_on_the_retry() {
    let (m, s) = memory(json!({}));
    let at = ts("2026-11-23T03:00:00Z");
    *m.throttle_sends.borrow_mut() = 1;
    assert!(run(s.reply(&sms("hello?", "in-1"), at)).is_err());
    let r = run(s.reply(&sms("hello?", "in-1"), at + 1.minutes())).unwrap();
    assert_eq!(r.sent, 1, "the retry of the counted text answers: {r:?}");
    let r = run(s.reply(&sms("hello?", "in-2"), at + 2.minutes())).unwrap();
    assert_eq!(r.sent, 0, "{r:?}");
}
