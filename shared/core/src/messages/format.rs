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
use icu::locale::{Locale, locale};
use icu::time::{DateTime, Time};
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::silent::Silent;
use crate::types::{Currency, Money};

/// The languages forewarn writes in: every kind's templates and every reply text exist in
/// each of them (`forewarn catalog check` proves it for the templates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    /// European Portuguese.
    Pt,
    /// Brazilian Portuguese.
    PtBr,
    Es,
    Fr,
    De,
}

impl Lang {
    pub const ALL: [Lang; 6] = [Lang::En, Lang::Pt, Lang::PtBr, Lang::Es, Lang::Fr, Lang::De];

    /// The short name messages report (`en`, `pt`, `pt-BR`, `es`, `fr`, `de`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Pt => "pt",
            Lang::PtBr => "pt-BR",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }

    /// The key of this language in the catalog's templates and reply texts.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Pt => "pt-PT",
            other => other.as_str(),
        }
    }

    /// The language for a catalog key (`pt-PT`, `es`), if forewarn writes in it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == tag)
    }

    /// The template language for a BCP 47 locale (`de-AT` is German, `pt` and `pt-AO` are
    /// European Portuguese, `pt-BR` Brazilian); English for any other or unparseable one.
    pub fn of(locale: &str) -> Lang {
        resolve(locale).0
    }
}

/// The template language for a BCP 47 locale string and the ICU locale to format with: the
/// customer's own for a language with templates, else English with the customer's region (so
/// `nl-NL` reads English with `en-NL` numbers and dates). Unparseable → `en`.
pub fn resolve(locale: &str) -> (Lang, Locale) {
    let Ok(mut loc) = Locale::try_from_str(&locale.trim().replace('_', "-")) else {
        return (Lang::En, locale!("en"));
    };
    let lang = match loc.id.language {
        l if l == language!("pt") => match loc.id.region {
            Some(r) if r.as_str() == "BR" => Lang::PtBr,
            _ => Lang::Pt,
        },
        l if l == language!("es") => Lang::Es,
        l if l == language!("fr") => Lang::Fr,
        l if l == language!("de") => Lang::De,
        l if l == language!("en") => Lang::En,
        _ => {
            loc.id.language = language!("en");
            loc.id.script = None;
            loc.id.variants = Variants::new();
            Lang::En
        }
    };
    (lang, loc)
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
            ("pt-PT", Lang::Pt, "pt-PT"),
            ("pt_BR", Lang::PtBr, "pt-BR"),
            ("pt", Lang::Pt, "pt"),
            ("pt-AO", Lang::Pt, "pt-AO"),
            ("en-GB", Lang::En, "en-GB"),
            ("de-DE", Lang::De, "de-DE"),
            ("de-AT", Lang::De, "de-AT"),
            ("es-MX", Lang::Es, "es-MX"),
            ("fr-CA", Lang::Fr, "fr-CA"),
            ("nl-NL", Lang::En, "en-NL"),
            ("zh-Hant-TW", Lang::En, "en-TW"),
            ("", Lang::En, "en"),
            ("not a locale!", Lang::En, "en"),
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
        assert_eq!(cache.get("xx-!!").lang, Lang::En);
    }
}
