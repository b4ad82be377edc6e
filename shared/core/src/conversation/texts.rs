//! The texts forewarn answers an inbound SMS with, in every language, read from `catalog/replies.toml`.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{Intent, first_chars, parse_intent};
use crate::messages::format::Lang;
use crate::messages::sms::{Encoding, segments};

/// `catalog/replies.toml` as built in: one table of texts per language tag ([`Lang::tag`]).
pub const REPLIES_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/replies.toml"));

/// The texts forewarn answers an inbound SMS with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyText {
    Confirmed,
    Disputed,
    OptedOut,
    OptedIn,
    Help,
    NoOpenQuestion,
    Expired,
    Unrecognised,
    UnknownSender,
}

impl ReplyText {
    /// Every text, for tests and tools.
    pub const ALL: [ReplyText; 9] = [
        ReplyText::Confirmed,
        ReplyText::Disputed,
        ReplyText::OptedOut,
        ReplyText::OptedIn,
        ReplyText::Help,
        ReplyText::NoOpenQuestion,
        ReplyText::Expired,
        ReplyText::Unrecognised,
        ReplyText::UnknownSender,
    ];

    /// The key of this text in each language's table of `catalog/replies.toml`.
    pub fn key(self) -> &'static str {
        match self {
            ReplyText::Confirmed => "confirmed",
            ReplyText::Disputed => "disputed",
            ReplyText::OptedOut => "opted_out",
            ReplyText::OptedIn => "opted_in",
            ReplyText::Help => "help",
            ReplyText::NoOpenQuestion => "no_open_question",
            ReplyText::Expired => "expired",
            ReplyText::Unrecognised => "unrecognised",
            ReplyText::UnknownSender => "unknown_sender",
        }
    }
}

/// The keys of a language's table besides the reply texts: the listing's words, the reminder's prefix.
const WORD_KEYS: [&str; 5] = [
    "which_yes",
    "which_for",
    "which_intro",
    "which_outro",
    "reminder_prefix",
];

/// One language's table of `catalog/replies.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Texts {
    confirmed: String,
    disputed: String,
    opted_out: String,
    opted_in: String,
    help: String,
    no_open_question: String,
    expired: String,
    unrecognised: String,
    unknown_sender: String,
    /// The answer the listing asks for, before each number: "YES".
    which_yes: String,
    /// Between the number and the question's label: "for".
    which_for: String,
    /// Before the listed answers: "You have several open questions. Reply".
    which_intro: String,
    /// After them, offering the bare NO: "or NO to dispute them all.".
    which_outro: String,
    /// What starts an escalation reminder: "Reminder: ".
    reminder_prefix: String,
}

impl Texts {
    fn reply(&self, text: ReplyText) -> &str {
        match text {
            ReplyText::Confirmed => &self.confirmed,
            ReplyText::Disputed => &self.disputed,
            ReplyText::OptedOut => &self.opted_out,
            ReplyText::OptedIn => &self.opted_in,
            ReplyText::Help => &self.help,
            ReplyText::NoOpenQuestion => &self.no_open_question,
            ReplyText::Expired => &self.expired,
            ReplyText::Unrecognised => &self.unrecognised,
            ReplyText::UnknownSender => &self.unknown_sender,
        }
    }

    fn words(&self) -> Words<'_> {
        Words {
            yes: &self.which_yes,
            for_: &self.which_for,
            intro: &self.which_intro,
            outro: &self.which_outro,
        }
    }
}

/// Every language's texts, keyed as in `catalog/replies.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    en: Texts,
    #[serde(rename = "pt-PT")]
    pt: Texts,
    #[serde(rename = "pt-BR")]
    pt_br: Texts,
    es: Texts,
    fr: Texts,
    de: Texts,
}

impl Catalog {
    fn get(&self, lang: Lang) -> &Texts {
        match lang {
            Lang::En => &self.en,
            Lang::Pt => &self.pt,
            Lang::PtBr => &self.pt_br,
            Lang::Es => &self.es,
            Lang::Fr => &self.fr,
            Lang::De => &self.de,
        }
    }
}

/// The reply texts this process answers with: the built-in ones unless [`install_replies`]
/// gave others first.
static REPLIES: OnceLock<Catalog> = OnceLock::new();

/// The texts in the language of `locale` ([`Lang::of`]), the catalog parsed on first use.
fn texts(locale: &str) -> &'static Texts {
    REPLIES
        .get_or_init(|| {
            // Built in and proved by `check_replies` in the tests: it cannot fail at run time.
            toml::from_str(REPLIES_TOML).unwrap_or_else(|e| panic!("catalog/replies.toml: {e}"))
        })
        .get(Lang::of(locale))
}

/// Makes `text` (a `replies.toml`) the reply texts of this process (the CLI's `--catalog
/// DIR`): its problems ([`check_replies`]) when it is unsound, or a refusal once texts are in use.
pub fn install_replies(text: &str) -> Result<(), Vec<String>> {
    let problems = check_replies(text);
    if !problems.is_empty() {
        return Err(problems);
    }
    let parsed: Catalog = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    REPLIES
        .set(parsed)
        .map_err(|_| vec!["reply texts are already in use by this process".to_owned()])
}

/// A short answer in the customer's language ([`Lang::of`]: `de-AT` is German, `pt-BR`
/// Brazilian Portuguese, any language forewarn does not write in English).
pub fn reply_text(locale: &str, text: ReplyText) -> &'static str {
    texts(locale).reply(text)
}

/// Longest answer listing open questions: two concatenated SMS segments.
const MAX_WHICH_SEGMENTS: usize = 2;
/// Most questions one listing names.
const MAX_LISTED: usize = 9;

/// The words of one language's listing.
#[derive(Clone, Copy)]
struct Words<'a> {
    yes: &'a str,
    for_: &'a str,
    intro: &'a str,
    outro: &'a str,
}

/// The answer to a bare YES while several questions are open: which one? Each `(number,
/// label)` is named ("YES 1 for Shop 12.00 EUR"); labels are shortened, then left out, to
/// keep the text within two SMS segments. A bare NO disputes them all, and the text says so.
pub fn which_text(locale: &str, listed: &[(u8, String)]) -> String {
    listing(texts(locale).words(), listed)
}

fn listing(words: Words, listed: &[(u8, String)]) -> String {
    let Words {
        yes,
        for_,
        intro,
        outro,
    } = words;
    let listed = &listed[..listed.len().min(MAX_LISTED)];
    let build = |max: usize| {
        let items: Vec<String> = listed
            .iter()
            .map(|(n, label)| {
                let label = first_chars(label.trim(), max).trim_end();
                if label.is_empty() {
                    format!("{yes} {n}")
                } else {
                    format!("{yes} {n} {for_} {label}")
                }
            })
            .collect();
        format!("{intro} {}, {outro}", items.join(", "))
    };
    [40, 24, 16, 10, 6, 0]
        .into_iter()
        .map(build)
        .find(|t| segments(t).segments <= MAX_WHICH_SEGMENTS)
        .unwrap_or_else(|| build(0))
}

/// What starts an escalation reminder: "Reminder: ", "Lembrete: ", "Erinnerung: "…
pub fn reminder_prefix(locale: &str) -> &'static str {
    &texts(locale).reminder_prefix
}

/// Longest reply text, in characters: one GSM-7 segment (Portuguese and Spanish need letters
/// GSM-7 lacks, so theirs travel as UCS-2 and may take up to three).
const MAX_TEXT_CHARS: usize = 160;

/// The keywords a text asks the customer to send: words in capitals (YES, NÃO, SÍ), SMS aside.
fn asked_for(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_uppercase) && *w != "SMS")
}

/// The problems of a `catalog/replies.toml` text, each naming the language and key (`fr.help`);
/// none when every language of [`Lang::ALL`] has every text, no text is empty or too long for
/// its SMS, no key is unknown, and every keyword a text asks for is one [`parse_intent`] reads.
pub fn check_replies(text: &str) -> Vec<String> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![format!("not valid TOML: {}", e.to_string().trim_end())],
    };
    let mut problems: Vec<String> = table
        .keys()
        .filter(|tag| Lang::from_tag(tag).is_none())
        .map(|tag| {
            let known: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
            format!("`{tag}`: not a language forewarn writes in ({})", known.join(", "))
        })
        .collect();
    for lang in Lang::ALL {
        let tag = lang.tag();
        match table.get(tag) {
            None => problems.push(format!("`{tag}`: missing: every language needs every text")),
            Some(toml::Value::Table(texts)) => check_language(lang, texts, &mut problems),
            Some(_) => problems.push(format!("`{tag}`: must be a table of texts")),
        }
    }
    if problems.is_empty()
        && let Err(e) = toml::from_str::<Catalog>(text)
    {
        problems.push(format!("not readable as reply texts: {}", e.to_string().trim_end()));
    }
    problems
}

/// The problems of one language's table, added to `problems`.
fn check_language(lang: Lang, texts: &toml::Table, problems: &mut Vec<String>) {
    let tag = lang.tag();
    let keys = || ReplyText::ALL.into_iter().map(ReplyText::key).chain(WORD_KEYS);
    for key in texts.keys().filter(|k| !keys().any(|known| known == k.as_str())) {
        problems.push(format!("`{tag}.{key}`: unknown key"));
    }
    let before = problems.len();
    for key in keys() {
        match texts.get(key) {
            None => problems.push(format!("`{tag}.{key}`: missing")),
            Some(toml::Value::String(s)) if s.trim().is_empty() => problems.push(format!("`{tag}.{key}`: empty")),
            Some(toml::Value::String(_)) => {}
            Some(_) => problems.push(format!("`{tag}.{key}`: must be a string")),
        }
    }
    if problems.len() > before {
        return;
    }
    let get = |key: &str| texts.get(key).and_then(toml::Value::as_str).unwrap_or_default();
    for key in ReplyText::ALL.into_iter().map(ReplyText::key) {
        let text = get(key);
        let chars = text.chars().count();
        let sms = segments(text);
        if chars > MAX_TEXT_CHARS {
            problems.push(format!("`{tag}.{key}`: {chars} characters, more than {MAX_TEXT_CHARS}"));
        } else if lang == Lang::En && (sms.encoding != Encoding::Gsm7 || sms.segments > 1) {
            let encoding = if sms.encoding == Encoding::Gsm7 {
                "GSM-7"
            } else {
                "UCS-2"
            };
            problems.push(format!(
                "`{tag}.{key}`: an English text must be one GSM-7 SMS segment, not {} {encoding} segment(s)",
                sms.segments
            ));
        }
    }
    let words = Words {
        yes: get("which_yes"),
        for_: get("which_for"),
        intro: get("which_intro"),
        outro: get("which_outro"),
    };
    check_keywords(tag, get, words, problems);
    let nine: Vec<(u8, String)> = (1..=9).map(|n| (n, String::new())).collect();
    let sms = segments(&listing(words, &nine));
    if sms.segments > MAX_WHICH_SEGMENTS {
        problems.push(format!(
            "`{tag}.which_intro`, `{tag}.which_outro`: listing nine questions takes {} SMS segments, \
             more than {MAX_WHICH_SEGMENTS}",
            sms.segments
        ));
    }
    if !get("reminder_prefix").ends_with(char::is_whitespace) {
        problems.push(format!("`{tag}.reminder_prefix`: must end with a space"));
    }
}

/// The problems of the keywords one language's texts ask the customer to send.
fn check_keywords<'a>(tag: &str, get: impl Fn(&str) -> &'a str, words: Words, problems: &mut Vec<String>) {
    let keys = ReplyText::ALL
        .into_iter()
        .map(ReplyText::key)
        .chain(["which_intro", "which_outro"]);
    for key in keys {
        for word in asked_for(get(key)).filter(|w| parse_intent(w) == Intent::Other) {
            problems.push(format!(
                "`{tag}.{key}`: asks the customer to send {word}, which replies do not understand"
            ));
        }
    }
    if parse_intent(words.yes) != Intent::Yes {
        problems.push(format!("`{tag}.which_yes`: {} is not read as yes", words.yes));
    }
    if !asked_for(words.outro).any(|w| parse_intent(w) == Intent::No) {
        problems.push(format!(
            "`{tag}.which_outro`: must offer the no keyword (NO) that disputes every open question"
        ));
    }
}
