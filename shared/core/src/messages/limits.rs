//! Per-channel upper bounds for producer values in a message, and the cleaning each one gets.

use std::borrow::Cow;

use minijinja::Value;

use super::safe::{self, Placeholders, neutralise};
use crate::types::Url;

/// Upper bounds, in characters, for producer values placed in a message.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Free text: merchant, city, payee, product, reason, gate, name.
    pub(super) text: usize,
    /// Identifiers: flight number, airport codes, country.
    pub(super) id: usize,
    /// One missing item, and all of them as a sentence.
    pub(super) item: usize,
    pub(super) list: usize,
    /// Links longer than this are left out (a link cannot be cut).
    pub(super) url: usize,
    /// Leave out optional details (time, card) to save room.
    pub(super) compact: bool,
    /// What replaces a link or a phone number in producer text (the render's language).
    pub(super) words: Placeholders,
}

pub(super) const EMAIL: Limits = Limits {
    text: 200,
    id: 64,
    item: 200,
    list: 2000,
    url: 2048,
    compact: false,
    words: Placeholders::EN,
};
pub(super) const PUSH: Limits = Limits {
    text: 60,
    id: 16,
    item: 40,
    list: 120,
    url: 0,
    compact: false,
    words: Placeholders::EN,
};
/// Tried in order until the SMS fits in [`MAX_SMS_SEGMENTS`]; the last always does (a test
/// proves it with the costliest values). Realistic texts fit at the first level; the compact
/// levels, which also leave out optional details, exist for pathological ones.
pub(super) const SMS_LEVELS: [Limits; 5] = [
    Limits {
        text: 40,
        id: 16,
        item: 30,
        list: 80,
        url: 120,
        compact: false,
        words: Placeholders::EN,
    },
    Limits {
        text: 20,
        id: 10,
        item: 20,
        list: 40,
        url: 60,
        compact: false,
        words: Placeholders::EN,
    },
    Limits {
        text: 20,
        id: 10,
        item: 20,
        list: 40,
        url: 60,
        compact: true,
        words: Placeholders::EN,
    },
    Limits {
        text: 10,
        id: 8,
        item: 10,
        list: 14,
        url: 40,
        compact: true,
        words: Placeholders::EN,
    },
    Limits {
        text: 6,
        id: 4,
        item: 6,
        list: 10,
        url: 30,
        compact: true,
        words: Placeholders::EN,
    },
];

/// Characters producer text may not bring into any message: controls, and bidi overrides and
/// isolates, which can disguise a merchant name.
fn unwanted(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Producer text without unwanted characters, trimmed.
pub(super) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unwanted) {
        return Cow::Borrowed(s.trim());
    }
    let kept: String = s.chars().filter(|&c| !unwanted(c)).collect();
    Cow::Owned(kept.trim().to_owned())
}

impl Limits {
    /// `s` cleaned, with links and phone numbers neutralised ([`safe`]), and cut to `max`
    /// characters.
    pub(super) fn safe(&self, s: &str, max: usize) -> String {
        safe::cut(&neutralise(&clean(s), self.words), max, self.words).into_owned()
    }
    /// [`Limits::safe`] as a template value.
    pub(super) fn bounded(&self, s: &str, max: usize) -> Value {
        Value::from(self.safe(s, max))
    }
    pub(super) fn text(&self, s: &str) -> Value {
        self.bounded(s, self.text)
    }
    pub(super) fn id(&self, s: &str) -> Value {
        self.bounded(s, self.id)
    }
    /// The link, unless it is too long to place (a link cannot be cut).
    pub(super) fn url(&self, u: &Url) -> Option<Value> {
        (u.as_str().len() <= self.url).then(|| Value::from(u.as_str()))
    }
}
