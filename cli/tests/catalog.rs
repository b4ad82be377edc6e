//! `forewarn catalog check` and `forewarn preview` end to end: the real binary on the repository's catalog and on copies with one mistake each.

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of the repository's catalog in a fresh temporary directory, removed on drop.
struct CatalogCopy(PathBuf);

impl CatalogCopy {
    fn new() -> CatalogCopy {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("forewarn-catalog-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        copy_dir(Path::new(&repo("catalog")), &root);
        CatalogCopy(root)
    }

    fn dir(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }

    /// Applies `edit` to the text of `kinds/<file>`.
    fn edit(&self, file: &str, edit: impl Fn(&str) -> String) {
        let path = self.0.join("kinds").join(file);
        let before = std::fs::read_to_string(&path).unwrap();
        let after = edit(&before);
        assert_ne!(before, after, "the edit of {file} changed nothing");
        std::fs::write(path, after).unwrap();
    }
}

impl Drop for CatalogCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` put at the start of the `part` template of language `tag` of a kind file's text.
fn prepend(t: &str, tag: &str, part: &str, text: &str) -> String {
    let section = t
        .find(&format!("[templates.\"{tag}\"]"))
        .expect("the language's templates");
    let opening = format!("\n{part} = '''\n");
    let start = section + t[section..].find(&opening).expect("the part") + opening.len();
    format!("{}{text}{}", &t[..start], &t[start..])
}

/// Runs `catalog check` on `dir` with no sample events and expects exit 1 with `want` on stderr.
fn fails_with(dir: &str, events: &str, want: &str) {
    let out = forewarn(&["catalog", "check", dir, "--events", events]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.contains(want)),
        "missing {want:?} in:\n{stderr}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn the_repositorys_catalog_and_samples_pass() {
    let out = forewarn(&["catalog", "check", &repo("catalog"), "--events", &repo("events")]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("ok: ")
            && stdout.contains(" kinds, 4 categories, 6 languages (en, pt-PT, pt-BR, es, fr, de), "),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(" samples"), "{stdout}");
}

#[test]
fn a_misspelt_placeholder_is_named_with_the_file_the_template_and_the_kinds_placeholders() {
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| prepend(t, "de", "sms", "{{ balanse }} "));
    let want = "payment-due.toml: templates.de.sms: uses {{ balanse }}, which is not a placeholder of PaymentDue \
                (it has: account, amount, balance, due, payee)";
    fails_with(copy.dir(), &fixture("events-none"), want);
}

#[test]
fn a_missing_language_is_named() {
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| {
        let start = t.find("[templates.\"fr\"]").unwrap();
        let end = t[start + 1..].find("\n[").map_or(t.len(), |i| start + i + 2);
        format!("{}{}", &t[..start], &t[end..])
    });
    let want =
        "payment-due.toml: templates.fr: missing: every notifying kind needs templates in en, pt-PT, pt-BR, es, fr, de";
    fails_with(copy.dir(), &fixture("events-none"), want);
}

impl CatalogCopy {
    /// Gives the copy's `brand.toml` the bank name `name`.
    fn name_the_bank(&self, name: &str) {
        let path = self.0.join("brand.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let named = text.replacen("name = \"Example Bank\"", &format!("name = \"{name}\""), 1);
        assert_ne!(text, named, "brand.toml names the Example Bank");
        std::fs::write(path, named).unwrap();
    }
}

/// A kind file's text whose English SMS is `text`, and nothing else.
fn english_sms(t: &str, text: &str) -> String {
    let section = t.find("[templates.\"en\"]").expect("English templates");
    let opening = "\nsms = '''\n";
    let start = section + t[section..].find(opening).expect("an SMS") + opening.len();
    let end = start + t[start..].find("'''").expect("the SMS's end");
    format!("{}{text}\n{}", &t[..start], &t[end..])
}

#[test]
fn a_brand_name_longer_than_any_sms_allows_is_named() {
    let copy = CatalogCopy::new();
    copy.name_the_bank("The Very Long Example Bank of Nowhere");
    let want = "brand.toml: name: 37 characters, more than 16: every SMS starts with the bank's name";
    fails_with(copy.dir(), &fixture("events-none"), want);
}

#[test]
fn a_brand_name_too_long_for_two_sms_segments_is_named() {
    // 290 GSM-7 characters fit two segments (306) after "Example Bank: ", not after this name.
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| english_sms(t, &"a".repeat(290)));
    let out = forewarn(&["catalog", "check", copy.dir(), "--events", &fixture("events-none")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    copy.name_the_bank("Example Bank Ltd");
    let want = "payment-due.toml: templates.en.sms: the SMS takes 3 segments (308 GSM-7 units), more than 2 even when \
                compact with the bank's name before it: brand.toml `name` (\"Example Bank Ltd\", 16 characters) \
                is too long for this text";
    fails_with(copy.dir(), &fixture("events-none"), want);
}

#[test]
fn a_sample_event_that_does_not_validate_is_named_with_its_file_and_json_path() {
    let want = "payment-due-lowercase-currency.json: detail.amount.currency: \"eur\" does not match \"^[A-Z]{3}$\" \
                (not a valid PaymentDue detail: see payment-due.toml)";
    fails_with(&repo("catalog"), &fixture("events-invalid"), want);
}

#[test]
fn a_schema_example_that_does_not_validate_is_named() {
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| {
        t.replacen("currency = \"GBP\"", "currency = \"gbp\"", 1)
    });
    let want = "payment-due.toml: schema.examples[1]: does not validate: amount.currency: \"gbp\" does not match";
    fails_with(copy.dir(), &fixture("events-none"), want);
}

#[test]
fn an_unreadable_or_unparseable_catalog_exits_2_with_the_error() {
    let out = forewarn(&["catalog", "check", "/nonexistent/forewarn-catalog"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read the catalog: /nonexistent/forewarn-catalog"),
        "{}",
        text(&out.stderr)
    );
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| format!("{t}\nbroken = [\n"));
    let out = forewarn(&["catalog", "check", copy.dir()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot read the catalog: payment-due.toml: TOML parse error"),
        "{stderr}"
    );
}

#[test]
fn preview_writes_a_german_sms_from_the_kinds_first_example() {
    let out = forewarn(&["preview", "PaymentDue", "--locale", "de-DE", "--channel", "sms"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.starts_with("PaymentDue · sms · de-DE (templates: de)"),
        "{stdout}"
    );
    // The first example: 86.40 EUR to EDP Comercial, in German words and numbers.
    assert!(
        stdout.contains("86,40 €") && stdout.contains("EDP Comercial"),
        "{stdout}"
    );
    assert!(
        ["Zahlung", "fällig", "Kontostand"].iter().any(|w| stdout.contains(w)),
        "{stdout}"
    );
    assert!(stdout.contains("encoding: GSM-7 · 1 segment · "), "{stdout}");
}

#[test]
fn preview_by_push_prints_how_the_fraud_alert_interrupts_groups_and_asks() {
    let out = forewarn(&[
        "preview",
        "SuspiciousTransaction",
        "--locale",
        "en-GB",
        "--channel",
        "push",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for want in [
        "push: interruption-level time-sensitive · apns-priority 10 · relevance-score 1",
        "thread-id forewarn.security · collapse id fw-",
        "category FOREWARN_QUESTION (actions CONFIRM, DISPUTE)",
        "android: priority HIGH · channel forewarn.security · ttl ",
    ] {
        assert!(stdout.contains(want), "{want:?} not in {stdout}");
    }
}

#[test]
fn preview_of_a_sample_event_by_email_prints_the_subject_the_text_and_the_html() {
    let event = repo("events/low-balance.json");
    let args = [
        "preview",
        "LowBalance",
        "--locale",
        "en-GB",
        "--channel",
        "email",
        "--event",
        &event,
    ];
    let out = forewarn(&[&args[..], &["--name", "Ana", "--time-zone", "Europe/Lisbon"]].concat());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let subject = stdout
        .lines()
        .find(|l| l.starts_with("subject: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(subject.contains("42.17"), "{subject}");
    assert!(stdout.contains(" Ana"), "{stdout}");
    assert!(stdout.contains("--- html ---\n<!DOCTYPE html>"), "{stdout}");
    assert!(stdout.contains("Senhorio (renda)"), "{stdout}");
}

#[test]
fn preview_uses_the_catalog_it_is_given() {
    let copy = CatalogCopy::new();
    copy.edit("payment-due.toml", |t| {
        prepend(t, "de", "sms", "Vorschau aus der Kopie: ")
    });
    let out = forewarn(&[
        "preview",
        "PaymentDue",
        "--locale",
        "de",
        "--channel",
        "sms",
        "--catalog",
        copy.dir(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Vorschau aus der Kopie: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_options_exit_2_naming_the_option() {
    let low_balance = repo("events/low-balance.json");
    let cases: [(&[&str], &str); 6] = [
        (
            &["--locale", "de", "--channel", "fax"],
            "--channel fax: expected sms, push or email",
        ),
        (
            &["--locale", " ", "--channel", "sms"],
            "--locale: expected a BCP 47 locale",
        ),
        (
            &["--locale", "de", "--channel", "sms", "--time-zone", "Mars/Olympus"],
            "--time-zone Mars/Olympus: not an IANA time zone",
        ),
        (
            &["--locale", "de", "--channel", "sms", "--event", &low_balance],
            "its detail-type is LowBalance, not PaymentDue",
        ),
        (
            &["--locale", "de", "--channel", "sms", "--event", "/nonexistent.json"],
            "--event /nonexistent.json: ",
        ),
        (
            &["--locale", "de", "--channel", "sms", "--catalog", "/nonexistent"],
            "--catalog /nonexistent: ",
        ),
    ];
    for (options, want) in cases {
        let out = forewarn(&[&["preview", "PaymentDue"][..], options].concat());
        assert_eq!(out.status.code(), Some(2), "{options:?}");
        assert!(text(&out.stderr).contains(want), "{options:?}: {}", text(&out.stderr));
    }
    let out = forewarn(&["preview", "PaymentMade", "--locale", "de", "--channel", "sms"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "KIND PaymentMade: not a notifying kind of the catalog; expected one of ApplicationIncomplete, \
                         FlightDelayed, LowBalance, PaymentDue, SuspiciousTransaction"
        ),
        "{stderr}"
    );
}
