//! Reach only what can receive: a number whose line cannot take SMS is not texted and the
//! alert falls over naming why; a question sent from an SMS sender that cannot receive replies
//! asks the customer to answer in the app and opens no question.

use forewarn_core::customer::{Channel, Customer, LineType, PhoneNumber};
use forewarn_core::engine::Engine;
use forewarn_core::events::{Event, parse_event};
use forewarn_core::messages::SmsReplies;
use forewarn_core::policy::{Context, Plan, Policy, decide};
use jiff::Timestamp;
use serde_json::json;

/// A London customer whose phone is `phone`, with a push device and an email address.
fn customer(phone: &str) -> Customer {
    Customer::from_json(json!({"customer_id": "c-1", "locale": "en-GB", "time_zone": "Europe/London",
        "contacts": {"email": "ana@example.com", "phone": phone},
        "devices": [{"device_id": "phone", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1",
            "last_seen": "2026-11-20T08:00:00Z"}]}))
    .unwrap()
}

fn fraud() -> Event {
    parse_event(
        &json!({"version": "0", "id": "st", "detail-type": "SuspiciousTransaction", "source": "test", "account": "1",
            "time": "2026-11-23T12:00:00Z", "region": "eu-west-1", "resources": [], "detail": {
            "customer_id": "c-1", "transaction_id": "tx-1", "account_id": "acc-1",
            "amount": {"amount": "99.00", "currency": "EUR"}, "merchant": {"name": "Shop", "city": "Madrid", "country": "ES"},
            "occurred_at": "2026-11-23T11:59:00Z"}})
        .to_string(),
    )
    .unwrap()
}

fn plan(c: &Customer) -> Plan {
    let now: Timestamp = "2026-11-23T12:00:05Z".parse().unwrap();
    let ctx = Context {
        customer: Some(c),
        history: &[],
        seen_before: false,
    };
    decide(&Policy::default(), &fraud(), &ctx, now)
}

fn channels(p: &Plan) -> Vec<Channel> {
    p.routes.iter().map(|r| r.channel).collect()
}

#[test]
fn the_phone_metadata_names_mobiles_fixed_lines_and_service_numbers() {
    let line = |n: &str| PhoneNumber::parse(n).unwrap().line();
    assert_eq!(line("+447700900123"), LineType::Mobile);
    assert_eq!(line("+442079460123"), LineType::FixedLine);
    assert_eq!(line("+18005550199"), LineType::TollFree);
    assert!(LineType::Mobile.takes_sms() && LineType::FixedLineOrMobile.takes_sms());
    assert!(!LineType::FixedLine.takes_sms() && !LineType::TollFree.takes_sms());
}

#[test]
fn a_fixed_line_is_not_texted_and_the_fraud_alert_goes_to_push_naming_why() {
    let p = plan(&customer("+442079460123"));
    assert_eq!(channels(&p), vec![Channel::Push], "{:?}", p.reasons);
    let why = p.reasons.join(" | ");
    assert!(
        why.contains("+44********23 is a fixed line (phone metadata): it cannot take SMS"),
        "{why}"
    );
    assert!(!why.contains("2079460123"), "the reason masks the number: {why}");
}

#[test]
fn a_mobile_is_texted_as_before() {
    let p = plan(&customer("+447700900123"));
    assert_eq!(channels(&p), vec![Channel::Sms, Channel::Push], "{:?}", p.reasons);
}

#[test]
fn a_question_from_a_sender_that_cannot_receive_replies_asks_for_an_answer_in_the_app_and_opens_no_question() {
    let c = customer("+447700900123");
    let two_way = Engine::new(Policy::default())
        .render(&fraud(), &c, Channel::Sms)
        .unwrap();
    assert!(two_way.body.contains("Reply YES if this was you"), "{}", two_way.body);
    assert!(two_way.expects_reply);
    let one_way = Engine::new(Policy::default())
        .with_sms_replies(SmsReplies::Impossible)
        .render(&fraud(), &c, Channel::Sms)
        .unwrap();
    assert!(one_way.body.contains("tell us in the app"), "{}", one_way.body);
    assert!(!one_way.body.contains("Reply"), "{}", one_way.body);
    assert!(!one_way.expects_reply, "no question is opened where no answer can come");
}

#[test]
fn every_language_words_the_one_way_question_without_asking_for_a_reply() {
    let keywords = ["YES", "SIM", "SÍ", "OUI", "JA"];
    for locale in ["en-GB", "pt-PT", "pt-BR", "es-ES", "fr-FR", "de-DE"] {
        let mut c = customer("+447700900123");
        c.locale = locale.into();
        let m = Engine::new(Policy::default())
            .with_sms_replies(SmsReplies::Impossible)
            .render(&fraud(), &c, Channel::Sms)
            .unwrap();
        assert!(
            !keywords.iter().any(|k| m
                .body
                .split_whitespace()
                .any(|w| w.trim_matches(|ch: char| !ch.is_alphabetic()) == *k)),
            "{locale}: {}",
            m.body
        );
    }
}
