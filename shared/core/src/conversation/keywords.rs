//! The words an inbound SMS may answer with: the opt-out and opt-in keywords the SMS provider requires, and each catalog language's own (`[<tag>.keywords]` of `replies.toml`).

use std::collections::HashMap;

use serde::Deserialize;

use super::Intent;

/// The opt-out keywords AWS End User Messaging SMS requires, in any language.
pub const PROVIDER_STOP_WORDS: [&str; 11] = [
    "arret",
    "cancel",
    "end",
    "opt-out",
    "optout",
    "opt out",
    "quit",
    "remove",
    "stop",
    "td",
    "unsubscribe",
];
/// The opt-in keywords AWS End User Messaging SMS requires.
pub const PROVIDER_START_WORDS: [&str; 2] = ["start", "unstop"];

/// Longest keyword, in bytes once normalised ("unsubscribe"); longer answers are not read.
pub const MAX_KEYWORD_BYTES: usize = 16;

/// One language's keywords as `replies.toml` writes them (any case: `["SIM"]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeywordTable {
    #[serde(default)]
    yes: Vec<String>,
    #[serde(default)]
    no: Vec<String>,
    #[serde(default)]
    stop: Vec<String>,
    #[serde(default)]
    start: Vec<String>,
    #[serde(default)]
    help: Vec<String>,
}

impl KeywordTable {
    fn lists(&self) -> [(&'static str, Intent, &[String]); 5] {
        [
            ("yes", Intent::Yes, &self.yes),
            ("no", Intent::No, &self.no),
            ("stop", Intent::Stop, &self.stop),
            ("start", Intent::Start, &self.start),
            ("help", Intent::Help, &self.help),
        ]
    }
}

/// A word as replies compare it: NFC (phones may send accents decomposed), lowercase.
pub fn normalise(word: &str) -> String {
    icu::normalizer::ComposingNormalizerBorrowed::new_nfc()
        .normalize(word.trim())
        .to_lowercase()
}

/// Every keyword replies understand, each with what it means.
#[derive(Clone, Debug, Default)]
pub struct Keywords {
    words: HashMap<String, Intent>,
}

impl Keywords {
    /// The provider's keywords and those of each `(tag, table)`, with a problem for each
    /// keyword that is empty, too long to be read, or already means something else.
    pub(super) fn build<'a>(tables: impl IntoIterator<Item = (&'a str, &'a KeywordTable)>) -> (Keywords, Vec<String>) {
        let mut words: HashMap<String, (Intent, String)> = HashMap::new();
        for w in PROVIDER_STOP_WORDS {
            words.insert(w.to_owned(), (Intent::Stop, "the SMS provider".to_owned()));
        }
        for w in PROVIDER_START_WORDS {
            words.insert(w.to_owned(), (Intent::Start, "the SMS provider".to_owned()));
        }
        let mut problems = Vec::new();
        for (tag, table) in tables {
            for (key, intent, list) in table.lists() {
                let at = format!("`{tag}.keywords.{key}`");
                for written in list {
                    let word = normalise(written);
                    if word.is_empty() || word.len() > MAX_KEYWORD_BYTES {
                        problems.push(format!(
                            "{at}: {written:?} cannot be read as an answer (1 to {MAX_KEYWORD_BYTES} bytes)"
                        ));
                        continue;
                    }
                    match words.get(&word) {
                        Some((other, by)) if *other != intent => {
                            problems.push(format!("{at}: {written} already means {} ({by})", other.as_str()))
                        }
                        Some(_) => {}
                        None => {
                            words.insert(word, (intent, format!("`{tag}.keywords.{key}`")));
                        }
                    }
                }
            }
        }
        let words = words.into_iter().map(|(w, (i, _))| (w, i)).collect();
        (Keywords { words }, problems)
    }

    /// What `word` (normalised: [`normalise`]) means; `Other` when it is no keyword.
    pub fn intent(&self, word: &str) -> Intent {
        self.words.get(word).copied().unwrap_or(Intent::Other)
    }

    /// The keywords that mean `intent`, normalised, in order.
    pub fn words(&self, intent: Intent) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .words
            .iter()
            .filter(|(_, i)| **i == intent)
            .map(|(w, _)| w.as_str())
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::parse_reply_with;

    fn table(toml: &str) -> KeywordTable {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn a_languages_own_keywords_are_understood_beside_the_providers() {
        let it = table("yes = [\"SÌ\"]\nno = [\"NO\"]\nhelp = [\"AIUTO\"]\n");
        let (k, problems) = Keywords::build([("it", &it)]);
        assert!(problems.is_empty(), "{problems:?}");
        let read = |body: &str| parse_reply_with(&k, body);
        assert_eq!(read("Sì 2").intent, Intent::Yes);
        assert_eq!(read("Sì 2").choice, Some(2));
        assert_eq!(read("si\u{300}").intent, Intent::Yes, "an accent sent decomposed");
        assert_eq!(read("aiuto!").intent, Intent::Help);
        assert_eq!(
            read("STOP").intent,
            Intent::Stop,
            "the provider's words in any language"
        );
        assert_eq!(read("ja").intent, Intent::Other, "German is not in this catalog");
    }

    #[test]
    fn a_keyword_too_long_to_be_read_is_a_problem_naming_the_language_and_list() {
        let long = table("stop = [\"BASTACONGLIMESSAGGI\"]\n");
        let (_, problems) = Keywords::build([("it", &long)]);
        assert_eq!(
            problems,
            ["`it.keywords.stop`: \"BASTACONGLIMESSAGGI\" cannot be read as an answer (1 to 16 bytes)"]
        );
    }
}
