//! The context events: what the bank's systems tell forewarn about a customer (profile, devices, erasure), each stamped with the producer's time.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::customer::{Contacts, CustomerProfile, EmailAddress, PhoneNumber, QuietHoursSpec};
use crate::error::EventError;
use crate::kinds::{Category, Channel, DeviceKind};
use crate::types::{Id, Instant, Text};

/// `CustomerUpserted`: the whole profile as the bank holds it now. Fields left out are
/// cleared. Devices are not part of it: they come by `DeviceRegistered`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerUpserted {
    pub customer_id: Id,
    /// When the producer made the change: the newest change of each field wins.
    pub changed_at: Instant,
    pub profile: ProfileFields,
}

/// `CustomerChanged`: some fields of the profile. A field present replaces the stored one; a
/// field named in `cleared` is removed; the others stay as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerChanged {
    pub customer_id: Id,
    /// When the producer made the change: the newest change of each field wins.
    pub changed_at: Instant,
    /// The fields set, e.g. `{"time_zone": "Europe/London"}`.
    #[serde(default)]
    pub set: ProfileFields,
    /// Fields to remove, e.g. `["quiet_hours"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleared: Vec<ProfileField>,
}

/// The fields of a profile a producer may set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// BCP 47 locale, e.g. `pt-PT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Id>,
    /// IANA time zone, e.g. `Europe/Lisbon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opted_out: Option<Vec<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHoursSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_preferences: Option<BTreeMap<Category, Vec<Channel>>>,
    /// Kinds turned off, by detail-type, e.g. `["ApplicationIncomplete"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_kinds: Option<Vec<Id>>,
    /// Categories turned off, e.g. `["applications"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_categories: Option<Vec<Category>>,
}

/// One field of a profile, as the newest-wins rule keeps it: each has its own change time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    Name,
    Locale,
    TimeZone,
    Email,
    Phone,
    OptedOut,
    QuietHours,
    ChannelPreferences,
    MutedKinds,
    MutedCategories,
}

impl ProfileField {
    pub const ALL: [ProfileField; 10] = [
        ProfileField::Name,
        ProfileField::Locale,
        ProfileField::TimeZone,
        ProfileField::Email,
        ProfileField::Phone,
        ProfileField::OptedOut,
        ProfileField::QuietHours,
        ProfileField::ChannelPreferences,
        ProfileField::MutedKinds,
        ProfileField::MutedCategories,
    ];

    /// The fields a customer chooses (the preference page and the preferences API).
    pub const PREFERENCES: [ProfileField; 6] = [
        ProfileField::Locale,
        ProfileField::OptedOut,
        ProfileField::QuietHours,
        ProfileField::ChannelPreferences,
        ProfileField::MutedKinds,
        ProfileField::MutedCategories,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileField::Name => "name",
            ProfileField::Locale => "locale",
            ProfileField::TimeZone => "time_zone",
            ProfileField::Email => "email",
            ProfileField::Phone => "phone",
            ProfileField::OptedOut => "opted_out",
            ProfileField::QuietHours => "quiet_hours",
            ProfileField::ChannelPreferences => "channel_preferences",
            ProfileField::MutedKinds => "muted_kinds",
            ProfileField::MutedCategories => "muted_categories",
        }
    }

    /// Copies this field of `from` into `to`.
    pub fn copy(self, from: &CustomerProfile, to: &mut CustomerProfile) {
        match self {
            ProfileField::Name => to.name.clone_from(&from.name),
            ProfileField::Locale => to.locale.clone_from(&from.locale),
            ProfileField::TimeZone => to.time_zone.clone_from(&from.time_zone),
            ProfileField::Email => to.contacts.email.clone_from(&from.contacts.email),
            ProfileField::Phone => to.contacts.phone.clone_from(&from.contacts.phone),
            ProfileField::OptedOut => to.opted_out.clone_from(&from.opted_out),
            ProfileField::QuietHours => to.quiet_hours.clone_from(&from.quiet_hours),
            ProfileField::ChannelPreferences => to.channel_preferences.clone_from(&from.channel_preferences),
            ProfileField::MutedKinds => to.muted_kinds.clone_from(&from.muted_kinds),
            ProfileField::MutedCategories => to.muted_categories.clone_from(&from.muted_categories),
        }
    }
}

impl fmt::Display for ProfileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ProfileFields {
    /// The fields this change sets.
    pub fn present(&self) -> Vec<ProfileField> {
        let c = self.contacts.as_ref();
        let set = [
            (ProfileField::Name, self.name.is_some()),
            (ProfileField::Locale, self.locale.is_some()),
            (ProfileField::TimeZone, self.time_zone.is_some()),
            (ProfileField::Email, c.is_some_and(|c| c.email.is_some())),
            (ProfileField::Phone, c.is_some_and(|c| c.phone.is_some())),
            (ProfileField::OptedOut, self.opted_out.is_some()),
            (ProfileField::QuietHours, self.quiet_hours.is_some()),
            (ProfileField::ChannelPreferences, self.channel_preferences.is_some()),
            (ProfileField::MutedKinds, self.muted_kinds.is_some()),
            (ProfileField::MutedCategories, self.muted_categories.is_some()),
        ];
        set.into_iter().filter(|(_, on)| *on).map(|(f, _)| f).collect()
    }

    /// A profile holding these fields (the others empty).
    pub fn to_profile(&self, customer_id: &Id) -> CustomerProfile {
        CustomerProfile {
            customer_id: customer_id.clone(),
            name: self.name.as_ref().map(Text::to_string),
            locale: self.locale.as_ref().map(Id::to_string),
            time_zone: self.time_zone.as_ref().map(Id::to_string),
            contacts: self.contacts.clone().unwrap_or_default(),
            opted_out: self.opted_out.clone().unwrap_or_default(),
            quiet_hours: self.quiet_hours.clone(),
            channel_preferences: self.channel_preferences.clone().unwrap_or_default(),
            muted_kinds: self.muted_kinds.iter().flatten().map(Id::to_string).collect(),
            muted_categories: self.muted_categories.clone().unwrap_or_default(),
            devices: vec![],
            unusable_contacts: vec![],
        }
    }

    /// Checks each field as the profile's reader will, naming it under `at`.
    fn check(&self, at: &str) -> Result<(), EventError> {
        if let Some(c) = &self.contacts {
            if let Some(p) = &c.phone {
                PhoneNumber::parse(p).map_err(|r| EventError::new(format!("{at}.contacts.phone"), r))?;
            }
            if let Some(e) = &c.email {
                EmailAddress::parse(e).map_err(|r| EventError::new(format!("{at}.contacts.email"), r))?;
            }
        }
        let probe = CustomerProfile {
            contacts: Contacts::default(),
            ..self.to_profile(&Id::parse("probe").expect("a valid id"))
        };
        crate::customer::Customer::from_profile(&probe)
            .map(|_| ())
            .map_err(|e| EventError::new(format!("{at}.{}", e.path), e.reason))
    }
}

/// `CustomerErased`: the customer asked to be forgotten (or the bank must forget them).
/// Everything forewarn holds about them goes, pending messages and their schedules too; only
/// a marker without personal data stays, so a late older change cannot bring them back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerErased {
    pub customer_id: Id,
    /// When the erasure was decided: changes made before it are ignored if they come later.
    pub changed_at: Instant,
    /// The producer's reference for the request (a ticket number), kept for the audit; never personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Id>,
}

/// The push service a token belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    /// Apple Push Notification service.
    Apns,
    /// APNs' development environment.
    ApnsSandbox,
    /// Firebase Cloud Messaging.
    Fcm,
}

impl PushPlatform {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Apns => "apns",
            PushPlatform::ApnsSandbox => "apns_sandbox",
            PushPlatform::Fcm => "fcm",
        }
    }
}

/// A raw APNs device token or FCM registration token. Never printed: `Debug` and `Display`
/// show only its length and last four characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PushToken(String);

/// Longest token accepted (FCM tokens are about 160 characters; APNs' 64 hex digits).
pub const MAX_TOKEN_LEN: usize = 4096;

impl PushToken {
    pub fn parse(s: &str) -> Result<PushToken, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > MAX_TOKEN_LEN {
            return Err(format!("longer than {MAX_TOKEN_LEN} characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        {
            return Err("may hold only letters, digits and - _ : .".into());
        }
        Ok(PushToken(s.to_owned()))
    }
    /// The token as the push service issued it: for the store and SNS only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `…a1b2 (64 chars)`.
    pub fn masked(&self) -> String {
        format!("…{} ({} chars)", crate::types::tail(&self.0, 4), self.0.len())
    }
}

impl fmt::Debug for PushToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PushToken({})", self.masked())
    }
}

impl<'de> Deserialize<'de> for PushToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PushToken::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for PushToken {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PushToken".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string", "minLength": 1, "maxLength": MAX_TOKEN_LEN,
            "pattern": "^[A-Za-z0-9_:.-]+$",
            "description": "The raw APNs device token (hex) or FCM registration token."
        })
    }
}

/// `DeviceRegistered`: the customer's app on a device has a push token (a new install or a
/// refreshed token). forewarn turns it into an SNS platform endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistered {
    pub customer_id: Id,
    /// When the app got the token: the newest registration of a device wins.
    pub changed_at: Instant,
    pub device_id: Id,
    pub token: PushToken,
    pub platform: PushPlatform,
    pub kind: DeviceKind,
    /// The app the token is for, e.g. `com.example.bank`.
    pub app: Id,
}

/// `DeviceRemoved`: the customer signed out of the app on a device or uninstalled it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRemoved {
    pub customer_id: Id,
    /// When the device was removed: a registration made before it is ignored if it comes later.
    pub changed_at: Instant,
    pub device_id: Id,
}

/// A context event's detail.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextChange {
    Upserted(CustomerUpserted),
    Changed(CustomerChanged),
    Erased(CustomerErased),
    DeviceRegistered(DeviceRegistered),
    DeviceRemoved(DeviceRemoved),
}

impl ContextChange {
    pub fn customer_id(&self) -> &Id {
        match self {
            ContextChange::Upserted(d) => &d.customer_id,
            ContextChange::Changed(d) => &d.customer_id,
            ContextChange::Erased(d) => &d.customer_id,
            ContextChange::DeviceRegistered(d) => &d.customer_id,
            ContextChange::DeviceRemoved(d) => &d.customer_id,
        }
    }

    /// When the producer made the change.
    pub fn changed_at(&self) -> Instant {
        match self {
            ContextChange::Upserted(d) => d.changed_at,
            ContextChange::Changed(d) => d.changed_at,
            ContextChange::Erased(d) => d.changed_at,
            ContextChange::DeviceRegistered(d) => d.changed_at,
            ContextChange::DeviceRemoved(d) => d.changed_at,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ContextChange::Upserted(d) => serde_json::to_value(d),
            ContextChange::Changed(d) => serde_json::to_value(d),
            ContextChange::Erased(d) => serde_json::to_value(d),
            ContextChange::DeviceRegistered(d) => serde_json::to_value(d),
            ContextChange::DeviceRemoved(d) => serde_json::to_value(d),
        }
        .expect("context details serialize")
    }

    /// Checks what a schema cannot: contacts, zones and hours as the profile's reader reads them.
    pub(crate) fn check(&self) -> Result<(), EventError> {
        match self {
            ContextChange::Upserted(d) => d.profile.check("detail.profile"),
            ContextChange::Changed(d) => {
                d.set.check("detail.set")?;
                match d.cleared.iter().find(|f| d.set.present().contains(f)) {
                    Some(f) => Err(EventError::new(
                        "detail.cleared",
                        format!("{f} is both set and cleared"),
                    )),
                    None if d.set.present().is_empty() && d.cleared.is_empty() => Err(EventError::new(
                        "detail",
                        "changes nothing: set or clear at least one field",
                    )),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}
