//! Who is speaking: the bank's name, app and logo and each language's footer words, read from `catalog/brand.toml`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::format::Lang;
use crate::types::Url;

/// `catalog/brand.toml` as built in.
pub const BRAND_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/brand.toml"));

/// Longest bank name, in characters: every SMS starts with it ([`sms_prefix`]), so a longer
/// one would leave the texts too little room in two segments (an SMS sender name is at most
/// 11 characters; this leaves room for the name as the bank writes it).
pub const MAX_NAME_CHARS: usize = 16;

/// The words of one language's email footer.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BrandWords {
    /// The legal line.
    pub legal: String,
    /// The words of the "manage notifications" link.
    pub manage: String,
    /// The same words when there is no link: where in the app to go.
    pub manage_in_app: String,
    /// Why the customer gets the email, and what the bank never asks for.
    pub footer: String,
}

/// The bank that speaks in every message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brand {
    /// The bank's name, as messages say it.
    pub name: String,
    /// The bank's app.
    pub app: String,
    /// The logo atop each email, when there is one.
    pub logo: Option<Url>,
    words: BTreeMap<String, BrandWords>,
}

/// `brand.toml` as written: the names, then one table per language.
#[derive(Deserialize)]
struct BrandFile {
    name: String,
    app: String,
    logo: Option<String>,
    #[serde(flatten)]
    languages: BTreeMap<String, toml::Value>,
}

impl Brand {
    /// The footer words in `lang`, or English's for a language the brand lacks.
    pub fn words(&self, lang: Lang) -> &BrandWords {
        self.words
            .get(lang.tag())
            .or_else(|| self.words.get(Lang::EN.tag()))
            .or_else(|| self.words.values().next())
            .expect("a parsed brand has a table for every language, English among them")
    }
}

/// Reads a `brand.toml` whose tables must cover `languages`: every problem found, each naming
/// its key (`[fr].manage: missing`).
pub fn parse(text: &str, languages: &[Lang]) -> Result<Brand, Vec<String>> {
    parse_as(text, languages, Coverage::Every)
}

/// Whether a brand must have words for every language, and only those.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Coverage {
    Every,
    /// The built-in brand under a catalog directory's languages: a table for a language the
    /// catalog lacks is skipped, and a language it lacks reads English's words.
    Lenient,
}

fn parse_as(text: &str, languages: &[Lang], coverage: Coverage) -> Result<Brand, Vec<String>> {
    let file: BrandFile = toml::from_str(text).map_err(|e| vec![e.message().trim_end().to_owned()])?;
    let mut problems = Vec::new();
    for (key, value) in [("name", &file.name), ("app", &file.app)] {
        if value.trim().is_empty() {
            problems.push(format!("{key}: empty"));
        }
    }
    let chars = file.name.chars().count();
    if chars > MAX_NAME_CHARS {
        problems.push(format!(
            "name: {chars} characters, more than {MAX_NAME_CHARS}: every SMS starts with the bank's name, \
             and a longer one leaves its text too little room in two segments"
        ));
    }
    let logo = match file.logo.as_deref().map(Url::parse) {
        Some(Err(reason)) => {
            problems.push(format!("logo: {reason}"));
            None
        }
        Some(Ok(url)) => Some(url),
        None => None,
    };
    let mut words = BTreeMap::new();
    for (tag, value) in file.languages {
        if !languages.iter().any(|l| l.tag() == tag) {
            if coverage == Coverage::Lenient {
                continue;
            }
            problems.push(format!("[{tag}]: not a language of replies.toml"));
            continue;
        }
        match language(&tag, value) {
            Ok(w) => {
                words.insert(tag, w);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    for lang in languages.iter().filter(|_| coverage == Coverage::Every) {
        if !words.contains_key(lang.tag()) && !problems.iter().any(|p| p.starts_with(&format!("[{}]", lang.tag()))) {
            problems.push(format!(
                "[{}]: missing: every language needs its brand words",
                lang.tag()
            ));
        }
    }
    match problems.is_empty() {
        true => Ok(Brand {
            name: file.name,
            app: file.app,
            logo,
            words,
        }),
        false => Err(problems),
    }
}

/// One language's table: every key present and not empty, no other key.
fn language(tag: &str, value: toml::Value) -> Result<BrandWords, Vec<String>> {
    const KEYS: [&str; 4] = ["legal", "manage", "manage_in_app", "footer"];
    let Some(table) = value.as_table() else {
        return Err(vec![format!("[{tag}]: not a table of words")]);
    };
    let mut problems = Vec::new();
    for key in KEYS {
        match table.get(key).map(toml::Value::as_str) {
            None => problems.push(format!("[{tag}].{key}: missing")),
            Some(None) => problems.push(format!("[{tag}].{key}: not a string")),
            Some(Some(s)) if s.trim().is_empty() => problems.push(format!("[{tag}].{key}: empty")),
            Some(Some(_)) => {}
        }
    }
    for key in table.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        problems.push(format!("[{tag}].{key}: not a brand key (one of {})", KEYS.join(", ")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    value
        .try_into()
        .map_err(|e: toml::de::Error| vec![format!("[{tag}]: {}", e.message())])
}

/// The problems of a `brand.toml` text for this process's languages; none when it is sound.
pub fn check(text: &str) -> Vec<String> {
    parse(text, super::languages::all()).err().unwrap_or_default()
}

/// What starts every SMS forewarn sends, naming who is speaking: "Example Bank: ". A push needs
/// none (the phone shows it under the bank app's name) and an email carries the brand's layout.
pub fn sms_prefix() -> String {
    format!("{}: ", brand().name)
}

/// The longest [`sms_prefix`] a sound brand can have, for checks that must hold for any bank.
pub fn longest_sms_prefix() -> String {
    format!("{}: ", "W".repeat(MAX_NAME_CHARS))
}

/// `text` as an SMS from the bank: "Example Bank: {text}" ([`sms_prefix`]).
pub fn sms_from_bank(text: &str) -> String {
    format!("{}{text}", sms_prefix())
}

static BRAND: OnceLock<Brand> = OnceLock::new();

/// This process's brand: the built-in one (proved by the tests), or the one installed.
pub fn brand() -> &'static Brand {
    // A catalog directory may add a language the built-in brand lacks before its own
    // `brand.toml` is installed: its emails then carry English's footer words, never a panic
    // (`forewarn catalog check DIR` names the missing words).
    BRAND.get_or_init(|| match parse(BRAND_TOML, super::languages::all()) {
        Ok(b) => b,
        Err(_) => parse_as(BRAND_TOML, super::languages::all(), Coverage::Lenient)
            .expect("the built-in brand is sound (its tests prove it)"),
    })
}

/// Makes `text` (a `brand.toml`) this process's brand; refused when unsound or once the brand is in use.
pub fn install(text: &str) -> Result<(), Vec<String>> {
    let parsed = parse(text, super::languages::all())?;
    BRAND
        .set(parsed)
        .map_err(|_| vec!["the brand is already in use by this process".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without(text: &str, line_start: &str, occurrence: usize) -> String {
        let mut seen = 0;
        text.lines()
            .filter(|l| {
                if l.starts_with(line_start) {
                    seen += 1;
                    return seen != occurrence;
                }
                true
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_built_in_brand_is_sound_and_speaks_every_language() {
        assert_eq!(check(BRAND_TOML), Vec::<String>::new());
        for lang in super::super::languages::all() {
            assert!(!brand().words(*lang).legal.is_empty(), "{lang:?}");
        }
    }

    #[test]
    fn a_language_missing_a_brand_string_is_refused_naming_the_key() {
        // The fifth `manage =` line is French's.
        let text = without(BRAND_TOML, "manage =", 5);
        assert_eq!(check(&text), vec!["[fr].manage: missing".to_owned()]);
    }

    #[test]
    fn a_missing_language_an_unknown_key_and_a_plain_http_logo_are_refused() {
        let at = BRAND_TOML.find("\n[de]\n").unwrap();
        let text = BRAND_TOML[..at].replace("https://example.com", "http://example.com") + "\n[en.extra]\n";
        let problems = check(&text.replace("[en]\n", "[en]\nslogan = \"x\"\n"));
        assert!(problems.iter().any(|p| p.starts_with("logo: ")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("[de]: missing")), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.starts_with("[en].slogan: not a brand key")),
            "{problems:?}"
        );
    }
}
