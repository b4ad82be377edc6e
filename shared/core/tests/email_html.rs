//! Every email forewarn writes is valid HTML (html-validate, one process over every notifying kind × language × variant) and says in its plain text what its HTML says.
//!
//! html-validate is installed into `.tools/node` by `infra/install-tools` (the README's test
//! command runs it); without it the validation test fails, saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use forewarn_core::catalog::{Kind, PlaceholderFormat, catalog};
use forewarn_core::customer::Channel;
use forewarn_core::events::parse_event_value;
use forewarn_core::messages::{Message, MessageInput, Renderer};
use jiff::tz::TimeZone;
use serde_json::{Value, json};

/// Producer text that markup would break on.
const MARKUP: &str = "Tom & \"Jerry's\" <b>Shop</b> > 5 < 6";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Sets the value at dotted `path` of `v`, when its parent is there.
fn set(v: &mut Value, path: &str, to: Value) {
    let mut at = v;
    let mut keys = path.split('.').peekable();
    while let Some(k) = keys.next() {
        if keys.peek().is_none() {
            if let Some(obj) = at.as_object_mut() {
                obj.insert(k.to_owned(), to);
            }
            return;
        }
        match at.get_mut(k) {
            Some(next) if next.is_object() => at = next,
            _ => return,
        }
    }
}

/// The variants of one kind's details: each schema example (optional fields and all), the
/// first with only its required fields, and the first with markup in every free text.
fn variants(kind: &Kind) -> Vec<(String, Value)> {
    let examples = kind.def.schema["examples"].as_array().cloned().unwrap_or_default();
    assert!(!examples.is_empty(), "{} has no examples", kind.name());
    let mut out: Vec<(String, Value)> = examples
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("example{i}"), e.clone()))
        .collect();
    let required: Vec<&str> = kind.def.schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut bare = examples[0].clone();
    bare.as_object_mut()
        .unwrap()
        .retain(|k, _| required.contains(&k.as_str()));
    out.push(("required-only".into(), bare));
    let mut marked = examples[0].clone();
    for p in kind.def.placeholders.values() {
        match p.format {
            PlaceholderFormat::Text => set(&mut marked, &p.path, json!(MARKUP)),
            PlaceholderFormat::List => set(&mut marked, &p.path, json!([MARKUP, "a < b", "c > d & e"])),
            _ => {}
        }
    }
    out.push(("markup".into(), marked));
    out
}

/// Every email of every notifying kind × language × variant, named `<kind>-<lang>-<variant>`.
fn every_email() -> Vec<(String, Message)> {
    let renderer = Renderer::new();
    let mut out = Vec::new();
    for kind in catalog().kinds().iter().filter(|k| k.notifies()) {
        for (variant, detail) in variants(kind) {
            let event = json!({"version": "0", "id": "e-1", "detail-type": kind.name(),
                "source": "bank.core", "account": "123456789012", "time": "2026-11-22T08:00:00Z",
                "region": "eu-west-1", "resources": [], "detail": detail});
            let event = parse_event_value(event).unwrap_or_else(|e| panic!("{} {variant}: {e}", kind.name()));
            for lang in kind.def.templates.keys() {
                for name in [Some("Ana"), None] {
                    let input = MessageInput {
                        detail: &event.detail,
                        channel: Channel::Email,
                        locale: lang,
                        time_zone: &TimeZone::UTC,
                        customer_name: name,
                        event_time: event.time.timestamp(),
                        json: Some(event.detail_json()),
                    };
                    let m = renderer
                        .render(&input)
                        .unwrap_or_else(|e| panic!("{} {lang}: {e}", kind.name()));
                    let named = if name.is_some() { "named" } else { "unnamed" };
                    out.push((format!("{}-{lang}-{variant}-{named}", kind.name()), m));
                }
            }
        }
    }
    out
}

#[test]
fn every_email_of_every_kind_and_language_is_valid_html() {
    let tool = root().join(".tools/node/node_modules/.bin/html-validate");
    assert!(
        tool.is_file(),
        "html-validate is missing at {}: run infra/install-tools (the README's test command does)",
        tool.display()
    );
    let dir = std::env::temp_dir().join(format!("forewarn-email-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("htmlvalidate.json");
    let presets = json!({"root": true,
        "extends": ["html-validate:standard", "html-validate:a11y", "html-validate:document"]});
    std::fs::write(&config, presets.to_string()).unwrap();
    let emails = every_email();
    let mut files = Vec::new();
    for (name, m) in &emails {
        let path = dir.join(format!("{name}.html"));
        std::fs::write(&path, m.html.as_deref().expect("an email has HTML")).unwrap();
        files.push(path);
    }
    let out = Command::new(&tool)
        .arg("--config")
        .arg(&config)
        .args(&files)
        .output()
        .expect("html-validate runs");
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "html-validate refused some of {} emails:\n{report}",
        files.len()
    );
    assert!(emails.len() >= 5 * 6 * 3 * 2, "only {} emails", emails.len());
    std::fs::remove_dir_all(&dir).ok();
}

/// What a reader sees of an HTML part: the text of its `<body>`, each link's address after
/// its words, entities decoded.
fn html_words(html: &str) -> Vec<String> {
    let body = html.split_once("<body").map_or(html, |(_, b)| b);
    let body = body.split_once('>').map_or(body, |(_, b)| b);
    let mut text = String::new();
    let mut hrefs: Vec<String> = Vec::new();
    for (i, piece) in body.split('<').enumerate() {
        let (tag, rest) = match i {
            0 => ("", piece),
            _ => piece.split_once('>').unwrap_or((piece, "")),
        };
        if let Some(href) = tag.strip_prefix("a ").and_then(|a| a.split("href=\"").nth(1)) {
            hrefs.push(href.split('"').next().unwrap_or_default().to_owned());
        }
        if tag == "/a" {
            text.push(' ');
            text.push_str(&hrefs.pop().unwrap_or_default());
        }
        // Inline elements run on with their neighbours' words; any other tag parts them.
        let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or_default();
        if !["a", "strong", "em", "b", "span"].contains(&name) {
            text.push(' ');
        }
        text.push_str(rest);
    }
    words(&decode(&text))
}

fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e < 10);
        let decoded = end.and_then(|e| match &tail[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The words of a text, whitespace normalised, without the punctuation that ends a label or
/// starts a list item.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| w.trim_matches(|c: char| ":-•".contains(c)).to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn the_plain_text_and_the_html_of_every_email_carry_the_same_words() {
    for (name, m) in every_email() {
        let html = html_words(m.html.as_deref().unwrap());
        let text = words(&m.body);
        assert_eq!(
            text,
            html,
            "{name}:\n--- text\n{}\n--- html\n{}",
            m.body,
            m.html.unwrap()
        );
    }
}

#[test]
fn markup_in_producer_text_reads_the_same_in_both_parts_and_every_email_names_the_bank() {
    let bank = &forewarn_core::messages::brand::brand().name;
    for (name, m) in every_email() {
        let html = m.html.as_deref().unwrap();
        assert!(
            html.contains(&format!(
                "<title>{}</title>",
                m.subject
                    .as_deref()
                    .unwrap()
                    .replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('\'', "&#x27;")
                    .replace('/', "&#x2f;")
            )),
            "{name}: {html}"
        );
        assert!(m.body.starts_with(&format!("{bank}\n")), "{name}: {}", m.body);
        assert!(html_words(html).join(" ").contains(bank.as_str()), "{name}");
        if name.contains("-markup-") {
            assert!(!html.contains("<b>"), "{name}: producer markup reached the HTML");
            assert!(m.body.contains("Tom & \"Jerry's\""), "{name}: {}", m.body);
        }
    }
}

#[test]
fn account_emails_name_the_account_by_its_last_four_digits_never_whole() {
    for (name, m) in every_email() {
        if !(name.starts_with("LowBalance-") || name.starts_with("PaymentDue-")) {
            continue;
        }
        let html = m.html.as_deref().unwrap();
        for id in ["PT50-0001", "GB-0002", "GB29-0042"] {
            assert!(
                !m.body.contains(id) && !html.contains(id),
                "{name} shows the account whole"
            );
        }
        let suffix = ["0001", "0002", "0042"].into_iter().find(|s| m.body.contains(*s));
        let suffix = suffix.unwrap_or_else(|| panic!("{name} names no account: {}", m.body));
        assert!(html.contains(suffix), "{name}");
    }
}
