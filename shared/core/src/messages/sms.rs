//! SMS encoding (GSM-7 or UCS-2) and segment counting, per 3GPP TS 23.038 and 23.040.
//!
//! A text that uses only the GSM 03.38 default alphabet (and its extension table, whose
//! characters take two septets) travels as GSM-7: 160 septets in a single message, 153 per part
//! of a concatenated one. Anything else travels as UCS-2 (UTF-16 code units): 70 in a single
//! message, 67 per part. A grapheme cluster is never split across two parts: an
//! extension-table character, a surrogate pair, a skin-toned or ZWJ-joined emoji, a flag or a
//! letter with its combining accents that does not fit moves whole to the next part.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

/// How an SMS text is encoded on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 03.38 default alphabet, 7 bits a character.
    Gsm7,
    /// UTF-16, 16 bits a code unit.
    Ucs2,
}

/// What sending a text costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// Messages billed: 1 for a single SMS, else the parts of a concatenated one.
    pub segments: usize,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text.
    pub units: usize,
}

/// GSM-7 septets in a single message.
pub const GSM7_SINGLE: usize = 160;
/// GSM-7 septets in each part of a concatenated message.
pub const GSM7_PART: usize = 153;
/// UCS-2 code units in a single message.
pub const UCS2_SINGLE: usize = 70;
/// UCS-2 code units in each part of a concatenated message.
pub const UCS2_PART: usize = 67;

/// The septets `c` takes in GSM-7: 1 for the default alphabet, 2 for the extension table
/// (escape + character), `None` when GSM-7 cannot carry it.
pub const fn gsm7_septets(c: char) -> Option<usize> {
    if c.is_ascii() {
        return match ASCII_SEPTETS[c as usize] {
            0 => None,
            n => Some(n as usize),
        };
    }
    table_septets(c)
}

/// Septets of each ASCII character (0: not in GSM-7), the common case made a lookup.
const ASCII_SEPTETS: [u8; 128] = {
    let mut table = [0; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = match table_septets(i as u8 as char) {
            Some(n) => n as u8,
            None => 0,
        };
        i += 1;
    }
    table
};

/// The GSM 03.38 default alphabet and extension table.
const fn table_septets(c: char) -> Option<usize> {
    match c {
        '@'
        | '£'
        | '$'
        | '¥'
        | 'è'
        | 'é'
        | 'ù'
        | 'ì'
        | 'ò'
        | 'Ç'
        | '\n'
        | 'Ø'
        | 'ø'
        | '\r'
        | 'Å'
        | 'å'
        | 'Δ'
        | '_'
        | 'Φ'
        | 'Γ'
        | 'Λ'
        | 'Ω'
        | 'Π'
        | 'Ψ'
        | 'Σ'
        | 'Θ'
        | 'Ξ'
        | 'Æ'
        | 'æ'
        | 'ß'
        | 'É'
        | ' '
        | '!'
        | '"'
        | '#'
        | '¤'
        | '%'
        | '&'
        | '\''
        | '('
        | ')'
        | '*'
        | '+'
        | ','
        | '-'
        | '.'
        | '/'
        | '0'..='9'
        | ':'
        | ';'
        | '<'
        | '='
        | '>'
        | '?'
        | '¡'
        | 'A'..='Z'
        | 'Ä'
        | 'Ö'
        | 'Ñ'
        | 'Ü'
        | '§'
        | '¿'
        | 'a'..='z'
        | 'ä'
        | 'ö'
        | 'ñ'
        | 'ü'
        | 'à' => Some(1),
        '\u{c}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        _ => None,
    }
}

/// The encoding and number of messages `text` takes.
pub fn segments(text: &str) -> Segments {
    let (encoding, units) = measure(text);
    let mut segments = 1;
    if units > encoding.single() {
        breaks(text, encoding, |_| segments += 1);
    }
    Segments {
        encoding,
        segments,
        units,
    }
}

/// `text` cut into the parts it travels in: itself when it fits a single message.
pub fn parts(text: &str) -> Vec<&str> {
    let (encoding, units) = measure(text);
    if units <= encoding.single() {
        return vec![text];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    breaks(text, encoding, |at| {
        parts.push(&text[start..at]);
        start = at;
    });
    parts.push(&text[start..]);
    parts
}

impl Encoding {
    /// Units in a single message.
    const fn single(self) -> usize {
        match self {
            Encoding::Gsm7 => GSM7_SINGLE,
            Encoding::Ucs2 => UCS2_SINGLE,
        }
    }
    /// Units in each part of a concatenated message.
    const fn part(self) -> usize {
        match self {
            Encoding::Gsm7 => GSM7_PART,
            Encoding::Ucs2 => UCS2_PART,
        }
    }
    /// Units `c` takes.
    fn units(self, c: char) -> usize {
        match self {
            Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
            Encoding::Ucs2 => c.len_utf16(),
        }
    }
}

/// The encoding `text` needs and its units in that encoding.
fn measure(text: &str) -> (Encoding, usize) {
    // One pass while the text is GSM-7; the first other character switches to UCS-2.
    let mut septets = 0;
    for c in text.chars() {
        match gsm7_septets(c) {
            Some(n) => septets += n,
            None => return (Encoding::Ucs2, text.encode_utf16().count()),
        }
    }
    (Encoding::Gsm7, septets)
}

/// Calls `at` with the byte offset where each part after the first starts, filling parts
/// greedily: a grapheme cluster (a character with its accents, a skin-toned or joined emoji,
/// a flag) that does not fit starts the next part. Only a cluster longer than a whole part is
/// split, between its characters.
fn breaks(text: &str, encoding: Encoding, mut at: impl FnMut(usize)) {
    let part = encoding.part();
    let mut used = 0;
    for (i, cluster) in text.grapheme_indices(true) {
        let size: usize = cluster.chars().map(|c| encoding.units(c)).sum();
        if size <= part {
            if used + size > part {
                at(i);
                used = 0;
            }
            used += size;
            continue;
        }
        for (j, c) in cluster.char_indices() {
            let size = encoding.units(c);
            if used + size > part {
                at(i + j);
                used = 0;
            }
            used += size;
        }
    }
}

/// Typographic characters with a plain GSM-7 stand-in.
fn gsm7_stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        // No-break, narrow no-break, thin and other spaces (ICU puts them in numbers and times).
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '…' => "...",
        '‘' | '’' | '‚' | '′' => "'",
        '“' | '”' | '„' | '″' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '−' => "-",
        '→' => "->",
        _ => return None,
    })
}

/// `text` with typographic characters replaced by GSM-7 stand-ins, when that makes the whole
/// text GSM-7 and costs no more messages; otherwise `text` unchanged. A truncation ellipsis or
/// the narrow no-break space ICU puts before "PM" should not force a text into UCS-2.
pub fn prefer_gsm7(text: &str) -> Cow<'_, str> {
    // One pass: give up at the first character that no stand-in can make GSM-7.
    let mut replaceable = false;
    for c in text.chars() {
        if gsm7_septets(c).is_none() {
            if gsm7_stand_in(c).is_none() {
                return Cow::Borrowed(text);
            }
            replaceable = true;
        }
    }
    if !replaceable {
        return Cow::Borrowed(text);
    }
    let mut plain = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match gsm7_stand_in(c) {
            Some(s) => plain.push_str(s),
            None => plain.push(c),
        }
    }
    if segments(&plain).segments <= segments(text).segments {
        Cow::Owned(plain)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn texts_are_counted_in_the_encoding_they_need() {
        let cases: &[(&str, String, Encoding, usize, usize)] = &[
            ("an empty text", String::new(), Encoding::Gsm7, 1, 0),
            ("160 plain letters", "a".repeat(160), Encoding::Gsm7, 1, 160),
            ("161 plain letters", "a".repeat(161), Encoding::Gsm7, 2, 161),
            ("306 plain letters", "a".repeat(306), Encoding::Gsm7, 2, 306),
            ("307 plain letters", "a".repeat(307), Encoding::Gsm7, 3, 307),
            ("80 euro signs", "€".repeat(80), Encoding::Gsm7, 1, 160),
            ("81 euro signs", "€".repeat(81), Encoding::Gsm7, 2, 162),
            ("GSM accents", "àéèùìòÇÑñÜüÖöÄäßÆæ".into(), Encoding::Gsm7, 1, 18),
            ("70 a-tildes", "ã".repeat(70), Encoding::Ucs2, 1, 70),
            ("71 a-tildes", "ã".repeat(71), Encoding::Ucs2, 2, 71),
            ("134 c-circumflexes", "ĉ".repeat(134), Encoding::Ucs2, 2, 134),
            ("135 c-circumflexes", "ĉ".repeat(135), Encoding::Ucs2, 3, 135),
            ("35 emoji", "🙂".repeat(35), Encoding::Ucs2, 1, 70),
            (
                "one emoji among letters",
                format!("{}🙂", "a".repeat(100)),
                Encoding::Ucs2,
                2,
                102,
            ),
        ];
        for (what, text, encoding, n, units) in cases {
            let s = segments(text);
            assert_eq!((s.encoding, s.segments, s.units), (*encoding, *n, *units), "{what}");
        }
    }

    #[test]
    fn ascii_is_looked_up_as_the_gsm_table_says() {
        let cases = [
            ('a', Some(1)),
            ('@', Some(1)),
            ('$', Some(1)),
            ('\n', Some(1)),
            ('{', Some(2)),
            ('\\', Some(2)),
            ('~', Some(2)),
            ('`', None),
            ('\t', None),
            ('ç', None),
            ('Ç', Some(1)),
            ('€', Some(2)),
        ];
        for (c, septets) in cases {
            assert_eq!(gsm7_septets(c), septets, "{c:?}");
        }
        for b in 0..128u8 {
            assert_eq!(gsm7_septets(b as char), table_septets(b as char), "{b}");
        }
    }

    #[test]
    fn a_two_septet_character_is_never_split_across_parts() {
        // 152 letters then a euro sign: the sign's two septets do not fit the first part's
        // one remaining septet, so it moves to the second part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&text).segments, 3, "152 | € + 151 | 1");
        let fits = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(segments(&fits).segments, 2);
    }

    #[test]
    fn a_surrogate_pair_is_never_split_across_parts() {
        let text = format!("{}🙂{}", "ã".repeat(66), "ã".repeat(66));
        assert_eq!(segments(&text).segments, 3, "66 | 🙂 + 65 | 1");
        let fits = format!("{}🙂{}", "ã".repeat(65), "ã".repeat(67));
        assert_eq!(segments(&fits).segments, 2);
    }

    /// Cases as a reference segment calculator (Twilio's) counts them, from the rules of
    /// GSM 03.38 / 3GPP TS 23.038: GSM-7 carries 160 septets alone or 153 a part, an
    /// extension-table character takes two septets and is never split; UCS-2 carries 70 UTF-16
    /// units alone or 67 a part, and a surrogate pair is never split.
    #[test]
    fn segments_match_a_reference_calculator() {
        let cases: &[(&str, String, Encoding, usize)] = &[
            ("160 GSM-7 letters fit one message", "a".repeat(160), Encoding::Gsm7, 1),
            ("161 GSM-7 letters take two parts", "a".repeat(161), Encoding::Gsm7, 2),
            ("two parts carry 306 GSM-7 letters", "a".repeat(306), Encoding::Gsm7, 2),
            ("307 GSM-7 letters take three parts", "a".repeat(307), Encoding::Gsm7, 3),
            (
                "159 letters and a euro sign are 161 septets",
                format!("{}€", "a".repeat(159)),
                Encoding::Gsm7,
                2,
            ),
            ("80 closing brackets are 160 septets", "]".repeat(80), Encoding::Gsm7, 1),
            (
                "153 pipes are 306 septets yet take three parts (76, 76, 1)",
                "|".repeat(153),
                Encoding::Gsm7,
                3,
            ),
            (
                "every extension character takes two septets",
                "€[]{}^~|\\".repeat(8),
                Encoding::Gsm7,
                1,
            ),
            ("70 UCS-2 letters fit one message", "ã".repeat(70), Encoding::Ucs2, 1),
            ("71 UCS-2 letters take two parts", "ã".repeat(71), Encoding::Ucs2, 2),
            ("two parts carry 134 UCS-2 letters", "ã".repeat(134), Encoding::Ucs2, 2),
            ("135 UCS-2 letters take three parts", "ã".repeat(135), Encoding::Ucs2, 3),
            ("35 emoji are 70 units", "🙂".repeat(35), Encoding::Ucs2, 1),
            ("36 emoji take two parts of 33", "🙂".repeat(36), Encoding::Ucs2, 2),
            ("67 emoji take three parts, not two", "🙂".repeat(67), Encoding::Ucs2, 3),
            (
                "one non-GSM letter makes the whole text UCS-2",
                format!("{}ç", "a".repeat(69)),
                Encoding::Ucs2,
                1,
            ),
            (
                "70 letters and one non-GSM letter take two parts",
                format!("{}ç", "a".repeat(70)),
                Encoding::Ucs2,
                2,
            ),
        ];
        for (what, text, encoding, n) in cases {
            let s = segments(text);
            assert_eq!((s.encoding, s.segments), (*encoding, *n), "{what}");
            assert_eq!(parts(text).len(), *n, "{what}: parts");
        }
    }

    #[test]
    fn a_grapheme_cluster_at_a_part_boundary_moves_whole_to_the_next_part() {
        for (what, cluster) in [
            ("a skin-toned thumb", "👍🏽"),
            ("a flag", "🇵🇹"),
            ("an e with a combining acute", "e\u{301}"),
            ("a family joined by ZWJ", "👨\u{200d}👩\u{200d}👧"),
        ] {
            // 66 units then the cluster: only one unit of the first part is left for it.
            let text = format!("{}{cluster}{}", "ã".repeat(66), "ã".repeat(10));
            let parts = parts(&text);
            assert_eq!(parts[0], "ã".repeat(66), "{what}");
            assert!(parts[1].starts_with(cluster), "{what}: {:?}", parts[1]);
            assert_eq!(parts.concat(), text, "{what}");
        }
    }

    #[test]
    fn only_a_cluster_longer_than_a_part_is_split() {
        let zalgo = format!("a{}", "\u{301}".repeat(100));
        let parts = parts(&zalgo);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].encode_utf16().count(), UCS2_PART);
        assert_eq!(parts.concat(), zalgo);
    }

    /// Texts with GSM-7, extension, non-GSM and multi-character clusters, often past a part.
    fn mixed_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("€"),
                Just("ã"),
                Just("🙂"),
                Just("👍🏽"),
                Just("🇵🇹"),
                Just("e\u{301}"),
                Just("👨\u{200d}👩\u{200d}👧"),
                Just(" "),
            ],
            0..260,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn part_boundaries_never_fall_inside_a_grapheme_cluster(
            text in prop_oneof![mixed_text(), "\\PC{0,200}"]
        ) {
            let parts = parts(&text);
            prop_assert_eq!(parts.concat(), text.clone());
            prop_assert_eq!(parts.len(), segments(&text).segments);
            let starts: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
            let encoding = segments(&text).encoding;
            let mut at = 0;
            for (n, part) in parts.iter().enumerate() {
                prop_assert!(n == 0 || starts.contains(&at), "{:?} split at byte {}", text, at);
                let units: usize = part.chars().map(|c| encoding.units(c)).sum();
                let room = if parts.len() == 1 { encoding.single() } else { encoding.part() };
                prop_assert!(units <= room, "{:?}: part {} has {} units", text, n, units);
                at += part.len();
            }
        }
    }

    #[test]
    fn typographic_characters_give_way_to_gsm7_only_when_that_helps() {
        let cases = [
            ("Flight at 3:47\u{202f}PM…", "Flight at 3:47 PM..."),
            ("It’s “late” – sorry", "It's \"late\" - sorry"),
            ("Já são 3:47\u{202f}PM…", "Já são 3:47\u{202f}PM…"),
            ("plain", "plain"),
        ];
        for (text, want) in cases {
            assert_eq!(prefer_gsm7(text), want, "{text}");
        }
        assert_eq!(segments(&prefer_gsm7("at 3:47\u{202f}PM")).encoding, Encoding::Gsm7);
    }
}
