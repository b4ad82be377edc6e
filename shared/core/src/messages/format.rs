//! Money, numbers, dates and lists written for the customer's locale by ICU4X, with the
//! formatters built once per locale (and per currency) and cached.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use fixed_decimal::Decimal;
use icu::calendar::{Date, Gregorian};
use icu::datetime::FixedCalendarDateTimeFormatter;
use icu::datetime::fieldsets::{MD, MDT};
use icu::datetime::options::TimePrecision;
use icu::decimal::DecimalFormatter;
use icu::list::ListFormatter;
use icu::list::options::{ListFormatterOptions, ListLength};
use icu::locale::subtags::{Variants, language};
use icu::locale::{LanguageIdentifier, Locale, locale};
use icu::time::{DateTime, Time};
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::silent::Silent;
use crate::types::{Currency, Money};

/// A language forewarn writes in: a table of the catalog's reply texts (`replies.toml`) whose
/// tag (`en`, `pt-PT`, `it`) also keys every kind's templates; `forewarn catalog check` proves
/// each has every text and every kind's templates. English (`en`) is the one a locale without
/// templates reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lang(&'static str);

impl Lang {
    /// English: every catalog has it, and a locale without templates reads it.
    pub const EN: Lang = Lang("en");

    /// A language of the reply texts being installed (its tag lives as long as the process).
    pub(crate) fn new_static(tag: &'static str) -> Lang {
        Lang(tag)
    }

    /// Every language of this process's catalog, in `replies.toml` order.
    pub fn all() -> &'static [Lang] {
        super::languages::all()
    }

    /// The name messages report: the tag (`en`, `pt-PT`, `it`).
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The key of this language in the catalog's templates and reply texts.
    pub fn tag(self) -> &'static str {
        self.0
    }

    /// The language for a catalog key (`pt-PT`, `es`), if the catalog has it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::all().iter().copied().find(|l| l.tag() == tag)
    }

    /// The template language for a BCP 47 locale ([`resolve`]).
    pub fn of(locale: &str) -> Lang {
        resolve(locale).0
    }
}

/// How a locale found its template language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The catalog has the locale's own language and region, or the language alone (`de` for `de-AT`).
    Own,
    /// The same language in another region: the first of `replies.toml` (`pt-PT` for `pt-AO`).
    OtherRegion,
    /// No templates in the locale's language: English with the customer's region (`en-NL` for `nl-NL`).
    English,
}

/// The template language for a BCP 47 locale string and the ICU locale to format with, from
/// the catalog's languages: the locale's own language and region (`pt-BR`), else its language
/// alone (`de` for `de-AT`), else the same language in another region (the first in
/// `replies.toml`: `pt-PT` for `pt-AO`), each formatting with the customer's own locale; else
/// English with the customer's region (so `nl-NL` reads English with `en-NL` numbers and
/// dates). Unparseable → `en`.
pub fn resolve(locale: &str) -> (Lang, Locale) {
    let (lang, loc, _) = resolve_why(locale);
    (lang, loc)
}

/// [`resolve`], and how the language was found.
pub fn resolve_why(locale: &str) -> (Lang, Locale, Match) {
    let Ok(mut loc) = Locale::try_from_str(&locale.trim().replace('_', "-")) else {
        return (Lang::EN, locale!("en"), Match::English);
    };
    let langs: Vec<(Lang, LanguageIdentifier)> = Lang::all()
        .iter()
        .filter_map(|&l| Some((l, LanguageIdentifier::try_from_str(l.tag()).ok()?)))
        .collect();
    let same = |id: &LanguageIdentifier| id.language == loc.id.language;
    let own = langs
        .iter()
        .find(|(_, id)| same(id) && id.region.is_some() && id.region == loc.id.region)
        .or_else(|| langs.iter().find(|(_, id)| same(id) && id.region.is_none()));
    if let Some((l, _)) = own {
        return (*l, loc, Match::Own);
    }
    if let Some((l, _)) = langs.iter().find(|(_, id)| same(id)) {
        return (*l, loc, Match::OtherRegion);
    }
    loc.id.language = language!("en");
    loc.id.script = None;
    loc.id.variants = Variants::new();
    (Lang::EN, loc, Match::English)
}

type MoneyFormatter = CurrencyFormatter<DecimalFormatter>;

/// Every formatter a message needs, for one locale.
pub struct Formats {
    pub lang: Lang,
    locale: Locale,
    date_time: FixedCalendarDateTimeFormatter<Gregorian, MDT>,
    date: FixedCalendarDateTimeFormatter<Gregorian, MD>,
    list: ListFormatter,
    number: DecimalFormatter,
    money: RwLock<HashMap<Currency, Arc<MoneyFormatter>>>,
}

impl Formats {
    /// Builds the formatters for `locale` (a BCP 47 string; see [`resolve`]).
    pub fn new(locale: &str) -> Formats {
        let (lang, loc) = resolve(locale);
        Formats::for_locale(lang, loc)
            .unwrap_or_else(|| Formats::for_locale(lang, locale!("en")).expect("compiled data covers en"))
    }

    fn for_locale(lang: Lang, locale: Locale) -> Option<Formats> {
        let date_time = FixedCalendarDateTimeFormatter::try_new(
            (&locale).into(),
            MDT::medium().with_time_precision(TimePrecision::Minute),
        )
        .ok()?;
        let date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), MD::long()).ok()?;
        let list = ListFormatter::try_new_and(
            (&locale).into(),
            ListFormatterOptions::default().with_length(ListLength::Wide),
        )
        .ok()?;
        let number = DecimalFormatter::try_new((&locale).into(), Default::default()).ok()?;
        Some(Formats {
            lang,
            locale,
            date_time,
            date,
            list,
            number,
            money: RwLock::new(HashMap::new()),
        })
    }

    /// `123.45 EUR` as the locale writes it: `€123.45` (en), `123,45 €` (pt-PT).
    pub fn money(&self, m: &Money) -> String {
        let value = Decimal::try_from_str(m.amount.as_str()).unwrap_or_default();
        match self.money_formatter(m.currency) {
            Some(f) => f.format_fixed_decimal(&value).to_string(),
            // A code ICU cannot format with: the locale's number and the code.
            None => format!("{} {}", self.number.format(&value), m.currency.as_str()),
        }
    }

    fn money_formatter(&self, currency: Currency) -> Option<Arc<MoneyFormatter>> {
        if let Some(f) = self.money.read().unwrap_or_else(PoisonError::into_inner).get(&currency) {
            return Some(f.clone());
        }
        let code = CurrencyType::try_from_str(currency.as_str()).ok()?;
        // Silent requests: a currency without a symbol in this locale's data (AED in `en`) is
        // written with its ISO code (`AED 12.50`), and ICU4X prints nothing about the miss.
        let f = CurrencyFormatter::try_new_symbol_unstable(&Silent, (&self.locale).into(), code, Default::default());
        let f = Arc::new(f.ok()?);
        let mut cache = self.money.write().unwrap_or_else(PoisonError::into_inner);
        // Currencies are ISO codes from producers: bound the cache all the same.
        if cache.len() < MAX_CACHED {
            cache.insert(currency, f.clone());
        }
        Some(f)
    }

    /// A whole number as the locale writes it (`1,234`, `1234`).
    pub fn number(&self, n: usize) -> String {
        self.number.format_to_string(&Decimal::from(n as u64))
    }

    /// Month, day and time of `ts` in `tz`: `Nov 23, 3:47 PM` (en), `23 de nov., 15:47` (pt-PT).
    pub fn date_time(&self, ts: Timestamp, tz: &TimeZone) -> String {
        let (date, time) = civil(ts, tz);
        self.date_time.format(&DateTime { date, time }).to_string()
    }

    /// Month and day of `ts` in `tz`: `November 23` (en), `23 de novembro` (pt).
    pub fn date(&self, ts: Timestamp, tz: &TimeZone) -> String {
        self.date.format(&civil(ts, tz).0).to_string()
    }

    /// `a, b and c` (en), `a, b e c` (pt).
    pub fn list<'a>(&self, items: impl Iterator<Item = &'a str> + Clone) -> String {
        self.list.format_to_string(items)
    }
}

/// The wall-clock date and time of `ts` in `tz`, as ICU input.
fn civil(ts: Timestamp, tz: &TimeZone) -> (Date<Gregorian>, Time) {
    let dt = tz.to_datetime(ts);
    let date = Date::try_new_gregorian(i32::from(dt.year()), dt.month() as u8, dt.day() as u8)
        .expect("jiff dates are valid Gregorian dates");
    let time =
        Time::try_new(dt.hour() as u8, dt.minute() as u8, dt.second() as u8, 0).expect("jiff times are valid times");
    (date, time)
}

/// Most locales (and currencies per locale) kept; beyond that, formatters are built per use.
const MAX_CACHED: usize = 64;

/// Formatters per locale string, built on first use.
#[derive(Default)]
pub struct FormatCache {
    by_locale: RwLock<HashMap<Box<str>, Arc<Formats>>>,
}

impl FormatCache {
    pub fn get(&self, locale: &str) -> Arc<Formats> {
        if let Some(f) = self
            .by_locale
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(locale)
        {
            return f.clone();
        }
        let f = Arc::new(Formats::new(locale));
        let mut cache = self.by_locale.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() < MAX_CACHED {
            cache.insert(locale.into(), f.clone());
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Amount;

    fn money(amount: &str, currency: &str) -> Money {
        Money {
            amount: Amount::parse(amount).unwrap(),
            currency: Currency::parse(currency).unwrap(),
        }
    }

    #[test]
    fn locales_pick_the_template_language_and_keep_the_region() {
        let cases = [
            ("pt-PT", Lang::from_tag("pt-PT").unwrap(), "pt-PT"),
            ("pt_BR", Lang::from_tag("pt-BR").unwrap(), "pt-BR"),
            ("pt", Lang::from_tag("pt-PT").unwrap(), "pt"),
            ("pt-AO", Lang::from_tag("pt-PT").unwrap(), "pt-AO"),
            ("en-GB", Lang::EN, "en-GB"),
            ("de-DE", Lang::from_tag("de").unwrap(), "de-DE"),
            ("de-AT", Lang::from_tag("de").unwrap(), "de-AT"),
            ("es-MX", Lang::from_tag("es").unwrap(), "es-MX"),
            ("fr-CA", Lang::from_tag("fr").unwrap(), "fr-CA"),
            ("nl-NL", Lang::EN, "en-NL"),
            ("zh-Hant-TW", Lang::EN, "en-TW"),
            ("", Lang::EN, "en"),
            ("not a locale!", Lang::EN, "en"),
        ];
        for (input, lang, locale) in cases {
            let (l, loc) = resolve(input);
            assert_eq!((l, loc.to_string().as_str()), (lang, locale), "{input:?}");
        }
    }

    #[test]
    fn money_is_written_the_way_the_locale_writes_it() {
        let nbsp = |s: &str| s.replace(['\u{a0}', '\u{202f}'], " ");
        let cases = [
            ("en", "1234.56", "EUR", "€1,234.56"),
            ("en-US", "1234.5", "USD", "$1,234.50"),
            ("pt-PT", "1234.56", "EUR", "1234,56 €"),
            ("pt-PT", "12345.67", "EUR", "12 345,67 €"),
            ("pt-BR", "1234.56", "BRL", "R$ 1.234,56"),
            ("en", "1500", "JPY", "¥1,500"),
            ("en", "-20.00", "EUR", "-€20.00"),
            ("en", "999999999999999.99", "EUR", "€999,999,999,999,999.99"),
        ];
        for (locale, amount, currency, want) in cases {
            let got = Formats::new(locale).money(&money(amount, currency));
            assert_eq!(nbsp(&got), want, "{locale} {amount} {currency}");
        }
    }

    #[test]
    fn a_negative_balance_is_written_with_its_sign_in_every_language() {
        let nbsp = |s: &str| s.replace(['\u{a0}', '\u{202f}'], " ").replace('\u{2212}', "-");
        let cases = [
            ("en", "-€12.50"),
            ("pt-PT", "-12,50 €"),
            ("pt-BR", "-€ 12,50"),
            ("es", "-12,50 €"),
            ("fr", "-12,50 €"),
            ("de", "-12,50 €"),
        ];
        for (locale, want) in cases {
            let got = Formats::new(locale).money(&money("-12.50", "EUR"));
            assert_eq!(nbsp(&got), want, "{locale}");
        }
    }

    #[test]
    fn a_currency_without_a_symbol_in_the_locale_is_written_with_its_iso_code() {
        let nbsp = |s: &str| s.replace(['\u{a0}', '\u{202f}'], " ");
        let cases = [
            ("en", "AED 12.50"),
            ("en-GB", "AED 12.50"),
            ("pt-PT", "12,50 AED"),
            ("de", "12,50 AED"),
            ("fr", "12,50 AED"),
        ];
        for (locale, want) in cases {
            let got = Formats::new(locale).money(&money("12.50", "AED"));
            assert_eq!(nbsp(&got), want, "{locale}");
        }
    }

    #[test]
    fn asking_for_a_missing_symbol_is_a_silent_request() {
        // ICU4X logs a missing entry unless the request is marked silent: every request the
        // money formatter makes goes through `silent`.
        assert!(super::super::silent::silent(Default::default()).metadata.silent);
    }

    #[test]
    fn dates_and_times_are_shown_in_the_customers_zone() {
        let ts: Timestamp = "2026-11-23T15:47:00Z".parse().unwrap();
        let lisbon = jiff::tz::db().get("Europe/Lisbon").unwrap();
        let new_york = jiff::tz::db().get("America/New_York").unwrap();
        let plain = |s: String| s.replace(['\u{a0}', '\u{202f}'], " ");
        assert_eq!(plain(Formats::new("en").date_time(ts, &new_york)), "Nov 23, 10:47 AM");
        assert_eq!(plain(Formats::new("en-GB").date_time(ts, &lisbon)), "23 Nov, 15:47");
        assert_eq!(plain(Formats::new("pt-PT").date_time(ts, &lisbon)), "23 de nov., 15:47");
        assert_eq!(Formats::new("en").date(ts, &lisbon), "November 23");
        assert_eq!(Formats::new("pt-PT").date(ts, &lisbon), "23 de novembro");
    }

    #[test]
    fn lists_and_numbers_follow_the_language() {
        let items = ["ID", "payslip", "proof of address"];
        assert_eq!(
            Formats::new("en").list(items.iter().copied()),
            "ID, payslip, and proof of address"
        );
        assert_eq!(
            Formats::new("pt").list(items.iter().copied()),
            "ID, payslip e proof of address"
        );
        assert_eq!(Formats::new("en").number(12345), "12,345");
    }

    #[test]
    fn formatters_are_cached_per_locale() {
        let cache = FormatCache::default();
        assert!(Arc::ptr_eq(&cache.get("pt-PT"), &cache.get("pt-PT")));
        assert_eq!(cache.get("xx-!!").lang, Lang::EN);
    }
}
