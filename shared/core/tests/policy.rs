//! Every rule of the policy, table-driven: channels, timing, zones, no spam, resolution.

use forewarn_core::customer::{Channel, Customer};
use forewarn_core::events::{Event, parse_event};
use forewarn_core::policy::{
    Context, DeliveryRecord, DeliveryStatus, Intrusion, Outcome, Plan, Policy, Suppression, Urgency, decide,
};
use forewarn_core::types::Id;
use jiff::Timestamp;
use serde_json::{Value, json};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A Lisbon customer with every channel usable, a phone (alerts) and a desktop (tasks).
fn ana() -> Value {
    json!({"customer_id": "c-1", "name": "Ana", "locale": "pt-PT", "time_zone": "Europe/Lisbon",
        "contacts": {"email": "ana@example.com", "phone": "+351912345678"},
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "devices": [
            {"device_id": "phone", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1",
             "last_seen": "2026-11-20T08:00:00Z"},
            {"device_id": "desk", "kind": "desktop", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/2",
             "last_seen": "2026-11-19T08:00:00Z"}]})
}

fn with(mut base: Value, patch: Value) -> Customer {
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    Customer::from_json(base).unwrap()
}

fn event(id: &str, detail_type: &str, time: &str, detail: Value) -> Event {
    parse_event(
        &json!({"version": "0", "id": id, "detail-type": detail_type, "source": "test", "account": "1",
            "time": time, "region": "eu-west-1", "resources": [], "detail": detail})
        .to_string(),
    )
    .unwrap()
}

fn low_balance(time: &str) -> Event {
    event(
        "lb",
        "LowBalance",
        time,
        json!({"customer_id": "c-1", "account_id": "acc-1", "balance": {"amount": "10.00", "currency": "EUR"}}),
    )
}

fn low_balance_due(time: &str, due: &str) -> Event {
    event(
        "lb",
        "LowBalance",
        time,
        json!({"customer_id": "c-1", "account_id": "acc-1", "balance": {"amount": "10.00", "currency": "EUR"},
        "upcoming_payment": {"payee": "Rent", "amount": {"amount": "650.00", "currency": "EUR"}, "due_at": due}}),
    )
}

fn fraud(time: &str) -> Event {
    event(
        "st",
        "SuspiciousTransaction",
        time,
        json!({"customer_id": "c-1", "transaction_id": "tx-1", "account_id": "acc-1",
        "amount": {"amount": "99.00", "currency": "EUR"}, "merchant": {"name": "Shop", "city": "Madrid", "country": "ES"},
        "occurred_at": time}),
    )
}

fn flight(id: &str, time: &str, departure: &str) -> Event {
    event(
        id,
        "FlightDelayed",
        time,
        json!({"customer_id": "c-1", "booking_ref": "B1", "flight": {"number": "TP1",
        "origin": "LIS", "destination": "LHR", "scheduled_departure": departure, "estimated_departure": departure}}),
    )
}

fn application(time: &str, expires: Option<&str>) -> Event {
    let mut d = json!({"customer_id": "c-1", "application_id": "app-1", "product": "Loan", "missing_items": ["ID"],
        "resume_url": "https://bank.example/r"});
    if let Some(e) = expires {
        d["expires_at"] = json!(e);
    }
    event("ai", "ApplicationIncomplete", time, d)
}

fn plan(c: &Customer, e: &Event, now: &str) -> Plan {
    plan_with(c, e, now, &[])
}

fn plan_with(c: &Customer, e: &Event, now: &str, history: &[DeliveryRecord]) -> Plan {
    decide(
        &Policy::default(),
        e,
        &Context {
            customer: Some(c),
            history,
            seen_before: false,
        },
        ts(now),
    )
}

fn channels(p: &Plan) -> Vec<Channel> {
    p.routes.iter().map(|r| r.channel).collect()
}

fn reasons(p: &Plan) -> String {
    p.reasons.join(" | ")
}

fn record(event_id: &str, subject: &str, urgency: Urgency, status: DeliveryStatus, send_at: &str) -> DeliveryRecord {
    DeliveryRecord {
        event_id: Id::parse(event_id).unwrap(),
        event_time: ts(send_at),
        detail_type: forewarn_core::events::DetailType::LowBalance,
        subject: subject.into(),
        channel: Channel::Push,
        urgency,
        status,
        send_at: ts(send_at),
        expects_reply: false,
    }
}

/// (name, customer, event, now, expected send time, outcome, reason fragment)
type TimingCase = (
    &'static str,
    Customer,
    Event,
    &'static str,
    Option<&'static str>,
    Outcome,
    &'static str,
);

const MONDAY_NOON: &str = "2026-11-23T12:00:00Z";

#[test]
fn channels_follow_preferences_defaults_opt_outs_and_reachability() {
    use Channel::*;
    let cases: Vec<(&str, Customer, Event, Vec<Channel>, &str)> = vec![
        (
            "critical goes on every reachable channel of the default list",
            with(ana(), json!({})),
            fraud(MONDAY_NOON),
            vec![Sms, Push],
            "every reachable",
        ),
        (
            "an opted-out channel is never used",
            with(ana(), json!({"opted_out": ["sms"]})),
            fraud(MONDAY_NOON),
            vec![Push],
            "sms skipped: the customer opted out",
        ),
        (
            "critical falls back to email only when neither sms nor push is reachable",
            with(ana(), json!({"opted_out": ["sms"], "devices": []})),
            fraud(MONDAY_NOON),
            vec![Email],
            "falling back to email",
        ),
        (
            "critical falls back outside the customer's list when nothing in it can reach them",
            with(
                ana(),
                json!({"contacts": {"phone": "+351912345678"}, "channel_preferences": {"security": ["email"]}}),
            ),
            fraud(MONDAY_NOON),
            vec![Sms],
            "no channel the customer chose can reach them: a critical alert falls back to sms",
        ),
        (
            "a normal alert never leaves the customer's list",
            with(
                ana(),
                json!({"contacts": {"phone": "+351912345678"}, "channel_preferences": {"account": ["email"]}}),
            ),
            low_balance(MONDAY_NOON),
            vec![],
            "no reachable channel among email",
        ),
        (
            "an invalid phone number makes sms unusable, with the reason",
            with(
                ana(),
                json!({"contacts": {"phone": "12345", "email": "ana@example.com"}}),
            ),
            fraud(MONDAY_NOON),
            vec![Push],
            "phone number unusable",
        ),
        (
            "push needs an enabled device with an endpoint",
            with(
                ana(),
                json!({"devices": [{"device_id": "p", "kind": "phone", "enabled": false, "push_endpoint": "arn:x"},
                                            {"device_id": "q", "kind": "phone"}]}),
            ),
            flight("f", MONDAY_NOON, "2026-11-23T18:00:00Z"),
            vec![Sms],
            "push skipped: no enabled device with a push endpoint",
        ),
        (
            "travel defaults to push first, and only one channel",
            with(ana(), json!({})),
            flight("f", MONDAY_NOON, "2026-11-23T18:00:00Z"),
            vec![Push],
            "first reachable of push → sms → email (the default)",
        ),
        (
            "account defaults to push first",
            with(ana(), json!({})),
            low_balance(MONDAY_NOON),
            vec![Push],
            "push → email → sms",
        ),
        (
            "applications default to email first",
            with(ana(), json!({})),
            application(MONDAY_NOON, None),
            vec![Email],
            "email → push → sms",
        ),
        (
            "the customer's preference gives the order",
            with(ana(), json!({"channel_preferences": {"account": ["sms", "push"]}})),
            low_balance(MONDAY_NOON),
            vec![Sms],
            "(the customer's preference)",
        ),
        (
            "the next channel is used when the first is unreachable",
            with(ana(), json!({"contacts": {"phone": "+351912345678"}})),
            application(MONDAY_NOON, None),
            vec![Push],
            "email skipped: no email address",
        ),
    ];
    for (name, customer, event, want, reason) in cases {
        let p = plan(&customer, &event, MONDAY_NOON);
        assert_eq!(channels(&p), want, "{name}: {}", reasons(&p));
        assert!(reasons(&p).contains(reason), "{name}: {}", reasons(&p));
    }
}

#[test]
fn no_reachable_channel_suppresses_with_the_reason() {
    let c = with(ana(), json!({"contacts": {}, "devices": []}));
    let p = plan(&c, &fraud(MONDAY_NOON), MONDAY_NOON);
    assert_eq!(p.outcome, Outcome::Suppressed);
    assert!(reasons(&p).contains("no reachable channel"), "{}", reasons(&p));
}

#[test]
fn push_goes_to_the_device_that_fits_the_message_seen_most_recently() {
    let devices = json!({"channel_preferences": {"account": ["push"], "applications": ["push"]}, "devices": [
        {"device_id": "old-phone", "kind": "phone", "push_endpoint": "arn:1", "last_seen": "2026-11-01T00:00:00Z"},
        {"device_id": "watch", "kind": "watch", "push_endpoint": "arn:2", "last_seen": "2026-11-22T00:00:00Z"},
        {"device_id": "tablet", "kind": "tablet", "push_endpoint": "arn:3", "last_seen": "2026-11-23T00:00:00Z"},
        {"device_id": "desk", "kind": "desktop", "push_endpoint": "arn:4", "last_seen": "2026-11-10T00:00:00Z"}]});
    let c = with(ana(), devices);
    let alert = plan(&c, &low_balance(MONDAY_NOON), MONDAY_NOON);
    assert_eq!(
        alert.routes[0].device_id.as_ref().unwrap().as_str(),
        "watch",
        "{}",
        reasons(&alert)
    );
    let task = plan(&c, &application(MONDAY_NOON, None), MONDAY_NOON);
    assert_eq!(
        task.routes[0].device_id.as_ref().unwrap().as_str(),
        "tablet",
        "{}",
        reasons(&task)
    );
}

#[test]
fn a_device_unseen_for_270_days_is_retired_and_a_dead_one_is_named_with_its_reason() {
    let devices = json!({"channel_preferences": {"travel": ["push", "email"]}, "devices": [
        {"device_id": "old-phone", "kind": "phone", "push_endpoint": "arn:1", "last_seen": "2026-02-20T00:00:00Z"},
        {"device_id": "tablet", "kind": "tablet", "push_endpoint": "arn:2", "last_seen": "2026-11-20T00:00:00Z",
         "disabled_reason": "the push service rejected the token (EndpointDisabled) on 2026-11-21"}]});
    let c = with(ana(), devices);
    let p = plan(&c, &flight("fd-1", MONDAY_NOON, "2026-11-23T18:00:00Z"), MONDAY_NOON);
    assert_eq!(channels(&p), [Channel::Email], "{}", reasons(&p));
    let why = reasons(&p);
    assert!(
        why.contains("push skipped: no enabled device with a push endpoint (")
            && why.contains("old-phone: not seen since 2026-02-20 (over 270 days), retired")
            && why.contains("tablet: the push service rejected the token (EndpointDisabled) on 2026-11-21"),
        "{why}"
    );
    let seen_lately = with(
        ana(),
        json!({"channel_preferences": {"travel": ["push", "email"]}, "devices": [
        {"device_id": "old-phone", "kind": "phone", "push_endpoint": "arn:1", "last_seen": "2026-03-01T00:00:00Z"}]}),
    );
    let p = plan(
        &seen_lately,
        &flight("fd-2", MONDAY_NOON, "2026-11-23T18:00:00Z"),
        MONDAY_NOON,
    );
    assert_eq!(
        channels(&p),
        [Channel::Push],
        "267 days unseen is not yet retired: {}",
        reasons(&p)
    );
}

#[test]
fn timing_follows_urgency_quiet_hours_and_habits() {
    // (name, customer, event, now, want send_at, outcome, reason fragment)
    let habits = json!({"devices": [
        {"device_id": "phone", "kind": "phone", "push_endpoint": "arn:1", "active_hours": ["Mon-Fri 07:00-09:00", "Mon-Sun 12:00-14:00"]},
        {"device_id": "desk", "kind": "desktop", "active_hours": ["Mon-Fri 19:00-22:00"]}]});
    let no_habits = json!({"devices": [{"device_id": "phone", "kind": "phone", "push_endpoint": "arn:1"}]});
    let cases: Vec<TimingCase> = vec![
        (
            "critical goes now at 3 a.m.",
            with(ana(), json!({})),
            fraud("2026-11-23T03:00:00Z"),
            "2026-11-23T03:00:00Z",
            Some("2026-11-23T03:00:00Z"),
            Outcome::SendNow,
            "any hour",
        ),
        (
            "high goes now outside quiet hours",
            with(ana(), json!({})),
            flight("f", "2026-11-23T10:00:00Z", "2026-11-23T18:00:00Z"),
            "2026-11-23T10:00:00Z",
            Some("2026-11-23T10:00:00Z"),
            Outcome::SendNow,
            "sent now",
        ),
        (
            "high in quiet hours waits for their end when that is 3 h before departure",
            with(ana(), json!({})),
            flight("f", "2026-11-23T02:00:00Z", "2026-11-23T11:00:00Z"),
            "2026-11-23T02:00:00Z",
            Some("2026-11-23T08:00:00Z"),
            Outcome::Scheduled,
            "deferred to 08:00 Europe/Lisbon (Mon 23 Nov): quiet hours 22:00–08:00",
        ),
        (
            "high in quiet hours goes now when departure is too close",
            with(ana(), json!({})),
            flight("f", "2026-11-23T02:00:00Z", "2026-11-23T10:59:00Z"),
            "2026-11-23T02:00:00Z",
            Some("2026-11-23T02:00:00Z"),
            Outcome::SendNow,
            "too close to wait",
        ),
        (
            "high after departure is too late",
            with(ana(), json!({})),
            flight("f", "2026-11-23T12:00:00Z", "2026-11-23T11:00:00Z"),
            "2026-11-23T12:00:00Z",
            None,
            Outcome::Suppressed,
            "too late",
        ),
        (
            "normal in quiet hours waits for the first usual moment after them",
            with(ana(), habits.clone()),
            low_balance("2026-11-22T23:30:00Z"),
            "2026-11-22T23:30:00Z",
            Some("2026-11-23T08:00:00Z"),
            Outcome::Scheduled,
            "usually on phone phone",
        ),
        (
            "normal outside usual hours waits for the next usual window within 12 h",
            with(ana(), habits.clone()),
            low_balance("2026-11-23T09:30:00Z"),
            "2026-11-23T09:30:00Z",
            Some("2026-11-23T12:00:00Z"),
            Outcome::Scheduled,
            "Mon-Sun 12:00-14:00",
        ),
        (
            "normal inside a usual window goes now",
            with(ana(), habits.clone()),
            low_balance("2026-11-23T12:30:00Z"),
            "2026-11-23T12:30:00Z",
            Some("2026-11-23T12:30:00Z"),
            Outcome::SendNow,
            "sent now",
        ),
        (
            "normal without habits goes at the earliest allowed moment",
            with(ana(), no_habits.clone()),
            low_balance("2026-11-22T23:30:00Z"),
            "2026-11-22T23:30:00Z",
            Some("2026-11-23T08:00:00Z"),
            Outcome::Scheduled,
            "no usual hours within 12 h",
        ),
        (
            "normal does not wait past 24 h before the payment is due",
            with(ana(), habits.clone()),
            low_balance_due("2026-11-23T09:30:00Z", "2026-11-24T11:00:00Z"),
            "2026-11-23T09:30:00Z",
            Some("2026-11-23T09:30:00Z"),
            Outcome::SendNow,
            "payment is due",
        ),
        (
            "low waits for the customer's usual desktop time",
            with(ana(), habits.clone()),
            application("2026-11-23T10:00:00Z", None),
            "2026-11-23T10:00:00Z",
            Some("2026-11-23T19:00:00Z"),
            Outcome::Scheduled,
            "usually on desktop desk",
        ),
        (
            "low without desktop habits goes at the next allowed 19:00",
            with(ana(), no_habits.clone()),
            application("2026-11-23T20:00:00Z", None),
            "2026-11-23T20:00:00Z",
            Some("2026-11-24T19:00:00Z"),
            Outcome::Scheduled,
            "so the next 19:00",
        ),
        (
            "low must go before the application's expiry minus 24 h",
            with(ana(), habits.clone()),
            application("2026-11-23T10:00:00Z", Some("2026-11-24T15:00:00Z")),
            "2026-11-23T10:00:00Z",
            Some("2026-11-23T10:00:00Z"),
            Outcome::SendNow,
            "before the deadline",
        ),
        (
            "low for an expired application is suppressed",
            with(ana(), habits),
            application("2026-11-23T10:00:00Z", Some("2026-11-23T09:00:00Z")),
            "2026-11-23T10:00:00Z",
            None,
            Outcome::Suppressed,
            "expired",
        ),
    ];
    for (name, customer, event, now, want, outcome, reason) in cases {
        let p = plan(&customer, &event, now);
        assert_eq!(p.send_at, want.map(ts), "{name}: {}", reasons(&p));
        assert_eq!(p.outcome, outcome, "{name}: {}", reasons(&p));
        assert!(reasons(&p).contains(reason), "{name}: {}", reasons(&p));
    }
}

#[test]
fn without_a_profile_zone_the_phone_country_decides_and_every_zone_must_agree() {
    let c = with(
        ana(),
        json!({"time_zone": null, "quiet_hours": null, "devices": [{"device_id": "p", "kind": "phone", "push_endpoint": "arn:1"}]}),
    );
    // 08:30 in Lisbon is 07:30 in the Azores: still quiet there (default 21:00–08:00).
    let p = plan(&c, &low_balance("2026-11-23T08:30:00Z"), "2026-11-23T08:30:00Z");
    assert_eq!(p.send_at, Some(ts("2026-11-23T09:00:00Z")), "{}", reasons(&p));
    assert!(
        reasons(&p).contains("inferred from the phone's country (PT)"),
        "{}",
        reasons(&p)
    );
}

#[test]
fn an_unknown_zone_means_utc_and_the_reason_says_so() {
    let c = with(
        ana(),
        json!({"time_zone": null, "contacts": {"email": "ana@example.com"}}),
    );
    let p = plan(&c, &low_balance("2026-11-23T07:30:00Z"), "2026-11-23T07:30:00Z");
    assert_eq!(p.send_at, Some(ts("2026-11-23T08:00:00Z")), "{}", reasons(&p));
    assert!(reasons(&p).contains("using UTC"), "{}", reasons(&p));
}

#[test]
fn an_unknown_customer_is_suppressed_with_the_reason() {
    let p = decide(
        &Policy::default(),
        &fraud(MONDAY_NOON),
        &Context {
            customer: None,
            history: &[],
            seen_before: false,
        },
        ts(MONDAY_NOON),
    );
    assert_eq!(p.outcome, Outcome::Suppressed);
    assert!(reasons(&p).contains("unknown customer c-1"));
}

#[test]
fn an_event_seen_before_is_suppressed_as_a_duplicate() {
    let c = with(ana(), json!({}));
    let p = decide(
        &Policy::default(),
        &fraud(MONDAY_NOON),
        &Context {
            customer: Some(&c),
            history: &[],
            seen_before: true,
        },
        ts(MONDAY_NOON),
    );
    assert_eq!(p.outcome, Outcome::Suppressed);
    assert!(reasons(&p).contains("duplicate"));
}

#[test]
fn repeats_of_a_subject_are_suppressed_within_their_window() {
    let c = with(ana(), json!({}));
    let cases = [
        (
            "low balance pending",
            low_balance(MONDAY_NOON),
            record(
                "old",
                "account:acc-1",
                Urgency::Normal,
                DeliveryStatus::Scheduled,
                "2026-11-24T08:00:00Z",
            ),
            true,
        ),
        (
            "low balance sent 23 h ago",
            low_balance(MONDAY_NOON),
            record(
                "old",
                "account:acc-1",
                Urgency::Normal,
                DeliveryStatus::Sent,
                "2026-11-22T13:00:00Z",
            ),
            true,
        ),
        (
            "low balance sent 25 h ago",
            low_balance(MONDAY_NOON),
            record(
                "old",
                "account:acc-1",
                Urgency::Normal,
                DeliveryStatus::Sent,
                "2026-11-22T11:00:00Z",
            ),
            false,
        ),
        (
            "low balance cancelled",
            low_balance(MONDAY_NOON),
            record(
                "old",
                "account:acc-1",
                Urgency::Normal,
                DeliveryStatus::Cancelled,
                "2026-11-23T08:00:00Z",
            ),
            false,
        ),
        (
            "another account",
            low_balance(MONDAY_NOON),
            record(
                "old",
                "account:acc-2",
                Urgency::Critical,
                DeliveryStatus::Sent,
                "2026-11-23T08:00:00Z",
            ),
            false,
        ),
        (
            "application sent 71 h ago",
            application(MONDAY_NOON, None),
            record(
                "old",
                "application:app-1",
                Urgency::Low,
                DeliveryStatus::Sent,
                "2026-11-20T13:00:00Z",
            ),
            true,
        ),
        (
            "application sent 73 h ago",
            application(MONDAY_NOON, None),
            record(
                "old",
                "application:app-1",
                Urgency::Low,
                DeliveryStatus::Sent,
                "2026-11-20T11:00:00Z",
            ),
            false,
        ),
    ];
    for (name, event, rec, suppressed) in cases {
        let p = plan_with(&c, &event, MONDAY_NOON, &[rec]);
        assert_eq!(p.outcome == Outcome::Suppressed, suppressed, "{name}: {}", reasons(&p));
        if suppressed {
            assert!(reasons(&p).contains("already"), "{name}: {}", reasons(&p));
        }
    }
}

#[test]
fn a_newer_flight_delay_cancels_the_pending_one_and_is_decided_afresh() {
    let c = with(ana(), json!({}));
    let mut old = record(
        "f1",
        "flight:B1:TP1",
        Urgency::High,
        DeliveryStatus::Scheduled,
        "2026-11-23T08:00:00Z",
    );
    old.event_time = ts("2026-11-23T02:00:00Z");
    let p = plan_with(
        &c,
        &flight("f2", "2026-11-23T03:00:00Z", "2026-11-23T14:00:00Z"),
        "2026-11-23T03:00:00Z",
        &[old.clone()],
    );
    assert_eq!(p.cancellations.len(), 1);
    assert_eq!(p.cancellations[0].event_id.as_str(), "f1");
    assert_eq!(p.outcome, Outcome::Scheduled, "{}", reasons(&p));
    // An older update arriving late is stale.
    let stale = plan_with(
        &c,
        &flight("f0", "2026-11-23T01:00:00Z", "2026-11-23T14:00:00Z"),
        "2026-11-23T03:00:00Z",
        &[old],
    );
    assert_eq!(stale.outcome, Outcome::Suppressed);
    assert!(reasons(&stale).contains("stale"));
}

#[test]
fn normal_and_low_messages_are_capped_at_two_per_rolling_day_but_urgent_ones_never() {
    let c = with(
        ana(),
        json!({"devices": [{"device_id": "p", "kind": "phone", "push_endpoint": "arn:1"}]}),
    );
    let history = [
        record(
            "a",
            "account:x",
            Urgency::Normal,
            DeliveryStatus::Sent,
            "2026-11-23T09:00:00Z",
        ),
        record(
            "b",
            "account:y",
            Urgency::Low,
            DeliveryStatus::Scheduled,
            "2026-11-23T19:00:00Z",
        ),
        record(
            "z",
            "account:z",
            Urgency::Critical,
            DeliveryStatus::Sent,
            "2026-11-23T11:00:00Z",
        ),
    ];
    let capped = plan_with(&c, &low_balance(MONDAY_NOON), MONDAY_NOON, &history);
    assert_eq!(capped.outcome, Outcome::Suppressed);
    assert!(reasons(&capped).contains("frequency cap"), "{}", reasons(&capped));
    let one_cancelled = [
        history[0].clone(),
        DeliveryRecord {
            status: DeliveryStatus::Cancelled,
            ..history[1].clone()
        },
    ];
    assert_eq!(
        plan_with(&c, &low_balance(MONDAY_NOON), MONDAY_NOON, &one_cancelled).outcome,
        Outcome::SendNow
    );
    assert_eq!(
        plan_with(&c, &fraud(MONDAY_NOON), MONDAY_NOON, &history).outcome,
        Outcome::SendNow
    );
    assert_eq!(
        plan_with(
            &c,
            &flight("f", MONDAY_NOON, "2026-11-23T18:00:00Z"),
            MONDAY_NOON,
            &history
        )
        .outcome,
        Outcome::SendNow
    );
    let loose = Policy {
        daily_cap: 3,
        ..Policy::default()
    };
    let p = decide(
        &loose,
        &low_balance(MONDAY_NOON),
        &Context {
            customer: Some(&c),
            history: &history,
            seen_before: false,
        },
        ts(MONDAY_NOON),
    );
    assert_eq!(p.outcome, Outcome::SendNow, "the cap is configurable");
}

#[test]
fn resolving_events_cancel_pending_notices_and_close_open_questions() {
    let c = with(ana(), json!({}));
    let pending = record(
        "lb-1",
        "account:acc-1",
        Urgency::Normal,
        DeliveryStatus::Scheduled,
        "2026-11-24T08:00:00Z",
    );
    let restored = event(
        "br",
        "BalanceRestored",
        MONDAY_NOON,
        json!({"customer_id": "c-1", "account_id": "acc-1"}),
    );
    let p = plan_with(&c, &restored, MONDAY_NOON, std::slice::from_ref(&pending));
    assert_eq!(p.outcome, Outcome::Resolved);
    assert_eq!(
        p.cancellations.iter().map(|c| c.event_id.as_str()).collect::<Vec<_>>(),
        ["lb-1"]
    );

    let app = DeliveryRecord {
        subject: "application:app-1".into(),
        ..pending.clone()
    };
    let done = event(
        "ac",
        "ApplicationCompleted",
        MONDAY_NOON,
        json!({"customer_id": "c-1", "application_id": "app-1"}),
    );
    assert_eq!(plan_with(&c, &done, MONDAY_NOON, &[app]).cancellations.len(), 1);

    let question = DeliveryRecord {
        subject: "transaction:tx-1".into(),
        status: DeliveryStatus::Sent,
        expects_reply: true,
        ..pending
    };
    for dt in ["TransactionConfirmed", "TransactionDisputed"] {
        let answer = event(
            "ans",
            dt,
            MONDAY_NOON,
            json!({"customer_id": "c-1", "transaction_id": "tx-1"}),
        );
        let p = plan_with(&c, &answer, MONDAY_NOON, std::slice::from_ref(&question));
        assert_eq!(p.closes.iter().map(Id::as_str).collect::<Vec<_>>(), ["lb-1"], "{dt}");
        assert!(p.cancellations.is_empty());
    }
}

fn payment_due(time: &str, due: &str) -> Event {
    event(
        "pd",
        "PaymentDue",
        time,
        json!({"customer_id": "c-1", "account_id": "acc-1", "payment_id": "dd-1", "payee": "Rent",
        "amount": {"amount": "650.00", "currency": "EUR"}, "due_at": due}),
    )
}

/// 23:00 in Lisbon (WET in November), inside Ana's quiet hours 22:00–08:00.
const MONDAY_NIGHT: &str = "2026-11-23T23:00:00Z";
/// 07:00 in Lisbon the next morning: before quiet hours end.
const TUESDAY_DAWN: &str = "2026-11-24T07:00:00Z";

#[test]
fn a_low_balance_at_night_with_rent_due_at_dawn_goes_out_now_by_email_saying_why() {
    let p = plan(
        &with(ana(), json!({})),
        &low_balance_due(MONDAY_NIGHT, TUESDAY_DAWN),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(p.send_at, Some(ts(MONDAY_NIGHT)));
    assert!(p.send_at.unwrap() < ts(TUESDAY_DAWN));
    assert_eq!(channels(&p), vec![Channel::Email], "{}", reasons(&p));
    assert_eq!(p.routes[0].intrusion, Intrusion::Normal);
    let r = reasons(&p);
    assert!(
        r.contains(
            "sent now despite quiet hours 22:00–08:00: the payment is due 07:00 Europe/Lisbon (Tue 24 Nov) \
             (`upcoming_payment.due_at`), before they end at 08:00 Europe/Lisbon (Tue 24 Nov)"
        ),
        "{r}"
    );
    assert!(
        r.contains("channel email: the least intrusive reachable one of push → email → sms (the default), as quiet hours are broken"),
        "{r}"
    );
    assert!(
        !r.contains("deferred") && !r.contains("quiet hours 22:00–08:00 until"),
        "{r}"
    );
}

#[test]
fn a_payment_due_before_quiet_hours_end_goes_out_now_too() {
    let p = plan(
        &with(ana(), json!({})),
        &payment_due(MONDAY_NIGHT, TUESDAY_DAWN),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(p.send_at, Some(ts(MONDAY_NIGHT)));
    assert_eq!(channels(&p), vec![Channel::Email]);
    assert!(
        reasons(&p).contains("the payment is due 07:00 Europe/Lisbon (Tue 24 Nov) (`due_at`)"),
        "{}",
        reasons(&p)
    );
}

#[test]
fn a_customer_who_opted_out_of_email_gets_the_deadline_notice_as_a_passive_push() {
    let p = plan(
        &with(ana(), json!({"opted_out": ["email"]})),
        &low_balance_due(MONDAY_NIGHT, TUESDAY_DAWN),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(channels(&p), vec![Channel::Push], "{}", reasons(&p));
    assert_eq!(p.routes[0].intrusion, Intrusion::Passive);
    assert_eq!(p.routes[0].device_id.as_ref().unwrap().as_str(), "phone");
    assert!(
        reasons(&p).contains("email skipped: the customer opted out"),
        "{}",
        reasons(&p)
    );
    assert!(reasons(&p).contains("as a passive push"), "{}", reasons(&p));
}

#[test]
fn a_customer_reachable_only_by_sms_gets_the_deadline_notice_by_sms_now() {
    let p = plan(
        &with(ana(), json!({"contacts": {"phone": "+351912345678"}, "devices": []})),
        &low_balance_due(MONDAY_NIGHT, TUESDAY_DAWN),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(channels(&p), vec![Channel::Sms], "{}", reasons(&p));
    assert_eq!(p.routes[0].intrusion, Intrusion::Normal);
}

#[test]
fn a_deadline_already_past_is_suppressed_at_decision_time_never_scheduled() {
    for now in [MONDAY_NIGHT, MONDAY_NOON] {
        let p = plan(
            &with(ana(), json!({})),
            &low_balance_due(now, "2026-11-23T11:00:00Z"),
            now,
        );
        assert_eq!(p.outcome, Outcome::Suppressed, "at {now}: {}", reasons(&p));
        assert_eq!(p.send_at, None);
        assert!(
            matches!(p.suppression, Some(Suppression::Overdue { .. })),
            "{:?}",
            p.suppression
        );
        assert!(
            reasons(&p).ends_with(
                "time zone Europe/Lisbon from the profile | suppressed: too late, the payment was due 11:00 Europe/Lisbon (Mon 23 Nov)"
            ),
            "no word of a moment that will not happen: {}",
            reasons(&p)
        );
    }
    let late = plan(
        &with(ana(), json!({})),
        &application(MONDAY_NIGHT, Some("2026-11-23T22:30:00Z")),
        MONDAY_NIGHT,
    );
    assert_eq!(late.outcome, Outcome::Suppressed, "{}", reasons(&late));
    assert!(
        reasons(&late).contains("the application expired at"),
        "{}",
        reasons(&late)
    );
}

#[test]
fn a_deadline_after_quiet_hours_end_keeps_their_end_and_says_the_lead_fell_in_them() {
    let no_habits = json!({"devices": [{"device_id": "phone", "kind": "phone", "push_endpoint": "arn:1"}]});
    let cases = [
        (
            MONDAY_NIGHT,
            "2026-11-24T10:00:00Z",
            "the payment is due 10:00 Europe/Lisbon (Tue 24 Nov), within its 24 h lead: at the end of quiet hours, 2 h before",
        ),
        (
            "2026-11-23T01:00:00Z",
            "2026-11-24T05:00:00Z",
            "the payment is due 05:00 Europe/Lisbon (Tue 24 Nov): its 24 h lead begins inside quiet hours, so at their end, 21 h before",
        ),
    ];
    for (now, due, why) in cases {
        let p = plan(&with(ana(), no_habits.clone()), &low_balance_due(now, due), now);
        assert_eq!(p.outcome, Outcome::Scheduled, "{}", reasons(&p));
        let end_of_quiet = if now == MONDAY_NIGHT {
            "2026-11-24T08:00:00Z"
        } else {
            "2026-11-23T08:00:00Z"
        };
        assert_eq!(p.send_at, Some(ts(end_of_quiet)), "{}", reasons(&p));
        assert!(p.send_at.unwrap() < ts(due));
        assert_eq!(
            channels(&p),
            vec![Channel::Push],
            "quiet hours are kept: the usual channel"
        );
        assert_eq!(p.routes[0].intrusion, Intrusion::Normal);
        assert!(reasons(&p).contains(why), "{}", reasons(&p));
    }
}

#[test]
fn an_application_expiring_before_quiet_hours_end_goes_out_now_by_email() {
    let p = plan(
        &with(ana(), json!({})),
        &application(MONDAY_NIGHT, Some(TUESDAY_DAWN)),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(channels(&p), vec![Channel::Email]);
    assert!(
        reasons(&p)
            .contains("the application expires 07:00 Europe/Lisbon (Tue 24 Nov) (`expires_at`), before they end"),
        "{}",
        reasons(&p)
    );
}

#[test]
fn a_late_notice_with_no_deadline_of_its_own_is_dropped_rather_than_breaking_quiet_hours() {
    // Arrived 19 h after it happened: it matters until 04:00, quiet hours last until 08:00.
    let p = plan(
        &with(ana(), json!({})),
        &low_balance("2026-11-23T04:00:00Z"),
        MONDAY_NIGHT,
    );
    assert_eq!(p.outcome, Outcome::Suppressed, "{}", reasons(&p));
    assert!(
        matches!(p.suppression, Some(Suppression::NoMomentBefore { .. })),
        "{:?}",
        p.suppression
    );
    assert!(
        reasons(&p).ends_with(
            "suppressed: no moment outside quiet hours 22:00–08:00 before the notice stops mattering \
             04:00 Europe/Lisbon (Tue 24 Nov), a day after the event"
        ),
        "{}",
        reasons(&p)
    );
}

#[test]
fn a_flight_delay_in_quiet_hours_keeps_its_own_departure_rule_and_its_usual_channel() {
    let p = plan(
        &with(ana(), json!({})),
        &flight("f", "2026-11-23T02:00:00Z", "2026-11-23T07:00:00Z"),
        "2026-11-23T02:00:00Z",
    );
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(channels(&p), vec![Channel::Push]);
    assert_eq!(p.routes[0].intrusion, Intrusion::Normal);
    assert!(reasons(&p).contains("too close to wait"), "{}", reasons(&p));
}

#[test]
fn a_critical_alert_that_arrives_two_days_late_still_goes_out_now() {
    let p = plan(&with(ana(), json!({})), &fraud("2026-11-21T12:00:00Z"), MONDAY_NOON);
    assert_eq!(p.outcome, Outcome::SendNow, "{}", reasons(&p));
    assert_eq!(p.send_at, Some(ts(MONDAY_NOON)));
}
