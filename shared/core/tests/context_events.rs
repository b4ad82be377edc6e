//! The context events' contracts: each parses into its typed change, and malformed input is rejected naming the field.

use forewarn_core::events::{ContextChange, Detail, DetailType, ProfileField, PushPlatform, parse_event};
use serde_json::{Value, json};

fn envelope(detail_type: &str, detail: Value) -> String {
    json!({"version": "0", "id": "ctx-1", "detail-type": detail_type, "source": "com.example.bank.crm",
        "account": "123456789012", "time": "2026-11-20T09:00:00Z", "region": "eu-west-1",
        "resources": [], "detail": detail})
    .to_string()
}

fn registration(token: Value) -> Value {
    json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z", "device_id": "d-1",
        "token": token, "platform": "fcm", "kind": "tablet", "app": "com.example.bank"})
}

#[test]
fn each_context_event_parses_into_its_typed_change() {
    let cases = [
        (
            envelope(
                "CustomerUpserted",
                json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z",
                "profile": {"locale": "pt-PT", "contacts": {"email": "ana@example.com"}}}),
            ),
            DetailType::CustomerUpserted,
        ),
        (
            envelope(
                "CustomerChanged",
                json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z",
                "set": {"time_zone": "Europe/London"}, "cleared": ["quiet_hours"]}),
            ),
            DetailType::CustomerChanged,
        ),
        (
            envelope(
                "CustomerErased",
                json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z", "reference": "DSR-1"}),
            ),
            DetailType::CustomerErased,
        ),
        (
            envelope("DeviceRegistered", registration(json!("fcm:AbC-123_x"))),
            DetailType::DeviceRegistered,
        ),
        (
            envelope(
                "DeviceRemoved",
                json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z", "device_id": "d-1"}),
            ),
            DetailType::DeviceRemoved,
        ),
    ];
    for (json, t) in cases {
        let e = parse_event(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(e.detail_type(), t);
        assert!(t.is_context());
        assert_eq!(e.detail.customer_id().as_str(), "c-1");
        assert_eq!(forewarn_core::events::parse_event_value(e.to_envelope()), Ok(e.clone()));
    }
}

#[test]
fn a_partial_change_names_the_fields_it_sets_and_clears() {
    let e = parse_event(&envelope(
        "CustomerChanged",
        json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z",
            "set": {"contacts": {"email": "ana@example.com"}, "locale": "pt-PT"}, "cleared": ["quiet_hours"]}),
    ))
    .unwrap();
    let Detail::Context(ContextChange::Changed(c)) = e.detail else {
        panic!("not a change")
    };
    assert_eq!(c.set.present(), vec![ProfileField::Locale, ProfileField::Email]);
    assert_eq!(c.cleared, vec![ProfileField::QuietHours]);
}

#[test]
fn malformed_context_events_are_rejected_naming_the_field() {
    let upsert = |profile: Value| {
        envelope(
            "CustomerUpserted",
            json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z", "profile": profile}),
        )
    };
    let change = |rest: Value| {
        let mut d = json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z"});
        d.as_object_mut().unwrap().extend(rest.as_object().unwrap().clone());
        envelope("CustomerChanged", d)
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            upsert(json!({"contacts": {"phone": "912345678"}})),
            "detail.profile.contacts.phone",
            "E.164",
        ),
        (
            upsert(json!({"contacts": {"email": "ana at example"}})),
            "detail.profile.contacts.email",
            "not an email address",
        ),
        (
            upsert(json!({"time_zone": "Mars/Olympus"})),
            "detail.profile.time_zone",
            "not an IANA time zone",
        ),
        (
            upsert(json!({"quiet_hours": {"start": "25:00", "end": "07:00"}})),
            "detail.profile.quiet_hours.start",
            "",
        ),
        (
            upsert(json!({"devices": []})),
            "detail.profile.devices",
            "unknown field `devices`",
        ),
        (
            envelope("CustomerUpserted", json!({"customer_id": "c-1", "profile": {}})),
            "detail",
            "required field `changed_at` is missing",
        ),
        (
            envelope(
                "CustomerUpserted",
                json!({"customer_id": "c-1", "changed_at": "yesterday", "profile": {}}),
            ),
            "detail.changed_at",
            "",
        ),
        (change(json!({})), "detail", "changes nothing"),
        (
            change(json!({"set": {"locale": "en"}, "cleared": ["locale"]})),
            "detail.cleared",
            "both set and cleared",
        ),
        (
            change(json!({"cleared": ["shoe_size"]})),
            "detail.cleared[0]",
            "unknown variant",
        ),
        (
            envelope("DeviceRegistered", registration(json!(""))),
            "detail.token",
            "must not be empty",
        ),
        (
            envelope("DeviceRegistered", registration(json!("a token"))),
            "detail.token",
            "only letters",
        ),
        (
            envelope("DeviceRegistered", {
                let mut r = registration(json!("abc"));
                r["platform"] = json!("blackberry");
                r
            }),
            "detail.platform",
            "unknown variant",
        ),
        (
            envelope("DeviceRegistered", {
                let mut r = registration(json!("abc"));
                r["kind"] = json!("fridge");
                r
            }),
            "detail.kind",
            "unknown variant",
        ),
        (
            envelope(
                "DeviceRemoved",
                json!({"customer_id": "c-1", "changed_at": "2026-11-20T09:00:00Z"}),
            ),
            "detail",
            "required field `device_id` is missing",
        ),
        (
            envelope(
                "CustomerErased",
                json!({"customer_id": "", "changed_at": "2026-11-20T09:00:00Z"}),
            ),
            "detail.customer_id",
            "must not be empty",
        ),
    ];
    for (json, path, reason) in cases {
        let err = parse_event(&json).expect_err(&json);
        assert_eq!(err.path, path, "{json} -> {err}");
        assert!(err.reason.contains(reason), "{json} -> {err}");
    }
}

#[test]
fn a_rejected_token_is_never_repeated_in_the_error() {
    let secret = "s3cr3t token";
    let err = parse_event(&envelope("DeviceRegistered", registration(json!(secret)))).unwrap_err();
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    let ok = parse_event(&envelope("DeviceRegistered", registration(json!("s3cr3tAbCdEf")))).unwrap();
    let Detail::Context(ContextChange::DeviceRegistered(d)) = &ok.detail else {
        panic!("not a registration")
    };
    assert_eq!(d.platform, PushPlatform::Fcm);
    assert!(!format!("{ok:?}").contains("s3cr3tAbCdEf"), "Debug shows the token");
}
