//! Phishing-safe producer text: links and phone numbers inside free text become placeholders.
//!
//! A merchant name such as "Call +1 800 555 0100 to cancel" or "visit evil.example/refund"
//! must not read as the bank speaking, nor be tapped as a link or a number. [`neutralise`]
//! replaces, in any producer text a message shows:
//! - a whitespace-separated token that looks like a link (it contains `://`, a `www.` at a word
//!   start, `host.tld` followed by `/`, `?` or `#`, or `@host.tld` as in an email address) with
//!   the link placeholder; look-alike dots, slashes and colons (full-width, ideographic) and
//!   invisible characters do not hide one;
//! - a run of 7 or more digits, possibly broken by spaces, dashes, dots, slashes, parentheses
//!   or `+`, with the number placeholder.
//!
//! A bare domain without a path (`Booking.com`) is kept: it names the merchant. Amounts and
//! dates the templates format themselves are not producer text and never pass through here.

use std::borrow::Cow;

use super::format::{Lang, resolve};
use crate::types::{Url, truncate};

/// Fewest digits in a run that reads as a phone number.
pub const MIN_PHONE_DIGITS: usize = 7;

/// What replaces a link or a phone number found in producer text, in the message's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placeholders {
    pub link: &'static str,
    pub number: &'static str,
}

impl Placeholders {
    /// English's words, as the built-in reply texts have them.
    pub const EN: Placeholders = Placeholders {
        link: "[link removed]",
        number: "[number removed]",
    };
    /// The words of `lang`, from the catalog's reply texts (`link_removed`, `number_removed`).
    pub fn of(lang: Lang) -> Placeholders {
        super::languages::placeholders(lang)
    }

    /// The placeholders for a BCP 47 locale or a template language (`pt-PT`, `en`).
    pub fn for_locale(locale: &str) -> Placeholders {
        Placeholders::of(resolve(locale).0)
    }
}

/// `text` with every link-like token and phone-number-like run replaced by a placeholder;
/// borrowed when there is none.
pub fn neutralise<'a>(text: &'a str, words: Placeholders) -> Cow<'a, str> {
    let links = without_links(text, words.link);
    let numbers = match without_numbers(&links, words.number) {
        Cow::Owned(s) => Some(s),
        Cow::Borrowed(_) => None,
    };
    match numbers {
        Some(s) => Cow::Owned(s),
        None => links,
    }
}

/// The hosts producer links (resume, rebooking, push deep link) may lead to: host suffixes,
/// as `FOREWARN_LINK_HOSTS` lists them (`bank.example` allows `bank.example` and
/// `apply.bank.example`). Empty, the default, allows any https host. A link on another host is
/// left out of the message, and the plan's reasons say so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkHosts(Vec<String>);

impl LinkHosts {
    /// Comma-separated host suffixes; spaces and a leading dot are ignored, case too.
    pub fn parse(list: &str) -> Result<LinkHosts, String> {
        let mut hosts = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let host = entry.trim_start_matches('.').to_ascii_lowercase();
            let valid = host.split('.').all(|l| !l.is_empty())
                && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !valid {
                return Err(format!(
                    "not a host name such as bank.example: {:?}",
                    truncate(entry, 60)
                ));
            }
            hosts.push(host);
        }
        Ok(LinkHosts(hosts))
    }

    /// Whether every https host is allowed.
    pub fn is_any(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `url` leads to an allowed host.
    pub fn allows(&self, url: &Url) -> bool {
        let host = host_of(url);
        self.is_any()
            || self
                .0
                .iter()
                .any(|h| host == *h || host.strip_suffix(h.as_str()).is_some_and(|p| p.ends_with('.')))
    }
}

/// The host `url` leads to: lower case, without user info, port or trailing dot.
pub fn host_of(url: &Url) -> String {
    let rest = url.as_str().split_once("://").map_or(url.as_str(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `text` (already neutralised) cut to at most `max` characters like [`truncate`], but never
/// inside a placeholder: one that would be cut is left out whole, before the `…`.
pub fn cut<'a>(text: &'a str, max: usize, words: Placeholders) -> Cow<'a, str> {
    let cut = truncate(text, max);
    let Some(kept) = cut.strip_suffix('…').filter(|_| matches!(cut, Cow::Owned(_))) else {
        return cut;
    };
    let partial = kept.rfind('[').filter(|&i| {
        let tail = &kept[i..];
        [words.link, words.number]
            .iter()
            .any(|p| p.len() > tail.len() && p.starts_with(tail))
    });
    match partial {
        Some(i) => Cow::Owned(format!("{}…", kept[..i].trim_end())),
        None => cut,
    }
}

/// Characters that show nothing: they must not split a link or a number unseen.
pub(super) fn invisible(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{034f}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// A token as a link detector reads it: lower case, invisible characters dropped, look-alike
/// dots, slashes and colons made ASCII.
fn normal(token: &str) -> String {
    token
        .chars()
        .filter(|&c| !invisible(c))
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' | '\u{2024}' => '.',
            '\u{ff0f}' | '\u{2215}' | '\u{2044}' => '/',
            '\u{ff1a}' | '\u{2236}' => ':',
            '\u{ff20}' => '@',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether one whitespace-free token would read (or be tapped) as a link.
fn is_link(token: &str) -> bool {
    let t = normal(token);
    let www = t
        .match_indices("www.")
        .any(|(i, _)| t[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()));
    let path = t
        .match_indices(['/', '?', '#'])
        .any(|(i, _)| is_host(host_before(&t[..i])));
    let mail = t.match_indices('@').any(|(i, _)| is_host(host_after(&t[i + 1..])));
    t.contains("://") || www || path || mail
}

fn host_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-' || c == '_'
}

/// The host name that ends `s`, without a `:port`.
fn host_before(s: &str) -> &str {
    let s = match s.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    };
    let start = s
        .char_indices()
        .rev()
        .find(|&(_, c)| !host_char(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &s[start..]
}

/// The host name that starts `s`.
fn host_after(s: &str) -> &str {
    let end = s.find(|c: char| !host_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// `label.tld` or longer, with an alphabetic (or punycode) top-level label of 2+ letters.
fn is_host(h: &str) -> bool {
    let h = h.trim_end_matches('.');
    let Some((rest, tld)) = h.rsplit_once('.') else {
        return false;
    };
    let tld_ok = tld.starts_with("xn--") || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    tld_ok && rest.split('.').all(|l| !l.is_empty())
}

/// `text` with each link-like token (whitespace-separated) replaced by `placeholder`.
fn without_links<'a>(text: &'a str, placeholder: &str) -> Cow<'a, str> {
    if !text.split_whitespace().any(is_link) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..end];
        out.push_str(if is_link(token) { placeholder } else { token });
        rest = &rest[end..];
    }
    Cow::Owned(out)
}

fn digit(c: char) -> bool {
    c.is_numeric()
}

/// What may break up the digits of a phone number as people write it.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{202f}' | '-' | '.' | '/' | '(' | ')' | '+' | '\u{2010}'..='\u{2015}' | '\u{2212}'
    ) || invisible(c)
}

/// `text` with each run of [`MIN_PHONE_DIGITS`] or more digits (separators allowed between
/// them) replaced by `placeholder`, from its first digit (or the `+` or `(` before it) to its
/// last digit.
fn without_numbers<'a>(text: &'a str, placeholder: &str) -> Cow<'a, str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if !(digit(c) || c == '+' || c == '(') {
            i += 1;
            continue;
        }
        let (mut j, mut digits, mut last) = (i, 0, i);
        while j < chars.len() && (digit(chars[j].1) || separator(chars[j].1)) {
            if digit(chars[j].1) {
                digits += 1;
                last = j;
            }
            j += 1;
        }
        if digits >= MIN_PHONE_DIGITS {
            let (start, end) = (chars[i].0, chars[last].0 + chars[last].1.len_utf8());
            out.push_str(&text[copied..start]);
            out.push_str(placeholder);
            copied = end;
        }
        i = j.max(i + 1);
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn en(s: &str) -> String {
        neutralise(s, Placeholders::EN).into_owned()
    }

    #[test]
    fn a_phone_number_in_a_merchant_name_is_replaced() {
        assert_eq!(en("Call +1 800 555 0100 to cancel"), "Call [number removed] to cancel");
        assert_eq!(en("REFUNDS (800) 555-0100"), "REFUNDS [number removed]");
        assert_eq!(en("SHOP8005550100"), "SHOP[number removed]");
        assert_eq!(en("Ring 030/1234567."), "Ring [number removed].");
        assert_eq!(en("+44 20 7946 0958 help"), "[number removed] help");
        assert_eq!(en("tel 800.555.0100"), "tel [number removed]");
        assert_eq!(en("call 800\u{2011}555\u{2011}0100"), "call [number removed]");
    }

    #[test]
    fn digits_written_in_another_script_still_count() {
        assert_eq!(en("call ８００５５５０１００"), "call [number removed]");
        assert_eq!(en("٠١٢٣٤٥٦٧"), "[number removed]");
    }

    #[test]
    fn short_numbers_stay() {
        for s in [
            "Store 1249",
            "Gate 12",
            "TP1234",
            "Shop 12 3456",
            "Room 101, floor 23456",
            "2026 sale",
        ] {
            assert_eq!(en(s), s);
        }
    }

    #[test]
    fn a_link_with_a_scheme_www_or_a_path_is_replaced() {
        assert_eq!(en("visit evil.example/refund now"), "visit [link removed] now");
        assert_eq!(en("https://evil.example"), "[link removed]");
        assert_eq!(en("go to hxxp://x"), "go to [link removed]");
        assert_eq!(en("see WWW.Evil.Example"), "see [link removed]");
        assert_eq!(en("(www.evil.example)"), "[link removed]");
        assert_eq!(en("evil.example?ref=1"), "[link removed]");
        assert_eq!(en("evil.example:8443/x"), "[link removed]");
        assert_eq!(en("xn--80ak6aa92e.xn--p1ai/pay"), "[link removed]");
        assert_eq!(en("write to refunds@evil.example"), "write to [link removed]");
    }

    #[test]
    fn look_alike_punctuation_and_invisible_characters_do_not_hide_a_link() {
        assert_eq!(en("evil\u{ff0e}example/refund"), "[link removed]");
        assert_eq!(en("evil.example\u{ff0f}refund"), "[link removed]");
        assert_eq!(en("https\u{ff1a}//evil"), "[link removed]");
        assert_eq!(en("evil\u{200b}.example/refund"), "[link removed]");
        assert_eq!(en("ww\u{200b}w.evil.example"), "[link removed]");
    }

    #[test]
    fn ordinary_names_with_dots_and_slashes_stay() {
        for s in [
            "Booking.com",
            "AMAZON.COM*2K4AB1234",
            "Café & Co. / Lisboa",
            "St. Mary's",
            "A/B Testing Ltd",
            "Mr. Smith/Jones",
            "Electro Mundo",
            "Awww.Cute Pets",
            "1/2 price",
            "@shop",
        ] {
            assert_eq!(en(s), s);
        }
    }

    #[test]
    fn text_without_links_or_numbers_is_borrowed_unchanged() {
        assert!(matches!(
            neutralise("Electro Mundo", Placeholders::EN),
            Cow::Borrowed("Electro Mundo")
        ));
    }

    #[test]
    fn a_link_and_a_number_together_are_both_replaced() {
        assert_eq!(
            en("Refund: evil.example/r or +351 912 345 678"),
            "Refund: [link removed] or [number removed]"
        );
        assert_eq!(en("https://evil.example/8005550100"), "[link removed]");
    }

    #[test]
    fn every_language_gets_its_own_placeholders() {
        let pt = Placeholders::for_locale("pt-BR");
        assert_eq!(
            neutralise("Ligue 800 555 0100 ou www.x.example", pt),
            "Ligue [número removido] ou [link removido]"
        );
        assert_eq!(Placeholders::for_locale("de-DE").link, "[Link entfernt]");
        assert_eq!(Placeholders::for_locale("es-MX").number, "[número eliminado]");
        assert_eq!(Placeholders::for_locale("fr").link, "[lien supprimé]");
        assert_eq!(Placeholders::for_locale("nl-NL"), Placeholders::EN);
        assert_eq!(
            Placeholders::for_locale("en"),
            Placeholders::EN,
            "the built-in texts' English is the const"
        );
    }

    #[test]
    fn a_cut_never_splits_a_placeholder() {
        let text = en("Loan 0800 123 4567 now");
        assert_eq!(text, "Loan [number removed] now");
        assert_eq!(cut(&text, 12, Placeholders::EN), "Loan…");
        assert_eq!(cut(&text, 5, Placeholders::EN), "Loan …");
        assert_eq!(cut(&text, 21, Placeholders::EN), "Loan [number removed]…");
        assert_eq!(cut(&text, 40, Placeholders::EN), text);
        assert_eq!(cut("[link removed]", 3, Placeholders::EN), "…");
        assert_eq!(cut("a [b] c", 4, Placeholders::EN), "a [b…");
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_host_of_a_link_ignores_user_info_port_case_and_a_trailing_dot() {
        assert_eq!(host_of(&url("https://Bank.Example/apply")), "bank.example");
        assert_eq!(host_of(&url("https://bank.example@evil.example/x")), "evil.example");
        assert_eq!(
            host_of(&url("https://apply.bank.example.:8443?x=1")),
            "apply.bank.example"
        );
        assert_eq!(host_of(&url("https://evil.example\\@bank.example/")), "evil.example");
    }

    #[test]
    fn an_allow_list_admits_its_hosts_and_their_subdomains_only() {
        let hosts = LinkHosts::parse(" bank.example, .AIR.example ,").unwrap();
        assert!(hosts.allows(&url("https://bank.example/r")));
        assert!(hosts.allows(&url("https://apply.bank.example/r")));
        assert!(hosts.allows(&url("https://www.air.example/rebook")));
        assert!(!hosts.allows(&url("https://evilbank.example/r")));
        assert!(!hosts.allows(&url("https://bank.example.evil.example/r")));
        assert!(!hosts.allows(&url("https://bank.example@evil.example/r")));
    }

    #[test]
    fn an_empty_allow_list_admits_any_https_host() {
        for list in ["", " ", ","] {
            let hosts = LinkHosts::parse(list).unwrap();
            assert!(
                hosts.is_any() && hosts.allows(&url("https://anything.example/x")),
                "{list:?}"
            );
        }
        assert_eq!(LinkHosts::default(), LinkHosts::parse("").unwrap());
    }

    #[test]
    fn an_allow_list_entry_that_is_not_a_host_name_is_refused() {
        for list in [
            "https://bank.example",
            "bank.example/x",
            "bank..example",
            "bank example",
        ] {
            let err = LinkHosts::parse(list).unwrap_err();
            assert!(err.contains("not a host name"), "{list}: {err}");
        }
    }

    fn digits_in_a_row(s: &str) -> usize {
        let (mut best, mut run) = (0, 0);
        for c in s.chars() {
            run = if c.is_numeric() { run + 1 } else { 0 };
            best = best.max(run);
        }
        best
    }

    proptest! {
        #[test]
        fn neutralised_text_has_no_scheme_and_no_seven_digits_in_a_row(
            s in "[0-9a-zA-Z .:/()+@-]{0,60}|\\PC{0,40}"
        ) {
            for words in [Placeholders::EN, Placeholders::for_locale("pt-PT")] {
                let out = neutralise(&s, words);
                prop_assert!(!out.contains("://"), "{s:?} -> {out:?}");
                prop_assert!(digits_in_a_row(&out) < MIN_PHONE_DIGITS, "{s:?} -> {out:?}");
            }
        }

        #[test]
        fn neutralising_twice_changes_nothing_more(s in "[0-9a-z .:/()+@-]{0,60}|\\PC{0,40}") {
            let once = neutralise(&s, Placeholders::EN).into_owned();
            prop_assert_eq!(neutralise(&once, Placeholders::EN), once.as_str());
        }

        #[test]
        fn text_without_digits_dots_at_or_colons_is_untouched(s in "[a-zA-Z ,'&*!]{0,60}") {
            prop_assert_eq!(neutralise(&s, Placeholders::EN), s.as_str());
        }
    }
}
