//! The languages of this process: the tables of the catalog's `replies.toml` in file order, each with the words that replace a link or a phone number in producer text.

use std::sync::OnceLock;

use serde::Deserialize;

use super::format::Lang;
use super::safe::Placeholders;

/// `catalog/replies.toml` as built in: one table per language, keyed by its tag ([`Lang::tag`]).
pub const REPLIES_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/replies.toml"));

/// The words of one table that messages use (the reply texts are `conversation`'s).
#[derive(Deserialize)]
struct Words {
    link_removed: String,
    number_removed: String,
}

/// Every language, in `replies.toml` order, with its placeholders.
struct Languages {
    langs: Vec<Lang>,
    words: Vec<Placeholders>,
}

/// Kept for the life of the process, as the tags and words of a `Lang` and its placeholders are.
fn forever(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn parse(text: &str) -> Result<Languages, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Languages {
        langs: Vec::with_capacity(table.len()),
        words: Vec::with_capacity(table.len()),
    };
    for (tag, value) in crate::catalog::in_file_order(text, table) {
        let w: Words = value
            .try_into()
            .map_err(|e: toml::de::Error| format!("`{tag}`: {}", e.message()))?;
        out.langs.push(Lang::new_static(forever(tag)));
        out.words.push(Placeholders {
            link: forever(w.link_removed),
            number: forever(w.number_removed),
        });
    }
    match out.langs.contains(&Lang::EN) {
        true => Ok(out),
        false => Err("`en`: missing".to_owned()),
    }
}

static LANGUAGES: OnceLock<Languages> = OnceLock::new();

fn languages() -> &'static Languages {
    // Built in and proved by `check_replies` in the tests: it cannot fail at run time.
    LANGUAGES.get_or_init(|| parse(REPLIES_TOML).unwrap_or_else(|e| panic!("catalog/replies.toml: {e}")))
}

/// Every language of this process's catalog, in `replies.toml` order.
pub fn all() -> &'static [Lang] {
    &languages().langs
}

/// What replaces links and phone numbers in producer text, in `lang` (English's for a language
/// the catalog lacks).
pub fn placeholders(lang: Lang) -> Placeholders {
    let l = languages();
    let at = |x: Lang| l.langs.iter().position(|y| *y == x);
    at(lang)
        .or_else(|| at(Lang::EN))
        .map_or(Placeholders::EN, |i| l.words[i])
}

/// Makes the tables of `text` (a sound `replies.toml`) the languages of this process; refused
/// once languages are in use.
pub(crate) fn install(text: &str) -> Result<(), String> {
    let parsed = parse(text)?;
    LANGUAGES
        .set(parsed)
        .map_err(|_| "languages are already in use by this process".to_owned())
}
