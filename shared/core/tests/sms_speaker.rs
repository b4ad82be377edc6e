//! Every SMS names who is speaking (the bank, before anything else) and an account notice names the account by its last four characters, in every language.

use forewarn_core::catalog::catalog;
use forewarn_core::customer::Channel;
use forewarn_core::events::parse_event_value;
use forewarn_core::messages::brand::{brand, sms_prefix};
use forewarn_core::messages::{Message, MessageInput, Renderer};
use jiff::tz::TimeZone;
use serde_json::{Value, json};

/// The SMS of each schema example of `kind`, in each of its languages: (name, message).
fn sms_of(renderer: &Renderer, kind: &forewarn_core::catalog::Kind) -> Vec<(String, Message)> {
    let examples = kind.def.schema.get("examples").and_then(Value::as_array).cloned();
    let mut out = Vec::new();
    for (i, detail) in examples.unwrap_or_default().into_iter().enumerate() {
        let event = json!({"version": "0", "id": "e-1", "detail-type": kind.name(),
            "source": "bank.core", "account": "123456789012", "time": "2026-11-22T08:00:00Z",
            "region": "eu-west-1", "resources": [], "detail": detail});
        let event = parse_event_value(event).unwrap_or_else(|e| panic!("{} [{i}]: {e}", kind.name()));
        for lang in kind.def.templates.keys() {
            let input = MessageInput {
                detail: &event.detail,
                channel: Channel::Sms,
                locale: lang,
                time_zone: &TimeZone::UTC,
                customer_name: None,
                event_time: event.time.timestamp(),
                json: Some(event.detail_json()),
            };
            let m = renderer
                .render(&input)
                .unwrap_or_else(|e| panic!("{} {lang}: {e}", kind.name()));
            out.push((format!("{} {lang} example {i}", kind.name()), m));
        }
    }
    out
}

#[test]
fn every_sms_of_every_kind_and_language_starts_with_the_banks_name() {
    let renderer = Renderer::new();
    assert_eq!(sms_prefix(), format!("{}: ", brand().name));
    let mut seen = 0;
    for kind in catalog().kinds().iter().filter(|k| k.notifies()) {
        if !kind.def.channels.contains(&Channel::Sms) {
            continue;
        }
        for (name, m) in sms_of(&renderer, kind) {
            assert!(m.body.starts_with("Example Bank: "), "{name}: {}", m.body);
            seen += 1;
        }
    }
    assert!(seen >= 5 * 6, "only {seen} SMS");
}

#[test]
fn account_notices_name_the_account_by_its_last_four_characters_in_every_sms_language() {
    let renderer = Renderer::new();
    for detail_type in ["LowBalance", "PaymentDue"] {
        let kind = catalog().kind(detail_type).expect("an account notice of the catalog");
        for (name, m) in sms_of(&renderer, kind) {
            for id in ["PT50-0001", "GB-0002", "GB29-0042"] {
                assert!(!m.body.contains(id), "{name} shows the account whole: {}", m.body);
            }
            let named = ["0001", "0002", "0007", "0011", "0012", "0042"]
                .iter()
                .any(|s| m.body.contains(s));
            assert!(named, "{name} names no account: {}", m.body);
        }
    }
}
