//! Languages are catalog data: a catalog directory adding Italian (reply texts, keywords and every kind's templates) is checked and used by `simulate` with no Rust, and a locale without templates falls back with a reason.

mod common;

use common::*;
use std::process::Output;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn fixture(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/italian")
        .join(path);
    std::fs::read_to_string(path).unwrap()
}

/// The `[templates."en"]` table of a kind file's text.
fn english_templates(text: &str) -> &str {
    let start = text.find("[templates.\"en\"]").expect("English templates");
    let rest = &text[start + 1..];
    let end = rest.find("\n[").map_or(text.len(), |i| start + 1 + i + 1);
    &text[start..end]
}

/// A copy of the repository's catalog in `dir/catalog` with Italian: the reply texts and
/// keywords of `fixtures/italian/replies.toml`, the brand's words of `fixtures/italian/brand.toml`, LowBalance's Italian templates, and, standing
/// in for a translator's work, every other notifying kind's English templates under `it`
/// (except `skip`, left without Italian).
fn catalog_with_italian(dir: &Path, skip: Option<&str>) -> PathBuf {
    let catalog = dir.join("catalog");
    copy_dir(&repo("catalog"), &catalog);
    let replies = catalog.join("replies.toml");
    let text = std::fs::read_to_string(&replies).unwrap();
    std::fs::write(&replies, format!("{text}{}", fixture("replies.toml"))).unwrap();
    let brand = catalog.join("brand.toml");
    let text = std::fs::read_to_string(&brand).unwrap();
    std::fs::write(&brand, format!("{text}{}", fixture("brand.toml"))).unwrap();
    for entry in std::fs::read_dir(catalog.join("kinds")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("[templates.\"en\"]") || skip == Some(name.as_str()) {
            continue;
        }
        let italian = match name.as_str() {
            "low-balance.toml" => fixture("low-balance.it.toml"),
            _ => format!(
                "\n{}",
                english_templates(&text).replace("[templates.\"en\"]", "[templates.\"it\"]")
            ),
        };
        std::fs::write(&path, format!("{text}{italian}")).unwrap();
    }
    catalog
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A customer of `locale` with a phone and an email, and the low-balance sample for them.
fn customer_and_event(dir: &Path, locale: &str) -> (PathBuf, PathBuf) {
    let customers = dir.join("customers.json");
    let profile = format!(
        r#"[{{"customer_id": "c-3001", "name": "Giulia", "locale": "{locale}", "time_zone": "Europe/Rome",
             "contacts": {{"email": "giulia@example.com", "phone": "+447700900321"}},
             "channel_preferences": {{"account": ["email"]}}}}]"#
    );
    std::fs::write(&customers, profile).unwrap();
    let event = std::fs::read_to_string(repo("events/low-balance.json"))
        .unwrap()
        .replace("c-1001", "c-3001")
        .replace("2026-11-22T23:40:00Z", "2026-11-23T10:00:00Z");
    let events = dir.join("low-balance.json");
    std::fs::write(&events, event).unwrap();
    (customers, events)
}

fn simulate(catalog: Option<&Path>, customers: &Path, events: &Path) -> Vec<Value> {
    let mut args = vec!["simulate", "--format", "json"];
    if let Some(c) = catalog {
        args.extend(["--catalog", c.to_str().unwrap()]);
    }
    args.extend([
        "--customers",
        customers.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    json_lines(&forewarn(&args))
}

#[test]
fn a_catalog_adding_italian_passes_catalog_check_and_an_it_it_customer_reads_italian() {
    let dir = scratch("italian");
    let catalog = catalog_with_italian(&dir, None);
    let check = forewarn(&[
        "catalog",
        "check",
        catalog.to_str().unwrap(),
        "--events",
        dir.to_str().unwrap(),
    ]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("7 languages (en, pt-PT, pt-BR, es, fr, de, it)"),
        "{said}"
    );
    let (customers, events) = customer_and_event(&dir, "it-IT");
    let lines = simulate(Some(&catalog), &customers, &events);
    let delivery = lines.iter().find(|l| l["kind"] == "delivery").expect("a message");
    let subject = delivery["subject"].as_str().unwrap();
    assert!(subject.starts_with("Il suo saldo è basso: 42,17"), "{delivery}");
    let built_in = simulate(None, &customers, &events);
    let english = built_in.iter().find(|l| l["kind"] == "delivery").expect("a message");
    assert!(
        english["subject"]
            .as_str()
            .unwrap()
            .starts_with("Your balance is low: 42,17"),
        "the built-in catalog has no Italian, so English with Italian numbers: {english}"
    );
}

#[test]
fn italian_missing_from_one_kind_fails_catalog_check_naming_the_kind() {
    let dir = scratch("italian-incomplete");
    let catalog = catalog_with_italian(&dir, Some("flight-delayed.toml"));
    let check = forewarn(&[
        "catalog",
        "check",
        catalog.to_str().unwrap(),
        "--events",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(check.status.code(), Some(1));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("flight-delayed.toml: templates.it: missing: every notifying kind needs templates in en, pt-PT, pt-BR, es, fr, de, it"),
        "{err}"
    );
    assert_eq!(
        err.matches("templates.it").count(),
        1,
        "only the kind without Italian: {err}"
    );
}

#[test]
fn italian_reply_texts_asking_for_a_keyword_no_table_lists_fail_catalog_check() {
    let dir = scratch("italian-keyword");
    let catalog = catalog_with_italian(&dir, None);
    let replies = catalog.join("replies.toml");
    let text = std::fs::read_to_string(&replies).unwrap();
    std::fs::write(&replies, text.replace("help = [\"AIUTO\"]\n", "")).unwrap();
    let check = forewarn(&[
        "catalog",
        "check",
        catalog.to_str().unwrap(),
        "--events",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(check.status.code(), Some(1));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("`it.opted_out`: asks the customer to send AIUTO, which replies do not understand"),
        "{err}"
    );
}

#[test]
fn a_locale_without_templates_falls_back_to_the_best_language_and_the_decision_says_which() {
    let cases = [
        (
            "nl-NL",
            "written in en with en-NL numbers and dates: no templates for nl-NL",
            "Your balance is low",
        ),
        (
            "pt-AO",
            "written in pt-PT with pt-AO numbers and dates: no templates for pt-AO",
            "O seu saldo",
        ),
    ];
    for (locale, why, words) in cases {
        let dir = scratch(&format!("fallback-{locale}"));
        let (customers, events) = customer_and_event(&dir, locale);
        let lines = simulate(None, &customers, &events);
        let decision = lines.iter().find(|l| l["kind"] == "decision").unwrap();
        let reasons: Vec<&str> = decision["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(reasons.contains(&why), "{locale}: {reasons:#?}");
        let delivery = lines.iter().find(|l| l["kind"] == "delivery").expect("a message");
        assert!(
            delivery["subject"].as_str().unwrap().contains(words),
            "{locale}: {delivery}"
        );
    }
    let dir = scratch("fallback-own");
    let (customers, events) = customer_and_event(&dir, "de-AT");
    let lines = simulate(None, &customers, &events);
    let reasons = lines.iter().find(|l| l["kind"] == "decision").unwrap()["reasons"].to_string();
    assert!(
        !reasons.contains("written in"),
        "German templates serve de-AT: {reasons}"
    );
}

#[test]
fn preview_with_an_italian_catalog_directory_renders_italian() {
    let dir = scratch("italian-preview");
    let catalog = catalog_with_italian(&dir, None);
    let out = forewarn(&[
        "preview",
        "LowBalance",
        "--locale",
        "it-IT",
        "--channel",
        "push",
        "--catalog",
        catalog.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("(templates: it)") && text.contains("title: Saldo basso: "),
        "{text}"
    );
}
