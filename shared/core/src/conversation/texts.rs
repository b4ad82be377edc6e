//! The texts forewarn answers an inbound SMS with, in every language, read from `catalog/replies.toml`.

use std::sync::OnceLock;

use icu::locale::LanguageIdentifier;
use serde::Deserialize;

use super::keywords::{KeywordTable, Keywords};
use super::{Intent, first_chars, parse_reply_with};
use crate::messages::brand;
use crate::messages::format::Lang;
pub use crate::messages::languages::REPLIES_TOML;
use crate::messages::sms::{Encoding, segments};

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
const WORD_KEYS: [&str; 7] = [
    "which_yes",
    "which_for",
    "which_intro",
    "which_outro",
    "reminder_prefix",
    "link_removed",
    "number_removed",
];

/// One language's table of `catalog/replies.toml` (its unknown keys are `check_language`'s to report).
#[derive(Deserialize)]
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
    // `link_removed` and `number_removed` are `messages::languages`' (checked here).
    /// The answers this language's customers send (YES, STOP…), besides the provider's.
    #[serde(default)]
    keywords: KeywordTable,
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

/// Every language's texts, by tag, and the keywords replies understand.
struct Replies {
    texts: Vec<(String, Texts)>,
    keywords: Keywords,
}

impl Replies {
    /// Reads a sound `replies.toml` ([`check_replies`] finds none of its problems).
    fn parse(text: &str) -> Result<Replies, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut texts = Vec::with_capacity(table.len());
        for (tag, value) in table {
            let t: Texts = value.try_into().map_err(|e: toml::de::Error| format!("`{tag}`: {e}"))?;
            texts.push((tag, t));
        }
        let (keywords, problems) = Keywords::build(texts.iter().map(|(tag, t)| (tag.as_str(), &t.keywords)));
        match problems.first() {
            Some(p) => Err(p.clone()),
            None => Ok(Replies { texts, keywords }),
        }
    }

    /// The texts of `lang`; English's for a language these texts lack.
    fn get(&self, lang: Lang) -> &Texts {
        let at = |tag: &str| self.texts.iter().position(|(t, _)| t == tag);
        &self.texts[at(lang.tag()).or_else(|| at(Lang::EN.tag())).unwrap_or(0)].1
    }
}

/// The reply texts this process answers with: the built-in ones unless [`install_replies`]
/// gave others first.
static REPLIES: OnceLock<Replies> = OnceLock::new();

fn replies() -> &'static Replies {
    REPLIES.get_or_init(|| {
        // Built in and proved by `check_replies` in the tests: it cannot fail at run time.
        Replies::parse(REPLIES_TOML).unwrap_or_else(|e| panic!("catalog/replies.toml: {e}"))
    })
}

/// The keywords replies understand: the provider's and every language's.
pub fn keywords() -> &'static Keywords {
    &replies().keywords
}

/// The texts in the language of `locale` ([`Lang::of`]).
fn texts(locale: &str) -> &'static Texts {
    replies().get(Lang::of(locale))
}

/// Makes `text` (a `replies.toml`) the reply texts and languages of this process (the CLI's
/// `--catalog DIR`): its problems ([`check_replies`]) when it is unsound, or a refusal once
/// texts or languages are in use.
pub fn install_replies(text: &str) -> Result<(), Vec<String>> {
    let problems = check_replies(text);
    if !problems.is_empty() {
        return Err(problems);
    }
    let parsed = Replies::parse(text).map_err(|e| vec![e])?;
    crate::messages::languages::install(text).map_err(|e| vec![e])?;
    REPLIES
        .set(parsed)
        .map_err(|_| vec!["reply texts are already in use by this process".to_owned()])
}

/// A short answer in the customer's language ([`Lang::of`]: `de-AT` is German, `pt-BR`
/// Brazilian Portuguese, any language forewarn does not write in English).
pub fn reply_text(locale: &str, text: ReplyText) -> &'static str {
    texts(locale).reply(text)
}

/// [`reply_text`] as the SMS sent: after the bank's name ("Example Bank: Thank you…").
pub fn reply_sms(locale: &str, text: ReplyText) -> String {
    brand::sms_from_bank(reply_text(locale, text))
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
/// keep the text, the bank's name before it, within two SMS segments. A bare NO disputes them
/// all, and the text says so.
pub fn which_text(locale: &str, listed: &[(u8, String)]) -> String {
    listing(&brand::sms_prefix(), texts(locale).words(), listed)
}

/// The listing after `prefix` (who is speaking).
fn listing(prefix: &str, words: Words, listed: &[(u8, String)]) -> String {
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
        format!("{prefix}{intro} {}, {outro}", items.join(", "))
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
/// GSM-7 lacks, so theirs travel as UCS-2 and may take up to three). An English one must fit
/// one segment after the longest bank name ([`brand::longest_sms_prefix`]).
const MAX_TEXT_CHARS: usize = 160;

/// The keywords a text asks the customer to send: words in capitals (YES, NÃO, SÍ), SMS aside.
fn asked_for(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_uppercase) && *w != "SMS")
}

/// The problems of a `catalog/replies.toml` text, each naming the language and key (`fr.help`);
/// none when each table is a language (a BCP 47 tag) with every text, English among them, no
/// text is empty or too long for its SMS, no key is unknown, no keyword means two things, and
/// every keyword a text asks for is one replies understand.
pub fn check_replies(text: &str) -> Vec<String> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![format!("not valid TOML: {}", e.to_string().trim_end())],
    };
    let mut problems = Vec::new();
    for (tag, value) in &table {
        match LanguageIdentifier::try_from_str(tag) {
            Ok(id) if id.to_string() == *tag => {}
            _ => problems.push(format!(
                "`{tag}`: not a BCP 47 language tag in canonical form (en, pt-PT, it)"
            )),
        }
        match value {
            toml::Value::Table(texts) => check_language(tag, texts, &mut problems),
            _ => problems.push(format!("`{tag}`: must be a table of texts")),
        }
    }
    if !table.contains_key(Lang::EN.tag()) {
        problems.push("`en`: missing: English is what a locale without templates reads".to_owned());
    }
    if !problems.is_empty() {
        return problems;
    }
    let mut parsed = Vec::with_capacity(table.len());
    for (tag, value) in &table {
        match value.clone().try_into::<Texts>() {
            Ok(t) => parsed.push((tag.as_str(), t)),
            Err(e) => problems.push(format!("`{tag}`: not readable as reply texts: {}", e.message())),
        }
    }
    let (keywords, conflicts) = Keywords::build(parsed.iter().map(|(tag, t)| (*tag, &t.keywords)));
    problems.extend(conflicts);
    for (tag, t) in &parsed {
        check_keywords(tag, t, &keywords, &mut problems);
    }
    problems
}

/// The problems of one language's table, added to `problems`.
fn check_language(tag: &str, texts: &toml::Table, problems: &mut Vec<String>) {
    let keys = || ReplyText::ALL.into_iter().map(ReplyText::key).chain(WORD_KEYS);
    let known = |k: &str| k == "keywords" || keys().any(|known| known == k);
    for key in texts.keys().filter(|k| !known(k)) {
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
    if let Some(k) = texts.get("keywords")
        && let Err(e) = k.clone().try_into::<KeywordTable>()
    {
        problems.push(format!("`{tag}.keywords`: {}", e.message().trim_end()));
    }
    if problems.len() > before {
        return;
    }
    let get = |key: &str| texts.get(key).and_then(toml::Value::as_str).unwrap_or_default();
    // Measured with any bank's name before it: the brand may be installed after these texts.
    let prefix = brand::longest_sms_prefix();
    for key in ReplyText::ALL.into_iter().map(ReplyText::key) {
        let text = get(key);
        let chars = text.chars().count();
        let sms = segments(&format!("{prefix}{text}"));
        if chars > MAX_TEXT_CHARS {
            problems.push(format!("`{tag}.{key}`: {chars} characters, more than {MAX_TEXT_CHARS}"));
        } else if tag == Lang::EN.tag() && (sms.encoding != Encoding::Gsm7 || sms.segments > 1) {
            let encoding = if sms.encoding == Encoding::Gsm7 {
                "GSM-7"
            } else {
                "UCS-2"
            };
            problems.push(format!(
                "`{tag}.{key}`: an English text must be one GSM-7 SMS segment after the longest bank name, not {} {encoding} segment(s)",
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
    let nine: Vec<(u8, String)> = (1..=9).map(|n| (n, String::new())).collect();
    let sms = segments(&listing(&prefix, words, &nine));
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

/// The problems of the keywords one language's texts ask the customer to send: each must be
/// one `keywords` understands.
fn check_keywords(tag: &str, t: &Texts, keywords: &Keywords, problems: &mut Vec<String>) {
    let intent = |w: &str| parse_reply_with(keywords, w).intent;
    let texts = ReplyText::ALL.into_iter().map(|r| (r.key(), t.reply(r))).chain([
        ("which_intro", t.which_intro.as_str()),
        ("which_outro", t.which_outro.as_str()),
    ]);
    for (key, text) in texts {
        for word in asked_for(text).filter(|w| intent(w) == Intent::Other) {
            problems.push(format!(
                "`{tag}.{key}`: asks the customer to send {word}, which replies do not understand"
            ));
        }
    }
    if intent(&t.which_yes) != Intent::Yes {
        problems.push(format!("`{tag}.which_yes`: {} is not read as yes", t.which_yes));
    }
    if !asked_for(&t.which_outro).any(|w| intent(w) == Intent::No) {
        problems.push(format!(
            "`{tag}.which_outro`: must offer the no keyword (NO) that disputes every open question"
        ));
    }
}
