//! The customer's choices in a profile: quiet hours, channel preferences, muted kinds and categories, checked.

use super::{CustomerProfile, ProfileError, QuietHours, parse_hhmm};
use crate::error::EventError;
use crate::types::truncate;

/// The profile's quiet hours, the default when it has none.
pub(super) fn quiet_hours(p: &CustomerProfile) -> Result<QuietHours, ProfileError> {
    Ok(match &p.quiet_hours {
        Some(q) => QuietHours {
            start: parse_hhmm(&q.start).map_err(|r| EventError::new("quiet_hours.start", r))?,
            end: parse_hhmm(&q.end).map_err(|r| EventError::new("quiet_hours.end", r))?,
        },
        None => QuietHours::DEFAULT,
    })
}

/// A profile's `channel_preferences` must name categories of the catalog (see
/// `Catalog::check_preferences`), its `muted_kinds` each name a kind of the catalog that notifies, and its
/// `muted_categories` a category of the catalog: the first that does not is a fault at its index.
pub(super) fn check(p: &CustomerProfile) -> Result<(), ProfileError> {
    let catalog = crate::catalog::catalog();
    catalog.check_preferences(p.channel_preferences.keys())?;
    for (i, name) in p.muted_kinds.iter().enumerate() {
        match catalog.kind(name) {
            Some(k) if k.notifies() => {}
            found => {
                let notices: Vec<&str> = catalog
                    .kinds()
                    .iter()
                    .filter(|k| k.notifies())
                    .map(|k| k.name())
                    .collect();
                let what = if found.is_some() {
                    "a resolving kind, which sends nothing to turn off"
                } else {
                    "not a kind of the catalog"
                };
                return Err(EventError::new(
                    format!("muted_kinds[{i}]"),
                    format!("{:?} is {what} ({})", truncate(name, 60), notices.join(", ")),
                ));
            }
        }
    }
    match p.muted_categories.iter().position(|c| !catalog.has_category(c)) {
        Some(i) => Err(EventError::new(
            format!("muted_categories[{i}]"),
            format!(
                "{:?} is not a category of the catalog ({})",
                p.muted_categories[i].as_str(),
                catalog.category_names()
            ),
        )),
        None => Ok(()),
    }
}
