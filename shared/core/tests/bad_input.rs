//! Bad input, at every parser that takes outside input: event envelopes and details, customer
//! import, inbound SMS and SES feedback never panic and always name the field; absurd values
//! are rejected or handled safely (HTML escaped in email, SMS length bounded).

use forewarn_core::conversation::parse_inbound_sms;
use forewarn_core::customer::{Customer, parse_customers};
use forewarn_core::engine::Engine;
use forewarn_core::events::{MAX_EVENT_BYTES, parse_event, parse_event_value};
use forewarn_core::messages::MAX_SMS_SEGMENTS;
use forewarn_core::policy::Context;
use proptest::prelude::*;
use serde_json::{Value, json};

const SAMPLES: [&str; 6] = [
    include_str!("../../../events/low-balance.json"),
    include_str!("../../../events/flight-delayed.json"),
    include_str!("../../../events/application-incomplete.json"),
    include_str!("../../../events/suspicious-transaction.json"),
    include_str!("../../../events/transaction-confirmed.json"),
    include_str!("../../../events/customer-activity.json"),
];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("-1.00")),
        Just(json!("<script>alert(1)</script>")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value in `v`, as a list of keys and indexes.
fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            let mut p = prefix.clone();
            p.push(k.clone());
            paths(x, p, out)
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            let mut p = prefix.clone();
            p.push(i.to_string());
            paths(x, p, out)
        }),
        _ => {}
    }
}

fn set(v: &mut Value, path: &[String], to: Value) {
    match path.split_first() {
        None => *v = to,
        Some((k, rest)) => {
            let next = match v {
                Value::Object(m) => m.get_mut(k),
                Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            };
            if let Some(n) = next {
                set(n, rest, to);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_as_an_event_is_parsed_or_rejected_with_a_field(s in ".{0,300}") {
        if let Err(e) = parse_event(&s) {
            prop_assert!(!e.path.is_empty() && !e.reason.is_empty(), "{e:?}");
        }
    }

    #[test]
    fn a_sample_with_any_field_replaced_by_any_value_never_panics_and_names_a_field(
        sample in 0..SAMPLES.len(), pick in any::<prop::sample::Index>(), value in any_json()
    ) {
        let mut v: Value = serde_json::from_str(SAMPLES[sample]).unwrap();
        let mut all = Vec::new();
        paths(&v, vec![], &mut all);
        let path = pick.get(&all).clone();
        set(&mut v, &path, value);
        match parse_event_value(v) {
            Ok(e) => {
                // Whatever parses can be decided and worded for a customer.
                let c = customer();
                let ctx = Context { customer: Some(&c), history: &[], seen_before: false };
                let d = Engine::default().decide(&e, &ctx, e.time.0);
                prop_assert!(d.is_ok(), "{d:?}");
            }
            Err(e) => prop_assert!(!e.path.is_empty() && !e.reason.is_empty(), "{e:?}"),
        }
    }

    #[test]
    fn any_customer_import_is_parsed_or_rejected_with_a_field(v in any_json()) {
        match parse_customers(&json!([v]).to_string()) {
            Ok(items) => for item in items {
                if let Err(e) = item {
                    prop_assert!(!e.reason.is_empty(), "{e:?}");
                }
            },
            Err(e) => prop_assert!(!e.path.is_empty(), "{e:?}"),
        }
    }

    #[test]
    fn any_inbound_sms_is_parsed_or_rejected_with_a_field(v in any_json(), s in ".{0,200}") {
        for text in [v.to_string(), s.clone()] {
            if let Err(e) = parse_inbound_sms(&text) {
                prop_assert!(!e.path.is_empty(), "{e:?}");
            }
        }
    }
}

fn customer() -> Customer {
    Customer::from_json(json!({"customer_id": "c-1001", "locale": "en-GB", "time_zone": "Europe/Lisbon",
        "contacts": {"phone": "+351912345678", "email": "ana@example.com"},
        "quiet_hours": {"start": "00:00", "end": "00:00"},
        "devices": [{"device_id": "d", "kind": "desktop", "active_hours": ["Mon-Sun 00:00-12:00", "Mon-Sun 12:00-00:00"]}]}))
    .unwrap()
}

fn fraud(merchant: &str) -> Value {
    let mut v: Value = serde_json::from_str(SAMPLES[3]).unwrap();
    v["detail"]["merchant"]["name"] = json!(merchant);
    v
}

#[test]
fn a_ten_megabyte_event_is_rejected_before_it_is_read() {
    let mut v: Value = serde_json::from_str(SAMPLES[0]).unwrap();
    v["detail"]["padding"] = json!("x".repeat(10 * 1024 * 1024));
    let e = parse_event(&v.to_string()).unwrap_err();
    assert_eq!(e.path, "$");
    assert!(e.reason.contains(&MAX_EVENT_BYTES.to_string()), "{e:?}");
}

#[test]
fn absurd_values_are_rejected_naming_the_field() {
    let mut negative = fraud("Shop");
    negative["detail"]["amount"]["amount"] = json!("-12.00");
    let mut long = fraud(&"M".repeat(5000));
    long["id"] = json!("st-long");
    let mut year = fraud("Shop");
    year["detail"]["occurred_at"] = json!("10000-01-01T00:00:00Z");
    for (v, field) in [
        (negative, "detail.amount.amount"),
        (long, "detail.merchant.name"),
        (year, "detail.occurred_at"),
    ] {
        let e = parse_event_value(v).unwrap_err();
        assert_eq!(e.path, field, "{e:?}");
    }
}

#[test]
fn an_amount_to_pay_of_zero_is_rejected_naming_the_field_while_a_zero_balance_is_accepted() {
    let payment: Value = serde_json::from_str(include_str!("../../../events/payment-due.json")).unwrap();
    for zero in ["0", "0.00", "000.000000"] {
        let mut fraud = fraud("Shop");
        fraud["detail"]["amount"]["amount"] = json!(zero);
        let mut due = payment.clone();
        due["detail"]["amount"]["amount"] = json!(zero);
        for v in [fraud, due] {
            let e = parse_event_value(v).unwrap_err();
            assert_eq!(e.path, "detail.amount.amount", "{zero}: {e:?}");
        }
    }
    let mut broke = payment.clone();
    broke["detail"]["balance"]["amount"] = json!("0.00");
    broke["detail"]["amount"]["amount"] = json!("0.01");
    parse_event_value(broke).expect("a zero balance and a payment of one cent are real");
}

#[test]
fn a_departure_in_the_year_9999_is_decided_without_overflow() {
    let mut v: Value = serde_json::from_str(SAMPLES[1]).unwrap();
    v["detail"]["flight"]["scheduled_departure"] = json!("9999-06-30T20:00:00Z");
    v["detail"]["flight"]["estimated_departure"] = json!("9999-06-30T23:00:00Z");
    let e = parse_event_value(v).unwrap();
    let c = customer();
    let d = Engine::default()
        .decide(
            &e,
            &Context {
                customer: Some(&c),
                history: &[],
                seen_before: false,
            },
            e.time.0,
        )
        .unwrap();
    assert!(!d.plan.reasons.is_empty());
}

#[test]
fn html_in_a_merchant_name_is_escaped_in_email_says_what_the_plain_text_says_and_the_sms_stays_within_its_segments() {
    let e = parse_event_value(fraud("<b onclick=\"x()\">Evil & Co</b>")).unwrap();
    let c = customer();
    let engine = Engine::default();
    let email = engine.render(&e, &c, forewarn_core::customer::Channel::Email).unwrap();
    let html = email.html.unwrap();
    assert!(!html.contains("<b onclick"), "{html}");
    // The brackets are gone from both parts; the rest is escaped in the HTML only.
    assert!(html.contains("b onclick=&quot;x()&quot;Evil &amp; Co&#x2f;b"), "{html}");
    assert!(email.body.contains("b onclick=\"x()\"Evil & Co/b"), "{}", email.body);
    let sms = engine.render(&e, &c, forewarn_core::customer::Channel::Sms).unwrap();
    assert!(sms.sms.unwrap().segments <= MAX_SMS_SEGMENTS, "{}", sms.body);

    let long = parse_event_value(fraud(&"Ж".repeat(400))).unwrap();
    let sms = engine.render(&long, &c, forewarn_core::customer::Channel::Sms).unwrap();
    assert!(sms.sms.unwrap().segments <= MAX_SMS_SEGMENTS, "{}", sms.body);
}

/// The fraud sample as text with `from` replaced by `to` once, so a key can be repeated.
fn fraud_text_with(from: &str, to: &str) -> String {
    let text = fraud("Shop").to_string();
    assert!(text.contains(from), "{from} not in the sample");
    text.replacen(from, to, 1)
}

#[test]
fn an_event_with_two_customer_ids_is_rejected_naming_the_key() {
    let text = fraud_text_with(r#""customer_id":"#, r#""customer_id":"c-9999","customer_id":"#);
    let e = parse_event(&text).unwrap_err();
    assert_eq!(e.path, "detail.customer_id", "{e:?}");
    assert!(e.reason.contains("duplicate key `customer_id`"), "{e:?}");
}

#[test]
fn an_event_with_two_details_is_rejected_naming_the_key() {
    let text = fraud_text_with(r#""detail":"#, r#""detail":{},"detail":"#);
    let e = parse_event(&text).unwrap_err();
    assert_eq!(e.path, "detail", "{e:?}");
    assert!(e.reason.contains("duplicate key `detail`"), "{e:?}");
}

#[test]
fn an_event_whose_keys_are_unique_still_parses() {
    assert!(parse_event(&fraud("Shop").to_string()).is_ok());
}

#[test]
fn an_out_of_range_time_is_rejected_saying_what_is_out_of_range_and_naming_the_field() {
    for (time, want) in [
        ("10000-01-01T00:00:00Z", "year 10000 is out of range"),
        ("2026-13-01T00:00:00Z", "month 13 is out of range"),
        ("2026-02-30T00:00:00Z", "day 30 is out of range (2026-02 has 28 days)"),
        ("2026-11-22T08:00:00+26:00", "offset +26:00 is out of range"),
        ("2026-11-22T08:00:00-25:60", "offset -25:60 is out of range"),
    ] {
        let mut v = fraud("Shop");
        v["detail"]["occurred_at"] = json!(time);
        let e = parse_event_value(v).unwrap_err();
        assert_eq!(e.path, "detail.occurred_at", "{time}: {e:?}");
        assert!(e.reason.contains(want), "{time}: {e:?}");
        assert!(!e.reason.contains("RFC 3339"), "{time}: {e:?}");
        let mut v = fraud("Shop");
        v["time"] = json!(time);
        assert_eq!(parse_event_value(v).unwrap_err().path, "time", "{time}");
    }
}

#[test]
fn a_time_that_is_not_a_time_at_all_is_still_called_not_rfc_3339() {
    let mut v = fraud("Shop");
    v["detail"]["occurred_at"] = json!("yesterday");
    let e = parse_event_value(v).unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.reason.as_str()),
        ("detail.occurred_at", "not an RFC 3339 time")
    );
}
