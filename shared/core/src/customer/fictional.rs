//! The phone ranges and mail domains reserved for fiction and documentation, which samples, seeds and staging use so that no stranger is ever reached.

use super::LineType;

/// A block of numbers a regulator keeps out of service for drama and documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservedRange {
    /// E.164 prefix, `+447700900`.
    pub prefix: &'static str,
    /// Digits after the prefix.
    pub rest: usize,
    /// ISO 3166-1 alpha-2 region the numbers belong to.
    pub country: &'static str,
    /// Who reserves it, for the reader.
    pub source: &'static str,
    /// The kind of line the range stands for.
    pub line: LineType,
}

/// The ranges forewarn knows. Ofcom's drama mobiles are called unassigned by the phone
/// metadata, so [`super::PhoneNumber::parse`] accepts them from this list; the others are
/// valid numbers of their country that their regulator promises never to assign.
pub const RANGES: [ReservedRange; 4] = [
    ReservedRange {
        prefix: "+447700900",
        rest: 3,
        country: "GB",
        source: "Ofcom's drama range, mobile 07700 900000–900999",
        line: LineType::Mobile,
    },
    ReservedRange {
        prefix: "+44207946",
        rest: 4,
        country: "GB",
        source: "Ofcom's drama range, London 020 7946 0000–0999",
        line: LineType::FixedLine,
    },
    ReservedRange {
        prefix: "+61491570",
        rest: 3,
        country: "AU",
        source: "ACMA's fictitious mobile range 0491 570 xxx",
        line: LineType::Mobile,
    },
    ReservedRange {
        prefix: "+1",
        rest: 10,
        country: "US",
        source: "NANP 555-0100 to 555-0199, for fiction",
        line: LineType::FixedLineOrMobile,
    },
];

/// The reserved range `e164` falls in, if any.
pub fn range(e164: &str) -> Option<&'static ReservedRange> {
    RANGES.iter().find(|r| {
        let Some(rest) = e164.strip_prefix(r.prefix) else {
            return false;
        };
        let digits = rest.len() == r.rest && rest.bytes().all(|b| b.is_ascii_digit());
        digits && (r.country != "US" || is_nanp_fiction(rest))
    })
}

/// `NPA 555 01xx` after the `+1`.
fn is_nanp_fiction(ten: &str) -> bool {
    ten.get(3..8) == Some("55501")
}

/// Whether mail to `domain` can reach no one: `example.com`, `.net`, `.org` and their
/// subdomains (RFC 2606), and the reserved top-level names `.example`, `.test`, `.invalid`
/// and `.localhost`.
pub fn is_reserved_domain(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let second = ["example.com", "example.net", "example.org"];
    let tops = ["example", "test", "invalid", "localhost"];
    second.iter().any(|s| d == *s || d.ends_with(&format!(".{s}")))
        || tops.iter().any(|t| d == *t || d.ends_with(&format!(".{t}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ofcom_acma_and_nanp_fiction_numbers_are_reserved_and_real_looking_ones_are_not() {
        assert_eq!(range("+447700900123").map(|r| r.country), Some("GB"));
        assert_eq!(range("+442079460999").map(|r| r.country), Some("GB"));
        assert_eq!(range("+61491570156").map(|r| r.country), Some("AU"));
        assert_eq!(range("+12025550143").map(|r| r.country), Some("US"));
        for real in [
            "+447700901123",
            "+4477009001234",
            "+351912345678",
            "+12025550243",
            "+61412345678",
        ] {
            assert_eq!(range(real), None, "{real}");
        }
    }

    #[test]
    fn only_documentation_domains_are_reserved() {
        for d in [
            "example.com",
            "mail.example.org",
            "bank.example",
            "x.test",
            "EXAMPLE.NET",
        ] {
            assert!(is_reserved_domain(d), "{d}");
        }
        for d in [
            "example.de",
            "example.co.uk",
            "gmail.com",
            "notexample.com",
            "example.com.br",
        ] {
            assert!(!is_reserved_domain(d), "{d}");
        }
    }
}
