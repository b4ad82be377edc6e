//! Preferences per kind and per category: a muted reminder is suppressed naming the choice, a
//! critical alert stays on and says so, a channel choice for it is honoured, and a bad choice is refused naming the field.

use forewarn_core::customer::{Channel, Customer};
use forewarn_core::events::{Event, parse_event};
use forewarn_core::policy::{Context, Mute, Outcome, Plan, Policy, Suppression, decide};
use jiff::Timestamp;
use serde_json::{Value, json};

/// A Lisbon customer with every channel usable and a phone, whose choices are `prefs`.
fn customer(prefs: Value) -> Customer {
    let mut c = json!({"customer_id": "c-1", "locale": "en-GB", "time_zone": "Europe/Lisbon",
        "contacts": {"email": "ana@example.com", "phone": "+351912345678"},
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "devices": [{"device_id": "phone", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1",
            "last_seen": "2026-11-20T08:00:00Z", "active_hours": ["Mon-Sun 08:00-21:00"]}]});
    for (k, v) in prefs.as_object().unwrap() {
        c[k] = v.clone();
    }
    Customer::from_json(c).unwrap()
}

fn event(id: &str, detail_type: &str, detail: Value) -> Event {
    parse_event(
        &json!({"version": "0", "id": id, "detail-type": detail_type, "source": "test", "account": "1",
            "time": "2026-11-23T12:00:00Z", "region": "eu-west-1", "resources": [], "detail": detail})
        .to_string(),
    )
    .unwrap()
}

fn application() -> Event {
    event(
        "ai",
        "ApplicationIncomplete",
        json!({"customer_id": "c-1", "application_id": "app-1", "product": "Loan", "missing_items": ["ID"],
            "resume_url": "https://bank.example/r"}),
    )
}

fn payment_due() -> Event {
    event(
        "pd",
        "PaymentDue",
        json!({"customer_id": "c-1", "account_id": "acc-1", "payment_id": "p-1", "payee": "Rent",
            "amount": {"amount": "650.00", "currency": "EUR"}, "due_at": "2026-11-26T09:00:00Z"}),
    )
}

fn fraud() -> Event {
    event(
        "st",
        "SuspiciousTransaction",
        json!({"customer_id": "c-1", "transaction_id": "tx-1", "account_id": "acc-1",
        "amount": {"amount": "99.00", "currency": "EUR"}, "merchant": {"name": "Shop", "city": "Madrid", "country": "ES"},
        "occurred_at": "2026-11-23T11:59:00Z"}),
    )
}

fn plan(c: &Customer, e: &Event) -> Plan {
    let ctx = Context {
        customer: Some(c),
        history: &[],
        seen_before: false,
    };
    decide(
        &Policy::default(),
        e,
        &ctx,
        "2026-11-23T12:00:00Z".parse::<Timestamp>().unwrap(),
    )
}

fn channels(p: &Plan) -> Vec<Channel> {
    p.routes.iter().map(|r| r.channel).collect()
}

#[test]
fn a_muted_kind_is_suppressed_naming_the_customers_choice() {
    let c = customer(json!({"muted_kinds": ["ApplicationIncomplete"]}));
    let p = plan(&c, &application());
    assert_eq!(p.outcome, Outcome::Suppressed, "{:?}", p.reasons);
    assert_eq!(
        p.suppression,
        Some(Suppression::Muted {
            kind: "ApplicationIncomplete".into(),
            by: Mute::Kind
        })
    );
    assert_eq!(
        p.reasons.last().unwrap(),
        "the customer turned off ApplicationIncomplete reminders"
    );
    assert_eq!(p.suppression.unwrap().as_str(), "muted");
    let other = plan(&c, &payment_due());
    assert_ne!(
        other.outcome,
        Outcome::Suppressed,
        "only that kind is off: {:?}",
        other.reasons
    );
}

#[test]
fn a_muted_category_suppresses_every_kind_in_it_and_no_other() {
    let c = customer(json!({"muted_categories": ["account"]}));
    let p = plan(&c, &payment_due());
    assert_eq!(p.outcome, Outcome::Suppressed, "{:?}", p.reasons);
    assert_eq!(
        p.reasons.last().unwrap(),
        "the customer turned off the account category"
    );
    let other = plan(&c, &application());
    assert_ne!(other.outcome, Outcome::Suppressed, "{:?}", other.reasons);
}

#[test]
fn a_critical_kind_in_a_muted_category_is_still_sent_and_the_reasons_say_why() {
    let c = customer(json!({"muted_categories": ["security"], "muted_kinds": ["ApplicationIncomplete"]}));
    let p = plan(&c, &fraud());
    assert_eq!(p.outcome, Outcome::SendNow, "{:?}", p.reasons);
    assert_eq!(channels(&p), [Channel::Sms, Channel::Push]);
    assert!(
        p.reasons.iter().any(|r| r
            == "SuspiciousTransaction is a critical alert: it stays on although the customer turned off the security category"),
        "{:?}",
        p.reasons
    );
    let by_kind = customer(json!({"muted_kinds": ["SuspiciousTransaction"]}));
    let p = plan(&by_kind, &fraud());
    assert_eq!(p.outcome, Outcome::SendNow, "{:?}", p.reasons);
    assert!(
        p.reasons
            .iter()
            .any(|r| r.ends_with("although the customer turned off SuspiciousTransaction reminders")),
        "{:?}",
        p.reasons
    );
    let unmuted = plan(&customer(json!({})), &fraud());
    assert!(
        !unmuted.reasons.iter().any(|r| r.contains("stays on")),
        "{:?}",
        unmuted.reasons
    );
}

#[test]
fn the_customers_channel_choice_for_a_critical_category_is_honoured_even_when_it_is_muted() {
    let c = customer(json!({"channel_preferences": {"security": ["email"]}, "muted_categories": ["security"]}));
    let p = plan(&c, &fraud());
    assert_eq!(p.outcome, Outcome::SendNow, "{:?}", p.reasons);
    assert_eq!(channels(&p), [Channel::Email]);
    assert!(
        p.reasons.iter().any(|r| r.contains("(the customer's preference)")),
        "{:?}",
        p.reasons
    );
}

#[test]
fn a_muted_kind_or_category_the_catalog_lacks_is_refused_naming_the_field() {
    let cases = [
        (
            json!({"muted_kinds": ["Horoscope"]}),
            "muted_kinds[0]",
            "not a kind of the catalog",
        ),
        (
            json!({"muted_kinds": ["PaymentDue", "BalanceRestored"]}),
            "muted_kinds[1]",
            "a resolving kind",
        ),
        (
            json!({"muted_categories": ["account", "cards"]}),
            "muted_categories[1]",
            "not a category of the catalog (security, travel, account, applications)",
        ),
    ];
    for (prefs, path, reason) in cases {
        let mut v = json!({"customer_id": "c-1"});
        for (k, x) in prefs.as_object().unwrap() {
            v[k] = x.clone();
        }
        let e = Customer::from_json(v).expect_err(&prefs.to_string());
        assert_eq!(e.path, path, "{prefs} -> {e}");
        assert!(e.reason.contains(reason), "{prefs} -> {e}");
    }
}

#[test]
fn a_malformed_customer_changed_names_the_muted_kind_at_fault() {
    let json = json!({"version": "0", "id": "ch-1", "detail-type": "CustomerChanged", "source": "com.example.bank.crm",
        "account": "1", "time": "2026-11-20T09:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z", "set": {"muted_kinds": ["Nonsense"]}}});
    let e = parse_event(&json.to_string()).unwrap_err();
    assert!(e.path.ends_with("set.muted_kinds[0]"), "{e}");
    assert!(e.reason.contains("not a kind of the catalog"), "{e}");
}
