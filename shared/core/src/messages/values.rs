//! Placeholder values: a detail field read by its catalog path and written in its declared format for the customer's locale.

use std::borrow::Cow;

use jiff::Timestamp;
use minijinja::Value;

use super::limits::Limits;
use super::{Fields, Render};
use crate::catalog::{Placeholder, PlaceholderFormat, lookup};
use crate::types::{Amount, Currency, Money, Url, truncate};

/// Most list items a template sees.
const MAX_ITEMS: usize = 20;

/// Sets `name` (and, for a list, its companions) in `f` when the detail holds the field.
pub(super) fn place(r: &Render<'_>, f: &mut Fields, name: &str, p: &Placeholder, limits: Limits) {
    let Some(v) = lookup(&r.json, &p.path) else { return };
    let text = || match v {
        serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(other.to_string()),
    };
    let time = || text().parse::<Timestamp>().ok();
    match p.format {
        PlaceholderFormat::Text => f.set(name, limits.text(&text())),
        PlaceholderFormat::Id => f.set(name, limits.id(&text())),
        PlaceholderFormat::Money => f.opt(name, money(v).map(|m| r.fmt.money(&m))),
        PlaceholderFormat::Date => f.opt(name, time().map(|t| r.fmt.date(t, r.input.time_zone))),
        PlaceholderFormat::Datetime => f.opt(name, time().map(|t| r.fmt.date_time(t, r.input.time_zone))),
        PlaceholderFormat::Link => {
            let url = Url::parse(&text()).ok();
            f.opt(name, url.filter(|u| r.hosts.allows(u)).and_then(|u| limits.url(&u)));
        }
        PlaceholderFormat::List => list(r, f, name, v, limits),
        PlaceholderFormat::Masked => f.opt(name, masked_suffix(&text())),
    }
}

/// How many trailing letters or digits name an account.
const SUFFIX: usize = 4;

/// The last four letters or digits of an account id (`PT50-0001` → `0001`), the one place an
/// account is named to a customer; none when the id has no more than four, which the suffix
/// would show whole.
pub fn masked_suffix(id: &str) -> Option<String> {
    let kept: Vec<char> = id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    (kept.len() > SUFFIX).then(|| kept[kept.len() - SUFFIX..].iter().collect())
}

/// `{"amount": "12.50", "currency": "EUR"}` as `Money`, read in place.
fn money(v: &serde_json::Value) -> Option<Money> {
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
    Some(Money {
        amount: Amount::parse(text("amount")?).ok()?,
        currency: Currency::parse(text("currency")?).ok()?,
    })
}

/// A list: the sentence of as many whole items as it has room for (`a, b and c`) and how many
/// it leaves out; every item (up to 20) for lists, and how many those leave out.
fn list(r: &Render<'_>, f: &mut Fields, name: &str, v: &serde_json::Value, limits: Limits) {
    let all: Vec<Cow<'_, str>> = match v {
        serde_json::Value::Array(a) => a
            .iter()
            .map(|i| match i {
                serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            })
            .collect(),
        other => vec![Cow::Owned(other.to_string())],
    };
    let items: Vec<String> = all
        .iter()
        .take(MAX_ITEMS)
        .map(|i| limits.safe(i, limits.item))
        .collect();
    let sentence = |n: usize| r.fmt.list(items[..n].iter().map(String::as_str));
    let mut shown = items.len();
    let mut missing = sentence(shown);
    while shown > 1 && missing.chars().count() > limits.list {
        shown -= 1;
        missing = sentence(shown);
    }
    let count = |n: usize| (n > 0).then(|| r.fmt.number(n));
    f.set(name, truncate(&missing, limits.list).as_ref());
    f.opt(format!("{name}_hidden"), count(all.len() - shown));
    f.opt(format!("{name}_more"), count(all.len() - items.len()));
    f.set(
        format!("{name}_items"),
        Value::from_iter(items.iter().map(|i| Value::from(i.as_str()))),
    );
}

#[cfg(test)]
mod tests {
    use super::masked_suffix;

    #[test]
    fn an_account_is_named_by_its_last_four_letters_or_digits_never_whole() {
        assert_eq!(masked_suffix("PT50-0001").as_deref(), Some("0001"));
        assert_eq!(masked_suffix("GB29 0042 1234 5678").as_deref(), Some("5678"));
        assert_eq!(masked_suffix("acc-9x21b").as_deref(), Some("x21b"));
        assert_eq!(masked_suffix("A-12-3"), None);
        assert_eq!(masked_suffix(""), None);
    }
}
