//! What the context flow keeps: each profile field and each device with the stamp of the change that set it, and the marker an erasure leaves; the newest-wins merge, pure.

use std::collections::BTreeMap;

use forewarn_core::customer::{CustomerProfile, DeviceProfile};
use forewarn_core::events::{ProfileField, PushPlatform, PushToken};
use forewarn_core::kinds::DeviceKind;
use forewarn_core::types::Id;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A change's place in the producer's order: its time, then its event id, so two changes
/// made at the same instant are ordered the same way whichever arrives first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub at: Timestamp,
    pub event_id: Id,
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.at, self.event_id)
    }
}

/// The profile as the context flow keeps it: the fields, each with the stamp that set it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StampedProfile {
    /// The profile without devices (they are kept apart, one item each).
    pub profile: CustomerProfile,
    pub stamps: BTreeMap<ProfileField, Stamp>,
}

/// A device's registration, or the marker of its removal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceState {
    pub device_id: Id,
    /// The change that made this state.
    pub stamp: Stamp,
    /// None once the device was removed: the marker keeps an older registration out.
    pub registration: Option<Registration>,
}

/// A token turned into an SNS platform endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub token: PushToken,
    pub platform: PushPlatform,
    pub kind: DeviceKind,
    pub app: Id,
    /// The SNS platform endpoint ARN.
    pub endpoint: String,
}

impl DeviceState {
    /// The device as the notify flow reads it: enabled, with its endpoint; none once removed.
    pub fn device(&self) -> Option<DeviceProfile> {
        let r = self.registration.as_ref()?;
        Some(DeviceProfile {
            device_id: self.device_id.clone(),
            kind: r.kind,
            platform: Some(r.platform.as_str().to_owned()),
            push_endpoint: Some(r.endpoint.clone()),
            enabled: true,
            last_seen: Some(forewarn_core::types::Instant(self.stamp.at)),
            active_hours: vec![],
            habits: None,
            disabled_reason: None,
        })
    }
}

/// What an erasure leaves: when it was decided, its reference and what it removed. No
/// personal data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Erasure {
    pub stamp: Stamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Id>,
    /// How many items of the customer were removed, by what they were (`profile`, `device`, …).
    #[serde(default)]
    pub removed: BTreeMap<String, usize>,
}

/// Everything the context flow reads of one customer, with what its conditional writes expect.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredContext {
    pub profile: Option<StampedProfile>,
    /// The profile's revision, which a write of it expects; none when no profile is stored.
    pub revision: Option<u64>,
    pub devices: Vec<DeviceState>,
    pub erased: Option<Erasure>,
}

impl StoredContext {
    pub fn device(&self, id: &Id) -> Option<&DeviceState> {
        self.devices.iter().find(|d| &d.device_id == id)
    }
}

/// What a change did to the stored profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The profile to store; none when no field holds a value any more.
    pub profile: Option<StampedProfile>,
    /// The fields this change set or cleared.
    pub applied: Vec<ProfileField>,
    /// The fields a newer change (or the erasure) had set: left as they are.
    pub newer: Vec<(ProfileField, Stamp)>,
}

/// Applies the fields `set` (read from `values`) and `cleared` at `stamp` to `stored`: each
/// field takes the change only if its own stamp is older, and none older than `erased`.
pub fn merge(
    customer_id: &Id,
    stored: Option<&StampedProfile>,
    erased: Option<&Stamp>,
    values: &CustomerProfile,
    fields: &[ProfileField],
    stamp: &Stamp,
) -> Merged {
    let mut next = stored.cloned().unwrap_or_else(|| StampedProfile {
        profile: empty(customer_id),
        stamps: BTreeMap::new(),
    });
    let mut applied = Vec::new();
    let mut newer = Vec::new();
    for &field in fields {
        let held = next.stamps.get(&field).filter(|s| *s >= stamp);
        if let Some(s) = held.or(erased.filter(|e| *e >= stamp)) {
            newer.push((field, s.clone()));
            continue;
        }
        field.copy(values, &mut next.profile);
        next.stamps.insert(field, stamp.clone());
        applied.push(field);
    }
    let profile = if stored.is_none() && applied.is_empty() {
        None
    } else {
        Some(next)
    };
    Merged {
        profile,
        applied,
        newer,
    }
}

/// A profile with nothing but its customer id.
pub fn empty(customer_id: &Id) -> CustomerProfile {
    CustomerProfile {
        customer_id: customer_id.clone(),
        name: None,
        locale: None,
        time_zone: None,
        contacts: Default::default(),
        opted_out: vec![],
        quiet_hours: None,
        channel_preferences: BTreeMap::new(),
        muted_kinds: vec![],
        muted_categories: vec![],
        devices: vec![],
        unusable_contacts: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn stamp(at: &str, e: &str) -> Stamp {
        Stamp {
            at: at.parse().unwrap(),
            event_id: id(e),
        }
    }

    fn with_locale(l: &str) -> CustomerProfile {
        CustomerProfile {
            locale: Some(l.into()),
            ..empty(&id("c-1"))
        }
    }

    #[test]
    fn a_field_takes_the_newest_change_whichever_arrives_first() {
        let (old, new) = (
            stamp("2026-11-01T10:00:00Z", "e-1"),
            stamp("2026-11-01T11:00:00Z", "e-2"),
        );
        let f = [ProfileField::Locale];
        for order in [[(&old, "pt-PT"), (&new, "en-GB")], [(&new, "en-GB"), (&old, "pt-PT")]] {
            let mut stored: Option<StampedProfile> = None;
            for (s, l) in order {
                stored = merge(&id("c-1"), stored.as_ref(), None, &with_locale(l), &f, s).profile;
            }
            assert_eq!(stored.unwrap().profile.locale.as_deref(), Some("en-GB"));
        }
    }

    #[test]
    fn the_same_change_applied_twice_changes_nothing_the_second_time() {
        let s = stamp("2026-11-01T10:00:00Z", "e-1");
        let f = [ProfileField::Locale];
        let once = merge(&id("c-1"), None, None, &with_locale("pt-PT"), &f, &s);
        let twice = merge(&id("c-1"), once.profile.as_ref(), None, &with_locale("pt-PT"), &f, &s);
        assert_eq!(twice.applied, vec![]);
        assert_eq!(twice.profile, once.profile);
    }

    #[test]
    fn a_change_made_before_the_erasure_is_ignored() {
        let erased = stamp("2026-11-02T00:00:00Z", "x-1");
        let late = stamp("2026-11-01T10:00:00Z", "e-1");
        let m = merge(
            &id("c-1"),
            None,
            Some(&erased),
            &with_locale("pt-PT"),
            &[ProfileField::Locale],
            &late,
        );
        assert_eq!(m.profile, None);
        assert_eq!(m.newer, vec![(ProfileField::Locale, erased)]);
    }

    #[test]
    fn changes_at_the_same_instant_are_ordered_by_event_id() {
        let (a, b) = (
            stamp("2026-11-01T10:00:00Z", "e-a"),
            stamp("2026-11-01T10:00:00Z", "e-b"),
        );
        let f = [ProfileField::Locale];
        let first = merge(&id("c-1"), None, None, &with_locale("fr-FR"), &f, &b).profile;
        let then = merge(&id("c-1"), first.as_ref(), None, &with_locale("pt-PT"), &f, &a).profile;
        assert_eq!(then.unwrap().profile.locale.as_deref(), Some("fr-FR"));
    }
}
