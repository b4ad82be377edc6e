//! The customer's choices per kind and per category: what they turned off, and why a critical alert stays on.

use crate::catalog::Kind;
use crate::customer::{Category, Customer};

use super::{Suppression, Urgency};

/// Which of the customer's choices turned a kind off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mute {
    /// The kind itself is in `muted_kinds`.
    Kind,
    /// Its category is in `muted_categories`.
    Category(Category),
}

/// The choice that turns `kind` off for `customer`, if one does: the kind first, then its category.
pub fn mute_of(customer: &Customer, kind: &Kind) -> Option<Mute> {
    if customer.muted_kinds.iter().any(|k| k == kind.name()) {
        return Some(Mute::Kind);
    }
    let category = kind.def.category.as_ref()?;
    customer
        .muted_categories
        .contains(category)
        .then(|| Mute::Category(category.clone()))
}

/// What the customer's choices say about `kind`: `Err` when it is turned off (a non-critical
/// kind), `Ok(Some(reason))` when a critical kind stays on although they turned it off.
pub fn check_mute(customer: &Customer, kind: &Kind, urgency: Urgency) -> Result<Option<String>, Suppression> {
    let Some(mute) = mute_of(customer, kind) else {
        return Ok(None);
    };
    let name = kind.name().to_owned();
    if urgency == Urgency::Critical {
        let what = Suppression::Muted {
            kind: name.clone(),
            by: mute,
        }
        .what();
        return Ok(Some(format!(
            "{name} is a critical alert: it stays on although the customer turned off {what}"
        )));
    }
    Err(Suppression::Muted { kind: name, by: mute })
}

/// Why a held notice of `kind` may no longer go out because the customer turned it off since:
/// `None` for a kind they did not turn off, or a critical one.
pub fn muted_since(customer: &Customer, kind: &Kind) -> Option<Suppression> {
    let urgency = kind.def.urgency?;
    check_mute(customer, kind, urgency).err()
}
