//! SMS encoding (GSM-7 or UCS-2) and segment counting, per 3GPP TS 23.038 and 23.040.
//!
//! A text that uses only the GSM 03.38 default alphabet (and its extension table, whose
//! characters take two septets) travels as GSM-7: 160 septets in a single message, 153 per part
//! of a concatenated one. Anything else travels as UCS-2 (UTF-16 code units): 70 in a single
//! message, 67 per part. A character is never split across two parts: an extension-table
//! character or a surrogate pair that does not fit moves whole to the next part.

use std::borrow::Cow;

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
    // One pass while the text is GSM-7; the first other character switches to UCS-2.
    let mut septets = 0;
    for c in text.chars() {
        match gsm7_septets(c) {
            Some(n) => septets += n,
            None => {
                let units = text.encode_utf16().count();
                let sizes = text.chars().map(char::len_utf16);
                return count(Encoding::Ucs2, units, sizes, UCS2_SINGLE, UCS2_PART);
            }
        }
    }
    let sizes = text.chars().map(|c| gsm7_septets(c).unwrap_or(1));
    count(Encoding::Gsm7, septets, sizes, GSM7_SINGLE, GSM7_PART)
}

fn count(encoding: Encoding, units: usize, sizes: impl Iterator<Item = usize>, single: usize, part: usize) -> Segments {
    if units <= single {
        return Segments {
            encoding,
            segments: 1,
            units,
        };
    }
    // Fill parts greedily; a character that does not fit starts the next part.
    let (mut parts, mut used) = (1, 0);
    for size in sizes {
        if used + size > part {
            parts += 1;
            used = 0;
        }
        used += size;
    }
    Segments {
        encoding,
        segments: parts,
        units,
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
