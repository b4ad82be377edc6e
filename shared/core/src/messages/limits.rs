//! Per-channel upper bounds for producer values in a message, and the cleaning each one gets.

use std::borrow::Cow;

use minijinja::Value;

use super::safe::{self, Placeholders, neutralise};
use super::sms;
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

/// Characters producer text may not bring into any message: controls; bidi embeddings,
/// overrides, isolates and marks, which can disguise a merchant name; and invisible format
/// characters (zero-width space, word joiner, soft hyphen, byte-order mark), which show nothing
/// yet would turn a one-part GSM-7 SMS into a two-part UCS-2 one. Zero-width joiners and
/// non-joiners are judged where they stand ([`joins`]).
fn unwanted(c: char) -> bool {
    // Markup brackets: no plain-text part can show them, so the HTML part leaves them out too
    // and both parts of an email say the same.
    c == '<'
        || c == '>'
        || c.is_control()
        || matches!(c, '\u{61c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || (safe::invisible(c) && !joiner(c))
}

/// ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER.
fn joiner(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}')
}

/// Whether a joiner between `before` (the last character kept) and `after` does some work:
/// both are characters GSM-7 cannot carry, as in an emoji sequence (👨‍👩‍👧, 🏳️‍🌈) or a joining
/// script (Persian, Devanagari), whose text is UCS-2 anyway. Anywhere else it is dropped.
fn joins(before: Option<char>, after: Option<char>) -> bool {
    let carries = |c: Option<char>| {
        c.is_some_and(|c| sms::gsm7_septets(c).is_none() && !unwanted(c) && !joiner(c) && !c.is_whitespace())
    };
    carries(before) && carries(after)
}

/// Producer text without unwanted characters or idle joiners, trimmed.
pub(super) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| unwanted(c) || joiner(c)) {
        return Cow::Borrowed(s.trim());
    }
    let mut kept = String::with_capacity(s.len());
    let mut rest = s.chars().peekable();
    while let Some(c) = rest.next() {
        let keep = if joiner(c) {
            joins(kept.chars().next_back(), rest.peek().copied())
        } else {
            !unwanted(c)
        };
        if keep {
            kept.push(c);
        }
    }
    match kept.trim() {
        t if t.len() == s.len() => Cow::Borrowed(s),
        t => Cow::Owned(t.to_owned()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::sms::{Encoding, segments};

    #[test]
    fn invisible_format_characters_are_stripped_from_producer_text() {
        let cases = [
            ("a zero width space", "Hello\u{200b}", "Hello"),
            ("a byte-order mark", "\u{feff}Electro Shop", "Electro Shop"),
            ("a soft hyphen", "Elec\u{ad}tro", "Electro"),
            ("a word joiner", "Elec\u{2060}tro", "Electro"),
            ("a zero width joiner between letters", "Elec\u{200d}tro", "Electro"),
            ("a zero width non-joiner after letters", "Shop\u{200c}", "Shop"),
            ("a joiner beside an emoji and a space", "🙂\u{200d} Shop", "🙂 Shop"),
            ("bidi marks", "\u{200e}Shop\u{200f}\u{61c}", "Shop"),
            (
                "bidi embeddings and isolates",
                "\u{202a}Sh\u{2066}op\u{2069}\u{202c}",
                "Shop",
            ),
        ];
        for (what, text, want) in cases {
            assert_eq!(clean(text), want, "{what}");
        }
    }

    #[test]
    fn hello_with_a_zero_width_space_stays_one_gsm7_segment_after_cleaning() {
        let raw = segments("Hello\u{200b}");
        assert_eq!((raw.encoding, raw.segments), (Encoding::Ucs2, 1));
        let cleaned = segments(&clean("Hello\u{200b}"));
        assert_eq!(
            (cleaned.encoding, cleaned.segments, cleaned.units),
            (Encoding::Gsm7, 1, 5)
        );
        let long = format!("{}\u{200b}", "a".repeat(100));
        assert_eq!(segments(&long).segments, 2, "UCS-2 for one invisible character");
        assert_eq!(segments(&clean(&long)).segments, 1);
    }

    #[test]
    fn joiners_inside_emoji_sequences_and_joining_scripts_survive() {
        for (what, text) in [
            ("a family", "Family 👨\u{200d}👩\u{200d}👧 trip"),
            ("a rainbow flag", "🏳\u{fe0f}\u{200d}🌈"),
            ("a skin-toned technologist", "👩🏽\u{200d}💻"),
            ("a Persian non-joiner", "می\u{200c}خواهم"),
            ("a Devanagari joiner", "क्\u{200d}ष"),
        ] {
            assert_eq!(clean(text), text, "{what}");
        }
        assert_eq!(clean("👨\u{200d}\u{200d}👩"), "👨\u{200d}👩", "a doubled joiner is one");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(clean("Electro Shop"), Cow::Borrowed("Electro Shop")));
        assert!(matches!(clean("👨\u{200d}👩"), Cow::Borrowed(_)));
    }
}
