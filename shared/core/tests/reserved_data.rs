//! The repository's data reaches no one: every phone number in the samples, seeds, fixtures, docs and template is in a range reserved for fiction, and every mail domain is reserved for documentation.

use std::path::{Path, PathBuf};

use forewarn_core::customer::fictional::{is_reserved_domain, range};

/// The folders and files that hold data a person may load into a stack: samples and their
/// schemas, the seed customers, the catalog, test fixtures, the docs and the template.
const DATA: [&str; 9] = [
    "events",
    "infra/seed",
    "catalog",
    "docs",
    "cli/tests/fixtures",
    "tests/fixtures",
    "README.md",
    "template.yaml",
    "samconfig.toml",
];

const EXTENSIONS: [&str; 6] = ["json", "toml", "md", "yaml", "yml", "txt"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_files() -> Vec<PathBuf> {
    let mut files = vec![];
    let mut todo: Vec<PathBuf> = DATA.iter().map(|d| root().join(d)).filter(|p| p.exists()).collect();
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            files.push(p);
        }
    }
    files
}

/// Each `+` followed by 7 to 15 digits (not inside a longer run of digits).
fn phone_numbers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = vec![];
    for (i, _) in text.match_indices('+') {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (7..=15).contains(&digits) {
            found.push(text[i..=i + digits].to_owned());
        }
    }
    found
}

/// The domain of each `local@domain` (letters, digits, dots and hyphens after the `@`).
fn mail_domains(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = vec![];
    for (i, _) in text.match_indices('@') {
        let local = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b"._%+-".contains(&b[i - 1]));
        let domain: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let domain = domain.trim_end_matches('.');
        if local && domain.contains('.') {
            found.push(domain.to_owned());
        }
    }
    found
}

#[test]
fn every_phone_number_and_mail_domain_in_the_repositorys_data_is_reserved_for_fiction() {
    let files = data_files();
    assert!(
        files.len() > 20,
        "found only {} data files under {:?}",
        files.len(),
        root()
    );
    let mut faults = vec![];
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let at = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        for n in phone_numbers(&text).into_iter().filter(|n| range(n).is_none()) {
            faults.push(format!("{at}: {n} is not in a range reserved for fiction"));
        }
        for d in mail_domains(&text).into_iter().filter(|d| !is_reserved_domain(d)) {
            faults.push(format!("{at}: @{d} is not a domain reserved for documentation"));
        }
    }
    assert!(
        faults.is_empty(),
        "use Ofcom's +447700900xxx, NANP +1 NPA 555-01xx or ACMA's +61491570xxx, and example.com/.net/.org \
         or .example/.test:\n{}",
        faults.join("\n")
    );
}

#[test]
fn the_scanner_finds_a_real_looking_number_and_domain() {
    let text = r#"{"phone": "+351912345678", "email": "ana@example.de", "masked": "+351*******78"}"#;
    assert_eq!(phone_numbers(text), ["+351912345678"]);
    assert_eq!(mail_domains(text), ["example.de"]);
    assert!(range("+351912345678").is_none() && !is_reserved_domain("example.de"));
}
