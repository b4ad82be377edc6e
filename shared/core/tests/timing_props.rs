//! Properties of timing for any IANA zone and any instant, DST transitions included.

use forewarn_core::customer::Customer;
use forewarn_core::events::{Event, parse_event};
use forewarn_core::policy::{Context, Outcome, Policy, decide};
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;
use serde_json::json;

fn zones() -> Vec<String> {
    let mut z: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_owned()).collect();
    z.sort();
    z
}

/// Instants near the DST changes the issue names, and anywhere in 2000–2040.
fn instant() -> impl Strategy<Value = Timestamp> {
    let dst = prop_oneof![
        Just("2026-03-29T01:00:00Z"),
        Just("2026-10-25T01:00:00Z"),
        Just("2026-03-08T07:00:00Z"),
        Just("2026-11-01T06:00:00Z"),
    ]
    .prop_flat_map(|t| (-36 * 3600i64..36 * 3600).prop_map(move |d| t.parse::<Timestamp>().unwrap() + d.seconds()));
    let any = (946_684_800i64..2_240_524_800).prop_map(|s| Timestamp::from_second(s).unwrap());
    prop_oneof![dst, any]
}

fn hhmm() -> impl Strategy<Value = String> {
    (0u8..24, prop_oneof![Just(0u8), Just(30)]).prop_map(|(h, m)| format!("{h:02}:{m:02}"))
}

fn customer(zone: &str, quiet: Option<(String, String)>, habits: bool) -> Customer {
    let mut c = json!({"customer_id": "c-1", "time_zone": zone,
        "contacts": {"email": "a@example.com", "phone": "+351912345678"},
        "devices": [{"device_id": "p", "kind": "phone", "push_endpoint": "arn:1", "active_hours": if habits { json!(["Mon-Fri 07:00-09:00", "Sat-Sun 02:30-03:30"]) } else { json!([]) }},
                    {"device_id": "d", "kind": "desktop", "active_hours": if habits { json!(["Mon-Fri 19:00-22:00", "Sun 01:30-02:30"]) } else { json!([]) }}]});
    if let Some((s, e)) = quiet {
        c["quiet_hours"] = json!({"start": s, "end": e});
    }
    Customer::from_json(c).unwrap()
}

fn event(kind: u8, at: Timestamp) -> Event {
    let (dt, detail) = match kind {
        0 => (
            "LowBalance",
            json!({"customer_id": "c-1", "account_id": "a", "balance": {"amount": "1.00", "currency": "EUR"}}),
        ),
        1 => (
            "ApplicationIncomplete",
            json!({"customer_id": "c-1", "application_id": "a", "product": "Loan", "missing_items": ["ID"], "resume_url": "https://b.example/r"}),
        ),
        _ => (
            "SuspiciousTransaction",
            json!({"customer_id": "c-1", "transaction_id": "t", "account_id": "a",
            "amount": {"amount": "5.00", "currency": "EUR"}, "merchant": {"name": "M", "city": "C", "country": "PT"}, "occurred_at": at.to_string()}),
        ),
    };
    parse_event(
        &json!({"version": "0", "id": "e", "detail-type": dt, "source": "s", "account": "1", "time": at.to_string(),
        "region": "r", "resources": [], "detail": detail})
        .to_string(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn normal_and_low_messages_never_go_in_quiet_hours_nor_before_the_event(
        zone in prop::sample::select(zones()),
        at in instant(),
        kind in 0u8..2,
        quiet in prop::option::of((hhmm(), hhmm())),
        habits in any::<bool>(),
    ) {
        prop_assume!(quiet.as_ref().is_none_or(|(s, e)| s != e));
        let c = customer(&zone, quiet, habits);
        let e = event(kind, at);
        let p = decide(&Policy::default(), &e, &Context { customer: Some(&c), history: &[], seen_before: false }, at);
        if let Some(send_at) = p.send_at {
            prop_assert!(send_at >= at, "before the event: {send_at} < {at}");
            let local = send_at.to_zoned(c.zone.primary()).time();
            prop_assert!(!c.quiet_hours.contains(local), "{zone}: sent at local {local} inside {} ({:?})", c.quiet_hours, p.reasons);
            prop_assert!(send_at <= at + 72.hours(), "more than 72 h later: {send_at}");
        } else {
            prop_assert_eq!(p.outcome, Outcome::Suppressed);
            prop_assert!(!p.reasons.is_empty());
        }
    }

    #[test]
    fn critical_messages_are_never_delayed(zone in prop::sample::select(zones()), at in instant(), quiet in prop::option::of((hhmm(), hhmm()))) {
        prop_assume!(quiet.as_ref().is_none_or(|(s, e)| s != e));
        let c = customer(&zone, quiet, true);
        let p = decide(&Policy::default(), &event(2, at), &Context { customer: Some(&c), history: &[], seen_before: false }, at);
        prop_assert_eq!(p.outcome, Outcome::SendNow);
        prop_assert_eq!(p.send_at, Some(at));
    }
}

/// A notifying event of a kind with a deadline field (LowBalance's payment, PaymentDue,
/// ApplicationIncomplete's expiry), at `at`, whose deadline is `due`.
fn event_due(kind: u8, at: Timestamp, due: Timestamp) -> Event {
    let (dt, detail) = match kind {
        0 => (
            "LowBalance",
            json!({"customer_id": "c-1", "account_id": "a", "balance": {"amount": "1.00", "currency": "EUR"},
            "upcoming_payment": {"payee": "Rent", "amount": {"amount": "650.00", "currency": "EUR"}, "due_at": due.to_string()}}),
        ),
        1 => (
            "PaymentDue",
            json!({"customer_id": "c-1", "account_id": "a", "payment_id": "p", "payee": "Rent",
            "amount": {"amount": "650.00", "currency": "EUR"}, "due_at": due.to_string()}),
        ),
        _ => (
            "ApplicationIncomplete",
            json!({"customer_id": "c-1", "application_id": "a", "product": "Loan", "missing_items": ["ID"],
            "resume_url": "https://b.example/r", "expires_at": due.to_string()}),
        ),
    };
    parse_event(
        &json!({"version": "0", "id": "e", "detail-type": dt, "source": "s", "account": "1", "time": at.to_string(),
        "region": "r", "resources": [], "detail": detail})
        .to_string(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_message_with_a_deadline_is_never_sent_at_or_after_it_and_breaks_quiet_hours_only_for_it(
        zone in prop::sample::select(zones()),
        at in instant(),
        kind in 0u8..3,
        minutes in -6 * 60i64..60 * 60,
        quiet in prop::option::of((hhmm(), hhmm())),
        habits in any::<bool>(),
    ) {
        prop_assume!(quiet.as_ref().is_none_or(|(s, e)| s != e));
        let c = customer(&zone, quiet, habits);
        let due = at + minutes.minutes();
        let p = decide(&Policy::default(), &event_due(kind, at, due), &Context { customer: Some(&c), history: &[], seen_before: false }, at);
        match p.send_at {
            Some(send_at) => {
                prop_assert!(matches!(p.outcome, Outcome::SendNow | Outcome::Scheduled));
                prop_assert!(send_at >= at, "before the event: {send_at} < {at}");
                prop_assert!(send_at < due, "{zone}: sent at {send_at}, not before the deadline {due} ({:?})", p.reasons);
                let local = send_at.to_zoned(c.zone.primary()).time();
                if c.quiet_hours.contains(local) {
                    prop_assert_eq!(p.outcome, Outcome::SendNow);
                    prop_assert!(p.reasons.iter().any(|r| r.starts_with("sent now despite quiet hours") && r.contains("before they end")), "{:?}", p.reasons);
                    prop_assert!(p.reasons.iter().any(|r| r.contains("the least intrusive reachable one")), "{:?}", p.reasons);
                }
            }
            None => {
                prop_assert_eq!(p.outcome, Outcome::Suppressed);
                prop_assert!(due <= at, "{zone}: nothing sent though the deadline {due} is after {at} ({:?})", p.reasons);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn with_a_zone_inferred_from_the_phone_no_zone_of_that_country_is_in_quiet_hours(
        phone in prop::sample::select(vec!["+351912345678", "+12025550143", "+5511987654321", "+61412345678", "+79161234567"]),
        at in instant(),
        kind in 0u8..2,
    ) {
        let c = Customer::from_json(json!({"customer_id": "c-1", "contacts": {"phone": phone, "email": "a@example.com"},
            "devices": [{"device_id": "d", "kind": "desktop", "active_hours": ["Mon-Fri 19:00-22:00"]}]})).unwrap();
        let p = decide(&Policy::default(), &event(kind, at), &Context { customer: Some(&c), history: &[], seen_before: false }, at);
        if let Some(send_at) = p.send_at {
            prop_assert!(send_at >= at);
            for zone in c.zone.zones() {
                let local = send_at.to_zoned(zone.clone()).time();
                prop_assert!(!c.quiet_hours.contains(local), "{:?}: {local} is quiet ({:?})", zone.iana_name(), p.reasons);
            }
        }
    }
}
