//! Newtypes for values that arrive from outside: parsed once at the edge, trusted inside.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use unicode_segmentation::UnicodeSegmentation;

/// Longest identifier (customer, account, booking, …) accepted from a producer.
pub const MAX_ID_LEN: usize = 128;
/// Longest free text (merchant name, product, reason, …) accepted from a producer.
pub const MAX_TEXT_LEN: usize = 500;

/// An instant given as an RFC 3339 string with an offset (`2026-11-22T08:00:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub Timestamp);

impl Instant {
    pub fn timestamp(self) -> Timestamp {
        self.0
    }
}

impl From<Timestamp> for Instant {
    fn from(t: Timestamp) -> Self {
        Instant(t)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        s.parse::<Timestamp>()
            .map(Instant)
            .map_err(|_| de::Error::custom(crate::time_fault::why_not_a_time(&s)))
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl JsonSchema for Instant {
    fn schema_name() -> Cow<'static, str> {
        "Instant".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 time with an offset, e.g. 2026-11-22T08:00:00Z"
        })
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Declares a non-empty, bounded string newtype with a JSON Schema.
macro_rules! bounded_string {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, String> {
                let s = s.into();
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    return Err("must not be empty".into());
                }
                let n = trimmed.chars().count();
                if n > $max {
                    return Err(format!("longer than {} characters ({n})", $max));
                }
                if trimmed.chars().any(char::is_control) {
                    return Err("contains control characters".into());
                }
                Ok(Self(trimmed.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(s).map_err(de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "minLength": 1, "maxLength": $max})
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_string!(
    /// An identifier chosen by the producer (customer, account, booking, transaction, …).
    Id,
    MAX_ID_LEN
);
bounded_string!(
    /// Free text from the producer (merchant name, product, reason, …).
    Text,
    MAX_TEXT_LEN
);

/// A money amount that may be negative: a balance, which is when the account is overdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: Amount,
    pub currency: Currency,
}

/// A money amount greater than zero: what is paid, charged or owed; never negative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositiveMoney {
    pub amount: PositiveAmount,
    pub currency: Currency,
}

/// A decimal amount written as a string (`"123.45"`, `"-20.00"`): never a float.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Amount(String);

impl Amount {
    pub const PATTERN: &'static str = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$";

    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let ok = all_digits(int) && int.len() <= 15 && frac.is_none_or(|f| all_digits(f) && f.len() <= 6);
        if ok {
            Ok(Amount(s.to_owned()))
        } else {
            Err(format!(
                "not a decimal string such as \"123.45\" (at most 15 integer and 6 fraction digits): {:?}",
                truncate(s, 40)
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"123.45\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Amount, E> {
                Amount::parse(s).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Amount, E> {
                Err(E::custom("a number, not a decimal string: write \"123.45\" in quotes"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Amount, E> {
                Err(E::custom("a number, not a decimal string: write \"123.45\" in quotes"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Amount, E> {
                Err(E::custom("a number, not a decimal string: write \"123.45\" in quotes"))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": Amount::PATTERN, "description": "A decimal amount as a string, e.g. \"123.45\""})
    }
}

/// A decimal amount greater than zero, written as a string (`"123.45"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PositiveAmount(Amount);

impl PositiveAmount {
    pub const PATTERN: &'static str = r"^(?!0+(\.0+)?$)[0-9]{1,15}(\.[0-9]{1,6})?$";

    pub fn parse(s: &str) -> Result<Self, String> {
        let a = Amount::parse(s)?;
        if s.starts_with('-') {
            return Err(format!("must not be negative: {:?}", truncate(s, 40)));
        }
        if !s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return Err("must be greater than zero".into());
        }
        Ok(PositiveAmount(a))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl<'de> Deserialize<'de> for PositiveAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let a = Amount::deserialize(d)?;
        PositiveAmount::parse(a.as_str()).map_err(de::Error::custom)
    }
}

impl JsonSchema for PositiveAmount {
    fn schema_name() -> Cow<'static, str> {
        "PositiveAmount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": PositiveAmount::PATTERN,
            "description": "A decimal amount greater than zero as a string, e.g. \"123.45\""
        })
    }
}

/// An active ISO 4217 currency code (`EUR`): three capital letters in the ISO list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                if crate::iso4217::is_active(s) {
                    Ok(Currency([*a, *b, *c]))
                } else {
                    Err(format!("not an ISO 4217 currency code in use: {s:?}"))
                }
            }
            _ => Err(format!(
                "not an ISO 4217 currency code (three capital letters): {:?}",
                truncate(s, 20)
            )),
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        Currency::parse(&s).map_err(de::Error::custom)
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code, e.g. EUR"})
    }
}

/// An `https://` link the customer can open (resume, rebooking, push deep link): a plain
/// `http://` one is refused, since anyone on the path could change where it leads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Url(String);

impl Url {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.starts_with("http://") {
            return Err("must be an https URL".to_owned());
        }
        match s.strip_prefix("https://") {
            Some(r)
                if !r.is_empty()
                    && s.len() <= 2048
                    && !s
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>') =>
            {
                Ok(Url(s.to_owned()))
            }
            _ => Err(format!("must be an https URL: {:?}", truncate(s, 60))),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        Url::parse(&s).map_err(de::Error::custom)
    }
}

impl JsonSchema for Url {
    fn schema_name() -> Cow<'static, str> {
        "Url".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 2048})
    }
}

/// The last `n` characters of `s` (all of it when shorter): what a masked token or endpoint
/// keeps.
pub fn tail(s: &str, n: usize) -> &str {
    match n.checked_sub(1).map(|k| s.char_indices().rev().nth(k)) {
        None => "",
        Some(Some((i, _))) => &s[i..],
        Some(None) => s,
    }
}

/// Cuts a string to at most `max` characters, for error messages and bounded output, then
/// marks the cut with `…`. The cut falls between grapheme clusters: a skin-toned emoji, a flag
/// or a letter with its combining accent is kept whole or left out whole, never split.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    let Some((i, _)) = s.char_indices().nth(max) else {
        return Cow::Borrowed(s);
    };
    // The start of the first cluster that does not fit whole within the first `max` characters.
    let end = s
        .grapheme_indices(true)
        .map(|(j, _)| j)
        .take_while(|&j| j <= i)
        .last()
        .unwrap_or(0);
    Cow::Owned(format!("{}…", &s[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_characters_whole() {
        assert_eq!(tail("abcdef1234", 4), "1234");
        assert_eq!(tail("ab", 4), "ab");
        assert_eq!(tail("x€€", 2), "€€");
        assert_eq!(tail("abc", 0), "");
    }

    #[test]
    fn amounts_are_decimal_strings_only() {
        for ok in ["0", "123.45", "-20.00", "999999999999999.999999"] {
            assert!(Amount::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e3",
            "12,50",
            "1234567890123456",
            "1.1234567",
            "NaN",
            " 1",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_amount_given_as_a_json_number_is_rejected_with_a_hint() {
        let err = serde_json::from_str::<Amount>("12.5").unwrap_err().to_string();
        assert!(err.contains("in quotes"), "{err}");
    }

    #[test]
    fn a_positive_amount_refuses_a_negative_or_zero_one_and_says_which() {
        assert_eq!(PositiveAmount::parse("0.01").unwrap().as_str(), "0.01");
        assert!(
            PositiveAmount::parse("-5")
                .unwrap_err()
                .contains("must not be negative")
        );
        assert!(PositiveAmount::parse("0.00").unwrap_err().contains("greater than zero"));
        assert!(
            PositiveAmount::parse("1.2.3")
                .unwrap_err()
                .contains("not a decimal string")
        );
        let err = serde_json::from_str::<PositiveAmount>("5").unwrap_err().to_string();
        assert!(err.contains("in quotes"), "{err}");
    }

    #[test]
    fn a_negative_balance_is_money() {
        assert_eq!(Amount::parse("-12.50").unwrap().as_str(), "-12.50");
    }

    #[test]
    fn currencies_are_three_capital_letters() {
        assert!(Currency::parse("EUR").is_ok());
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn a_made_up_currency_code_is_refused_as_not_in_use() {
        assert!(Currency::parse("AED").is_ok());
        let err = Currency::parse("XXZ").unwrap_err();
        assert!(
            err.contains("not an ISO 4217 currency code in use") && err.contains("XXZ"),
            "{err}"
        );
    }

    #[test]
    fn ids_are_trimmed_bounded_and_non_empty() {
        assert_eq!(Id::parse("  c-1 ").unwrap().as_str(), "c-1");
        assert!(Id::parse("   ").is_err());
        assert!(Id::parse("x".repeat(MAX_ID_LEN + 1)).is_err());
        assert!(Id::parse("a\u{0}b").is_err());
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("ããããã", 3), "ããã…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn a_truncation_point_never_falls_inside_a_grapheme_cluster() {
        let cases = [
            ("a skin-toned thumb", "ab👍🏽cd", 3, "ab…"),
            ("a skin-toned thumb that fits", "ab👍🏽cd", 4, "ab👍🏽…"),
            ("a flag", "ab🇵🇹cd", 3, "ab…"),
            ("a flag that fits", "ab🇵🇹cd", 4, "ab🇵🇹…"),
            ("an e with a combining acute", "cafe\u{301} bar", 4, "caf…"),
            ("an e with its accent that fits", "cafe\u{301} bar", 5, "cafe\u{301}…"),
            ("a family joined by ZWJ", "hi 👨\u{200d}👩\u{200d}👧!", 5, "hi …"),
            ("a cluster longer than the bound", "👨\u{200d}👩\u{200d}👧", 2, "…"),
        ];
        for (what, text, max, want) in cases {
            assert_eq!(truncate(text, max), want, "{what}");
        }
    }

    proptest::proptest! {
        #[test]
        fn truncation_keeps_a_prefix_of_whole_grapheme_clusters(
            s in "(\\PC|👍🏽|🇵🇹|e\u{301}|👨\u{200d}👩\u{200d}👧|\u{200d}|\u{1f1f5}){0,30}",
            max in 0usize..40,
        ) {
            let cut = truncate(&s, max);
            let kept = cut.strip_suffix('…').filter(|_| matches!(cut, Cow::Owned(_))).unwrap_or(&cut);
            proptest::prop_assert!(kept.chars().count() <= max, "{s:?} {max} -> {cut:?}");
            let whole: Vec<&str> = s.graphemes(true).collect();
            let prefix: Vec<&str> = kept.graphemes(true).collect();
            proptest::prop_assert_eq!(&whole[..prefix.len()], &prefix[..], "{:?} {} -> {:?}", s, max, cut);
        }
    }
}
