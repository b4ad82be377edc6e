//! What a notice is about (`account:PT50`), or a prefix of it that a resolving event settles (`payment:PT50:`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A subject: `<name>:<value>:<value>…`. Deliveries of one subject de-duplicate, supersede and
/// resolve together. A prefix subject (a resolving event that names only the leading fields)
/// matches every subject that starts with it. Stored and written as its text; a prefix's text
/// ends with `:`, which is how it reads back.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

/// What separates a subject's name and values, and ends a prefix.
const SEP: char = ':';

impl Subject {
    /// The subject named `name` with `values`: `account:PT50`.
    pub fn exact(name: &str, values: impl IntoIterator<Item = String>) -> Subject {
        let mut s = name.to_owned();
        for v in values {
            s.push(SEP);
            s.push_str(&v);
        }
        Subject(s)
    }

    /// The prefix of every subject named `name` whose leading values are `values`: `payment:PT50:`.
    pub fn prefix(name: &str, values: impl IntoIterator<Item = String>) -> Subject {
        let mut s = Subject::exact(name, values);
        s.0.push(SEP);
        s
    }

    /// Matches every subject that starts with it, rather than only itself.
    pub fn is_prefix(&self) -> bool {
        self.0.ends_with(SEP)
    }

    /// `other` is this subject, or this is a prefix of it.
    pub fn matches(&self, other: &Subject) -> bool {
        self == other || (self.is_prefix() && other.0.starts_with(&self.0))
    }

    /// The first word: `flight` of `flight:ABC123:TP1`.
    pub fn word(&self) -> &str {
        self.0.split(SEP).next().unwrap_or(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A subject as stored or written: its text, a prefix's ending with `:`.
impl From<&str> for Subject {
    fn from(s: &str) -> Subject {
        Subject(s.to_owned())
    }
}

impl From<String> for Subject {
    fn from(s: String) -> Subject {
        Subject(s)
    }
}

impl From<&Subject> for String {
    fn from(s: &Subject) -> String {
        s.0.clone()
    }
}

impl PartialEq<str> for Subject {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Subject {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_exact_subject_matches_only_itself() {
        let s = Subject::exact("account", values(&["PT50"]));
        assert_eq!(s.as_str(), "account:PT50");
        assert!(!s.is_prefix());
        assert!(s.matches(&Subject::from("account:PT50")));
        assert!(!s.matches(&Subject::from("account:PT500")));
        assert!(!s.matches(&Subject::from("account:PT50:x")));
    }

    #[test]
    fn a_prefix_subject_matches_every_subject_with_its_leading_values() {
        let p = Subject::prefix("payment", values(&["PT50"]));
        assert_eq!(p.as_str(), "payment:PT50:");
        assert!(p.is_prefix());
        assert!(p.matches(&Subject::from("payment:PT50:p-1")));
        assert!(p.matches(&p));
        assert!(!p.matches(&Subject::from("payment:PT500:p-1")));
        assert!(!p.matches(&Subject::from("payment:PT50")));
        assert!(
            !Subject::from("payment:PT50:p-1").matches(&p),
            "only the prefix side matches wider"
        );
    }

    #[test]
    fn a_subject_is_stored_and_read_back_as_its_text_prefix_included() {
        let p = Subject::prefix("payment", values(&["PT50"]));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"payment:PT50:\"");
        let back: Subject = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert!(back.is_prefix());
        assert_eq!(p.to_string(), "payment:PT50:");
    }

    #[test]
    fn a_subjects_word_is_its_name() {
        assert_eq!(Subject::from("flight:ABC123:TP1").word(), "flight");
        assert_eq!(Subject::from("device").word(), "device");
    }
}
