//! What shapes timing and reach now: the zone and how it was found, quiet hours, contacts, opt-outs and devices.

use forewarn_aws::dynamo::CustomerRecord;
use forewarn_core::customer::{
    Channel, Contact, Customer, CustomerProfile, Device, EmailAddress, PhoneNumber, ZoneChoice,
};
use forewarn_core::engine::Destination;
use forewarn_core::habits::MIN_SESSIONS;
use forewarn_core::timing::LocalClock;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::LocalTime;

/// What shapes timing and routing now.
#[derive(Debug, Serialize)]
pub struct State {
    pub locale: String,
    /// `Europe/Lisbon`, or every zone of the phone's country joined by `+`.
    pub time_zone: String,
    /// `profile`, `phone_country` or `unknown` (then UTC).
    pub time_zone_source: &'static str,
    /// The sentence the decisions' reasons use.
    pub time_zone_reason: String,
    /// `22:00–08:00`; start = end means none.
    pub quiet_hours: String,
    /// `profile` or `default`.
    pub quiet_hours_source: &'static str,
    pub quiet_now: bool,
    /// When quiet hours next begin or end (within two days).
    pub quiet_changes_at: Option<LocalTime>,
    pub contacts: Vec<ContactLine>,
    pub opted_out: Vec<OptOutLine>,
    pub unusable_contacts: Vec<UnusableLine>,
    pub devices: Vec<DeviceLine>,
}

#[derive(Debug, Serialize)]
pub struct ContactLine {
    pub channel: Channel,
    /// Masked; none when missing or unreadable.
    pub to: Option<String>,
    pub usable: bool,
    /// Why it cannot be used.
    pub why: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OptOutLine {
    pub channel: Channel,
    /// `replied STOP on …`, or `in the profile`.
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct UnusableLine {
    pub channel: Channel,
    pub to: String,
    pub reason: String,
    /// The profile still holds this address.
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub struct DeviceLine {
    pub device_id: String,
    pub kind: &'static str,
    pub platform: Option<String>,
    /// Masked push endpoint (`endpoint/…abcd`), if registered.
    pub push: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub last_seen: Option<LocalTime>,
    /// The usual hours decisions use on this device.
    pub usual_hours: Vec<String>,
    /// `learned`, `profile` or `none`.
    pub usual_hours_source: &'static str,
    /// Sessions recorded by `activity`, when any.
    pub sessions: Option<u32>,
    /// While learning: the decayed weight so far (10 are needed).
    pub learning_weight: Option<f64>,
}

/// The zone, quiet hours, contacts, opt-outs and devices as the next decision will see them.
pub fn state(profile: &CustomerProfile, c: &Customer, record: &CustomerRecord, now: Timestamp) -> State {
    let zone = c.zone.primary();
    let clock = LocalClock::of(c, now);
    let quiet_now = clock.is_quiet(now);
    let horizon = now + SignedDuration::from_hours(48);
    let change = clock.first_where(now, horizon, &[], |t| clock.is_quiet(t) != quiet_now);
    State {
        locale: c.locale.clone(),
        time_zone: c.zone.name(),
        time_zone_source: match c.zone {
            ZoneChoice::Profile(_) => "profile",
            ZoneChoice::Inferred { .. } => "phone_country",
            ZoneChoice::Unknown => "unknown",
        },
        time_zone_reason: c.zone.explain(),
        quiet_hours: c.quiet_hours.to_string(),
        quiet_hours_source: if c.quiet_hours_from_profile {
            "profile"
        } else {
            "default"
        },
        quiet_now,
        quiet_changes_at: change.filter(|t| *t > now).map(|t| LocalTime::new(t, &zone)),
        contacts: vec![
            contact(Channel::Sms, &c.phone, PhoneNumber::masked),
            contact(Channel::Email, &c.email, EmailAddress::masked),
        ],
        opted_out: c
            .opted_out
            .iter()
            .map(|ch| OptOutLine {
                channel: *ch,
                reason: record
                    .opt_outs
                    .iter()
                    .find(|(o, _)| o == ch)
                    .map_or_else(|| "in the profile".to_owned(), |(_, why)| why.clone()),
            })
            .collect(),
        unusable_contacts: unusable(profile),
        devices: c.devices.iter().map(|d| device(d, profile, &zone)).collect(),
    }
}

fn contact<T>(channel: Channel, c: &Contact<T>, mask: fn(&T) -> String) -> ContactLine {
    let missing = match channel {
        Channel::Sms => "no phone number",
        _ => "no email address",
    };
    let (to, why) = match c {
        Contact::Usable(v) => (Some(mask(v)), None),
        Contact::Missing => (None, Some(missing.to_owned())),
        Contact::Unusable(why) => (None, Some(why.clone())),
    };
    ContactLine {
        channel,
        usable: why.is_none(),
        to,
        why,
    }
}

/// The addresses forewarn must not use, masked; one that does not parse is not shown.
fn unusable(profile: &CustomerProfile) -> Vec<UnusableLine> {
    profile
        .unusable_contacts
        .iter()
        .map(|u| {
            let (to, current) = match u.channel {
                Channel::Email => (
                    EmailAddress::parse(&u.address).map(|e| Destination::Email(e).masked()),
                    profile.contacts.email.as_deref(),
                ),
                _ => (
                    PhoneNumber::parse(&u.address).map(|p| Destination::Phone(p).masked()),
                    profile.contacts.phone.as_deref(),
                ),
            };
            UnusableLine {
                channel: u.channel,
                to: to.unwrap_or_else(|_| "(unreadable address)".into()),
                reason: u.reason.clone(),
                current: current.is_some_and(|a| a.trim().eq_ignore_ascii_case(u.address.trim())),
            }
        })
        .collect()
}

fn device(d: &Device, profile: &CustomerProfile, zone: &TimeZone) -> DeviceLine {
    let habits = profile
        .devices
        .iter()
        .find(|p| p.device_id == d.id)
        .and_then(|p| p.habits.as_ref());
    let source = match (d.learned, d.active_hours.is_empty()) {
        (true, _) => "learned",
        (false, false) => "profile",
        (false, true) => "none",
    };
    DeviceLine {
        device_id: d.id.to_string(),
        kind: d.kind.as_str(),
        platform: d.platform.clone(),
        push: d
            .push_endpoint
            .as_ref()
            .map(|e| Destination::Endpoint(e.clone()).masked()),
        enabled: d.enabled,
        disabled_reason: (!d.enabled).then(|| {
            d.disabled_reason
                .clone()
                .unwrap_or_else(|| "disabled in the profile".into())
        }),
        last_seen: d.last_seen.map(|t| LocalTime::new(t, zone)),
        usual_hours: d.active_hours.iter().map(|w| w.text.clone()).collect(),
        usual_hours_source: source,
        sessions: habits.map(|h| h.sessions),
        learning_weight: habits
            .filter(|_| !d.learned)
            .map(|h| (h.total() * 10.0).round() / 10.0)
            .filter(|w| *w < MIN_SESSIONS),
    }
}
