//! The explain report built from stored rows without AWS: local times, order, narrowing, masking and errors.

use super::*;
use serde_json::{Value, json};

const PHONE: &str = "+12025550147";
const EMAIL: &str = "marta.secret@example.com";

fn now() -> Timestamp {
    "2026-11-23T15:15:00Z".parse().unwrap() // 10:15 in New York
}

fn id(s: &str) -> Id {
    Id::parse(s).unwrap()
}

fn profile(patch: Value) -> Value {
    let mut p = json!({"customer_id": "c-7", "name": "Marta Secret", "locale": "en-US",
        "time_zone": "America/New_York", "contacts": {"phone": PHONE, "email": EMAIL},
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "devices": [{"device_id": "ph", "kind": "phone", "platform": "ios",
            "push_endpoint": "arn:aws:sns:us-east-1:1:endpoint/APNS/app/0f3c9a7e", "active_hours": ["Mon-Fri 12:00-14:00"]}]});
    for (k, v) in patch.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn row(event: &str, channel: &str, status: &str, send_at: &str, address: Value) -> StoredDelivery {
    serde_json::from_value(
        json!({"customer_id": "c-7", "event_id": event, "event_time": "2026-11-23T15:00:00Z",
        "detail_type": if event.starts_with("st") { "SuspiciousTransaction" } else { "LowBalance" },
        "subject": "account:A-1", "channel": channel, "urgency": "normal",
        "status": status, "send_at": send_at, "expects_reply": false,
        "device_id": if channel == "push" { json!("ph") } else { Value::Null },
        "address": address, "message": {"subject": null, "title": null, "body": "Your balance is 42.17 EUR",
            "html": null, "deep_link": null, "ttl": null, "expects_reply": false},
        "reasons": [format!("reason of {event} {channel}")], "provider_message_id": null, "failure": null,
        "expires_at": "2026-12-23T15:00:00Z"}),
    )
    .unwrap()
}

fn claim(event: &str, detail_type: &str, time: &str, outcome: &str) -> Claim {
    serde_json::from_value(json!({"event_id": event, "completed": true, "lease_until": time,
        "outcome": outcome, "reasons": [format!("why {event}")],
        "event": {"id": event, "detail-type": detail_type, "time": time,
            "detail": {"customer_id": "c-7", "merchant": {"name": "Electro Mundo"}}}}))
    .unwrap()
}

fn record(profile: Value) -> CustomerRecord {
    let endpoint = json!({"type": "endpoint", "value": "arn:aws:sns:us-east-1:1:endpoint/APNS/app/0f3c9a7e"});
    let mut r = CustomerRecord {
        claims: vec![
            claim("lb-1", "LowBalance", "2026-11-23T15:00:00Z", "scheduled"),
            claim("st-1", "SuspiciousTransaction", "2026-11-23T15:10:00Z", "send_now"),
        ],
        items: 9,
        ..CustomerRecord::default()
    };
    r.partition.profile = Some(serde_json::from_value(profile).unwrap());
    r.partition.deliveries = vec![
        row("lb-1", "push", "scheduled", "2026-11-23T18:00:00Z", endpoint),
        row(
            "st-1",
            "sms",
            "sent",
            "2026-11-23T15:10:00Z",
            json!({"type": "phone", "value": PHONE}),
        ),
        row(
            "st-1",
            "email",
            "failed",
            "2026-11-23T15:10:00Z",
            json!({"type": "email", "value": EMAIL}),
        ),
    ];
    r
}

fn explain(r: &CustomerRecord, event: Option<&str>) -> Result<Report, ExplainError> {
    report(&id("c-7"), r, event.map(id).as_ref(), now())
}

fn text(r: &Report) -> String {
    let mut out = Vec::new();
    write(&mut out, r).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_scheduled_row_is_pending_in_the_customers_local_time_with_how_soon_it_goes_out() {
    let r = explain(&record(profile(json!({}))), None).unwrap();
    assert_eq!(r.pending.len(), 1);
    let p = &r.pending[0];
    assert_eq!(
        (p.event_id.as_str(), p.channel, p.status),
        ("lb-1", Channel::Push, "scheduled")
    );
    assert_eq!(p.send_at.to_string(), "Mon 23 Nov 13:00");
    assert_eq!(p.due.as_deref(), Some("in 2 h 45 min"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["pending"][0]["send_at"], "2026-11-23T13:00:00-05:00");
    assert_eq!(json["now"], "2026-11-23T10:15:00-05:00");
    let out = text(&r);
    assert!(
        out.contains("Mon 23 Nov 13:00  push ph to endpoint/…9a7e · scheduled, in 2 h 45 min · lb-1 (LowBalance)"),
        "{out}"
    );
}

#[test]
fn decisions_and_deliveries_come_newest_first_with_their_reasons() {
    let r = explain(&record(profile(json!({}))), None).unwrap();
    let events: Vec<&str> = r.decisions.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(events, ["st-1", "lb-1"]);
    assert_eq!(r.decisions[0].detail_type.as_deref(), Some("SuspiciousTransaction"));
    assert_eq!(
        (r.decisions[0].outcome.as_str(), &r.decisions[0].reasons[..]),
        ("send_now", &["why st-1".to_owned()][..])
    );
    assert_eq!(r.deliveries[0].event_id, "lb-1", "the later send time first");
    let out = text(&r);
    for needle in [
        "Mon 23 Nov 10:10  SuspiciousTransaction st-1 → send_now",
        "· why st-1",
        "Mon 23 Nov 10:10  sms to +1********47 · sent · st-1 (SuspiciousTransaction)",
        "· reason of st-1 email",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
}

#[test]
fn a_rows_reasons_are_shown_only_where_they_differ_from_its_decisions() {
    let mut rec = record(profile(json!({})));
    rec.partition.deliveries[1].reasons = vec!["why st-1".into()];
    let r = explain(&rec, None).unwrap();
    let out = text(&r);
    assert_eq!(out.matches("· why st-1").count(), 1, "{out}");
    assert_eq!(out.matches("· reason of st-1 email").count(), 1, "{out}");
    assert_eq!(r.deliveries[1].reasons, ["why st-1"], "JSON keeps every row's reasons");
}

#[test]
fn no_phone_number_email_address_name_merchant_or_message_body_is_shown() {
    let mut rec = record(profile(json!({"unusable_contacts": [
        {"channel": "email", "address": EMAIL, "reason": "hard bounce (General) on 2026-11-20"}]})));
    rec.partition.deliveries[2].failure = Some("hard bounce (General) on 2026-11-23".into());
    let r = explain(&rec, None).unwrap();
    let all = format!("{}\n{}", text(&r), serde_json::to_string(&r).unwrap());
    for secret in [
        PHONE,
        &PHONE[1..],
        EMAIL,
        "marta.secret",
        "Marta",
        "Electro Mundo",
        "42.17",
        "0f3c9a7e",
    ] {
        assert!(!all.contains(secret), "{secret:?} is shown:\n{all}");
    }
    for masked in ["+1********47", "m***@example.com", "endpoint/…9a7e"] {
        assert!(all.contains(masked), "{masked:?} is missing:\n{all}");
    }
}

#[test]
fn without_a_profile_zone_it_is_inferred_from_the_phones_country_and_said_so() {
    let p = profile(json!({"time_zone": null, "contacts": {"phone": "+351912345678"}}));
    let r = explain(&record(p), None).unwrap();
    assert_eq!(r.state.time_zone_source, "phone_country");
    assert!(r.state.time_zone.starts_with("Europe/Lisbon"), "{}", r.state.time_zone);
    assert!(
        r.state
            .time_zone_reason
            .contains("inferred from the phone's country (PT)"),
        "{}",
        r.state.time_zone_reason
    );
    assert_eq!(r.pending[0].send_at.to_string(), "Mon 23 Nov 18:00", "in Lisbon's time");
}

#[test]
fn quiet_hours_now_say_until_when_and_outside_them_from_when() {
    let quiet = profile(json!({"quiet_hours": {"start": "09:00", "end": "11:30"}}));
    let r = explain(&record(quiet), None).unwrap();
    assert!(r.state.quiet_now);
    assert!(
        text(&r).contains("quiet hours  09:00–11:30 (profile): quiet now, until Mon 23 Nov 11:30"),
        "{}",
        text(&r)
    );
    let r = explain(&record(profile(json!({"quiet_hours": null}))), None).unwrap();
    assert!(!r.state.quiet_now);
    assert!(
        text(&r).contains("21:00–08:00 (default): not quiet now; quiet from Mon 23 Nov 21:00"),
        "{}",
        text(&r)
    );
}

#[test]
fn habits_opt_outs_unusable_addresses_and_disabled_devices_are_shown() {
    let mut weights = vec![0.0; 168];
    weights[20] = 12.0; // Mon 20:00
    let p = profile(json!({"opted_out": ["email"], "unusable_contacts": [
            {"channel": "email", "address": "old@example.org", "reason": "complaint (abuse) on 2026-11-01"}],
        "devices": [
            {"device_id": "ph", "kind": "phone", "enabled": false, "disabled_reason": "the push endpoint is disabled",
             "push_endpoint": "arn:aws:sns:us-east-1:1:endpoint/APNS/app/0f3c9a7e"},
            {"device_id": "lap", "kind": "desktop", "last_seen": "2026-11-22T01:00:00Z",
             "habits": {"weights": weights, "sessions": 14, "updated_at": "2026-11-22T01:00:00Z"}}]}));
    let mut rec = record(p);
    rec.opt_outs = vec![(Channel::Sms, "replied STOP on 2026-11-21T09:00:00Z".into())];
    rec.partition.profile.as_mut().unwrap().opted_out.push(Channel::Sms);
    let out = text(&explain(&rec, None).unwrap());
    for needle in [
        "opted out    email (in the profile) · sms (replied STOP on 2026-11-21T09:00:00Z)",
        "unusable     email o***@example.org: complaint (abuse) on 2026-11-01, no longer in the profile",
        "device ph  phone · push endpoint/…9a7e · DISABLED: the push endpoint is disabled",
        "device lap  desktop · no push endpoint · last seen Sat 21 Nov 20:00",
        "usual hours (learned): Mon 20:00-21:00, learned from 14 sessions",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
}

#[test]
fn an_event_narrows_the_report_to_its_decision_and_rows() {
    let r = explain(&record(profile(json!({}))), Some("st-1")).unwrap();
    assert_eq!(r.decisions.len(), 1);
    assert_eq!(r.deliveries.len(), 2);
    assert!(r.pending.is_empty());
    assert!(r.deliveries.iter().all(|d| d.event_id == "st-1"));
    assert!(text(&r).contains("only event st-1"));
}

#[test]
fn an_event_the_customer_never_had_is_an_error_naming_the_option() {
    let e = explain(&record(profile(json!({}))), Some("nope-1")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--event nope-1: customer c-7 has no decision, delivery or resolution of this event"
    );
}

#[test]
fn a_customer_without_a_profile_is_an_error_naming_the_option() {
    let e = explain(&CustomerRecord::default(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--customer c-7: no such customer (the table holds no profile for it)"
    );
}

#[test]
fn how_soon_reads_in_hours_and_minutes_either_way() {
    let t = now();
    let at = |m: i64| t + SignedDuration::from_mins(m);
    assert_eq!(relative(t, at(165)), "in 2 h 45 min");
    assert_eq!(relative(t, at(120)), "in 2 h");
    assert_eq!(relative(t, at(5)), "in 5 min");
    assert_eq!(relative(t, t), "now");
    assert_eq!(relative(t, at(-190)), "3 h 10 min ago");
}
