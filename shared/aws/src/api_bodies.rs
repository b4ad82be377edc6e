//! The HTTP API's JSON bodies, made of the core's types (their schemas go into the OpenAPI document), and the stored customer shown as them.

use std::collections::BTreeMap;

use forewarn_core::customer::{Contacts, CustomerProfile, QuietHoursSpec};
use forewarn_core::events::{ProfileField, ProfileFields, PushPlatform, PushToken};
use forewarn_core::kinds::{Category, Channel, DeviceKind};
use forewarn_core::types::{Id, Instant};
use forewarn_flows::FlowError;
use forewarn_flows::context::StoredContext;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET`, `PUT` and `PATCH /customers/{customer_id}` answer with the customer as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerView {
    pub customer_id: Id,
    /// The profile's fields, as `PUT` takes them: a `PUT` of this object changes nothing.
    pub profile: ProfileFields,
    /// The devices registered for push (never their tokens or endpoints).
    pub devices: Vec<DeviceView>,
}

/// A device registered for push, as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceView {
    pub device_id: Id,
    pub platform: PushPlatform,
    pub kind: DeviceKind,
    pub app: Id,
    /// When the registration was made (the request's time, or the event's `changed_at`).
    pub registered_at: Instant,
}

/// `PATCH /customers/{customer_id}`: `CustomerChanged` without its customer id and time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// The fields set, e.g. `{"time_zone": "Europe/London"}`.
    #[serde(default)]
    pub set: ProfileFields,
    /// Fields to remove, e.g. `["quiet_hours"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleared: Vec<ProfileField>,
}

/// `PUT /customers/{customer_id}/devices/{device_id}`: `DeviceRegistered` without its ids and time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    pub token: PushToken,
    pub platform: PushPlatform,
    pub kind: DeviceKind,
    /// The app the token is for, e.g. `com.example.bank`.
    pub app: Id,
}

/// `GET` and `PUT /customers/{customer_id}/preferences`: the fields a customer chooses
/// (`ProfileField::PREFERENCES`). A `PUT` clears the preferences it leaves out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// BCP 47 locale, e.g. `pt-PT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Id>,
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

/// `DELETE /customers/{customer_id}` may carry the erasure's reference (a ticket number).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Id>,
}

/// Every refusal: the field at fault, named as the context events name it below their
/// `detail` (`contacts.phone`, `set.contacts.phone`, `token`), or the header or path part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub field: String,
    pub reason: String,
}

impl Preferences {
    /// The preferences as profile fields (the others absent).
    pub fn to_fields(&self) -> ProfileFields {
        ProfileFields {
            locale: self.locale.clone(),
            opted_out: self.opted_out.clone(),
            quiet_hours: self.quiet_hours.clone(),
            channel_preferences: self.channel_preferences.clone(),
            muted_kinds: self.muted_kinds.clone(),
            muted_categories: self.muted_categories.clone(),
            ..ProfileFields::default()
        }
    }

    pub fn of(f: ProfileFields) -> Preferences {
        Preferences {
            locale: f.locale,
            opted_out: f.opted_out,
            quiet_hours: f.quiet_hours,
            channel_preferences: f.channel_preferences,
            muted_kinds: f.muted_kinds,
            muted_categories: f.muted_categories,
        }
    }
}

/// The stored profile's fields as `ProfileFields`: an empty list or map is left out (a `PUT`
/// leaving it out clears it, the same thing).
pub fn fields_of(p: &CustomerProfile) -> Result<ProfileFields, FlowError> {
    let id = |s: &String| Id::parse(s.as_str()).map_err(|e| FlowError::corrupt("profile", e));
    let contacts = Contacts {
        email: p.contacts.email.clone(),
        phone: p.contacts.phone.clone(),
    };
    Ok(ProfileFields {
        name: p
            .name
            .as_deref()
            .map(forewarn_core::types::Text::parse)
            .transpose()
            .map_err(|e| FlowError::corrupt("profile name", e))?,
        locale: p.locale.as_ref().map(id).transpose()?,
        time_zone: p.time_zone.as_ref().map(id).transpose()?,
        contacts: (contacts.email.is_some() || contacts.phone.is_some()).then_some(contacts),
        opted_out: (!p.opted_out.is_empty()).then(|| p.opted_out.clone()),
        quiet_hours: p.quiet_hours.clone(),
        channel_preferences: (!p.channel_preferences.is_empty()).then(|| p.channel_preferences.clone()),
        muted_kinds: (!p.muted_kinds.is_empty())
            .then(|| p.muted_kinds.iter().map(id).collect::<Result<Vec<_>, _>>())
            .transpose()?,
        muted_categories: (!p.muted_categories.is_empty()).then(|| p.muted_categories.clone()),
    })
}

/// The stored customer as the API shows it; none when no profile is held (unknown or erased).
pub fn view_of(customer_id: &Id, stored: &StoredContext) -> Result<Option<CustomerView>, FlowError> {
    let Some(p) = &stored.profile else { return Ok(None) };
    Ok(Some(CustomerView {
        customer_id: customer_id.clone(),
        profile: fields_of(&p.profile)?,
        devices: devices_of(stored),
    }))
}

/// The devices that hold a registration, by id.
pub fn devices_of(stored: &StoredContext) -> Vec<DeviceView> {
    let mut all: Vec<DeviceView> = stored
        .devices
        .iter()
        .filter_map(|d| {
            let r = d.registration.as_ref()?;
            Some(DeviceView {
                device_id: d.device_id.clone(),
                platform: r.platform,
                kind: r.kind,
                app: r.app.clone(),
                registered_at: Instant(d.stamp.at),
            })
        })
        .collect();
    all.sort_by(|a, b| a.device_id.cmp(&b.device_id));
    all
}
