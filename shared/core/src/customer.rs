//! The customer context contract: the profile as stored, and the parsed customer the policy trusts.

mod choices;
mod destination;
pub mod fictional;
mod line;
mod mask;

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{EventError, typed};
use crate::habits::Habits;
pub use crate::kinds::{Category, Channel, DeviceKind};
use crate::types::{Id, Instant, truncate};
pub use crate::windows::{ActiveWindow, parse_hhmm};
use crate::zones;
pub use destination::Destination;
pub use line::LineType;
pub use mask::{mask_email, mask_phone};

/// The stored profile, as the simulator reads it and the DynamoDB store holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerProfile {
    pub customer_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BCP 47 locale, e.g. `pt-PT`; messages fall back to English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone, e.g. `Europe/Lisbon`; inferred from the phone's country when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub contacts: Contacts,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opted_out: Vec<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHoursSpec>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channel_preferences: BTreeMap<Category, Vec<Channel>>,
    /// Kinds the customer turned off, by detail-type (`ApplicationIncomplete`, `PaymentDue`).
    /// A critical kind cannot be turned off: it is sent anyway, and its reasons say so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub muted_kinds: Vec<String>,
    /// Categories the customer turned off (`applications`): every kind in them, critical ones excepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub muted_categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceProfile>,
    /// Addresses forewarn learned it must not use (a hard bounce, a complaint). Kept by
    /// forewarn from delivery feedback; a new address in `contacts` is usable again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unusable_contacts: Vec<UnusableContact>,
}

/// An address that bounced permanently or complained, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnusableContact {
    pub channel: Channel,
    pub address: String,
    /// Plain words, e.g. `hard bounce (NoEmail) on 2026-11-23`.
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164, e.g. `+447700900123`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursSpec {
    /// `HH:MM`, local time.
    pub start: String,
    /// `HH:MM`, local time; before `start` means the next morning.
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    pub device_id: Id,
    pub kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// SNS platform endpoint ARN for push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_endpoint: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Instant>,
    /// Local-time windows such as `Mon-Fri 07:00-09:00` or `Sun 10:00-12:00`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_hours: Vec<String>,
    /// Usual hours learned from `CustomerActivity` sessions; once there are enough, they
    /// take the place of `active_hours`. Kept by forewarn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub habits: Option<Habits>,
    /// Why push can no longer reach this device (e.g. the endpoint was disabled). Kept by forewarn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// An E.164 phone number, checked by `phonenumber`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    country: Option<String>,
    line: LineType,
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        self.e164()
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.starts_with('+') {
            return Err("not in E.164 form (it must start with + and the country code)".into());
        }
        let n = phonenumber::parse(None, s).map_err(|e| format!("not a phone number ({e})"))?;
        let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
        if !n.is_valid() {
            return match fictional::range(&e164) {
                Some(r) => Ok(PhoneNumber {
                    e164,
                    country: Some(r.country.to_owned()),
                    line: r.line,
                }),
                None => Err("not a valid number for its country".into()),
            };
        }
        let country = n.country().id().map(|id| id.as_ref().to_owned());
        let line = LineType::of(n.number_type(&phonenumber::metadata::DATABASE));
        Ok(PhoneNumber { e164, country, line })
    }
    /// A number as a provider reports it (an inbound SMS's sender): any well-formed E.164
    /// number, `+` and 7 to 15 digits not starting with 0, even one the phone metadata calls
    /// unassigned (`+447700901123`), so an answer is never lost to stale metadata. Profiles
    /// keep the strict [`PhoneNumber::parse`].
    pub fn parse_inbound(s: &str) -> Result<Self, String> {
        let digits = s
            .strip_prefix('+')
            .ok_or("not in E.164 form (it must start with + and the country code)")?;
        let well_formed =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if !well_formed {
            return Err("not in E.164 form (+ and 7 to 15 digits, the first not 0)".into());
        }
        if let Ok(strict) = PhoneNumber::parse(s) {
            return Ok(strict);
        }
        let country = phonenumber::parse(None, s)
            .ok()
            .and_then(|n| n.country().id().map(|id| id.as_ref().to_owned()));
        Ok(PhoneNumber {
            e164: s.to_owned(),
            country,
            line: LineType::Unknown,
        })
    }
    pub fn e164(&self) -> &str {
        &self.e164
    }
    /// The kind of line: whether an SMS can reach it ([`LineType::takes_sms`]).
    pub fn line(&self) -> LineType {
        self.line
    }
    /// ISO 3166-1 alpha-2 region of the number, when it maps to one.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }
    /// `+351*******78`: the country code and the last two digits, never more.
    pub fn masked(&self) -> String {
        mask_phone(&self.e164)
    }
}

/// An email address: one `@`, a local part and a dotted domain, no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = |why: &str| Err(format!("not an email address: {why}"));
        if s.len() > 254 {
            return bad("longer than 254 characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("no @");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return bad("the part before @ is empty, too long or has another @");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
        {
            return bad("it contains spaces or characters not allowed in an address");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return bad("the domain is not a dotted host name");
        }
        Ok(EmailAddress(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `a***@example.com`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// A contact the policy may use, or the reason it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact<T> {
    Missing,
    Unusable(String),
    Usable(T),
}

impl<T> Contact<T> {
    fn parse(raw: Option<&str>, parse: impl Fn(&str) -> Result<T, String>) -> Self {
        match raw {
            None => Contact::Missing,
            Some(s) if s.trim().is_empty() => Contact::Missing,
            Some(s) => match parse(s) {
                Ok(v) => Contact::Usable(v),
                Err(reason) => Contact::Unusable(reason),
            },
        }
    }
    pub fn usable(&self) -> Option<&T> {
        match self {
            Contact::Usable(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: AsRef<str>> Contact<T> {
    /// Unusable when forewarn learned this very address must not be used.
    fn unless_listed(self, p: &CustomerProfile, channel: Channel) -> Self {
        let Contact::Usable(v) = &self else { return self };
        match p
            .unusable_contacts
            .iter()
            .find(|u| u.channel == channel && u.address.eq_ignore_ascii_case(v.as_ref()))
        {
            Some(u) => Contact::Unusable(u.reason.clone()),
            None => self,
        }
    }
}

/// The local hours when nothing but critical or urgent messages may go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    pub const DEFAULT: QuietHours = QuietHours {
        start: jiff::civil::time(21, 0, 0, 0),
        end: jiff::civil::time(8, 0, 0, 0),
    };

    pub fn contains(&self, t: Time) -> bool {
        if self.start <= self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start.strftime("%H:%M"), self.end.strftime("%H:%M"))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: Id,
    pub kind: DeviceKind,
    pub platform: Option<String>,
    pub push_endpoint: Option<String>,
    pub enabled: bool,
    pub last_seen: Option<Timestamp>,
    pub active_hours: Vec<ActiveWindow>,
    /// The active hours were learned from sessions rather than read from the profile.
    pub learned: bool,
    pub disabled_reason: Option<String>,
}

impl Device {
    /// Push can reach this device: enabled and registered with an endpoint.
    pub fn pushable(&self) -> bool {
        self.enabled && self.push_endpoint.is_some()
    }
}

/// The zone(s) local reasoning uses, and how they were found.
#[derive(Clone, Debug, PartialEq)]
pub enum ZoneChoice {
    Profile(TimeZone),
    /// Inferred from the phone's country; every zone of that country must agree.
    Inferred {
        country: String,
        zones: Vec<TimeZone>,
    },
    Unknown,
}

impl ZoneChoice {
    pub fn zones(&self) -> Vec<TimeZone> {
        match self {
            ZoneChoice::Profile(z) => vec![z.clone()],
            ZoneChoice::Inferred { zones, .. } => zones.clone(),
            ZoneChoice::Unknown => vec![TimeZone::UTC],
        }
    }
    /// The zone messages are written in: the profile's, or the first of the country's.
    pub fn primary(&self) -> TimeZone {
        match self {
            ZoneChoice::Profile(z) => z.clone(),
            ZoneChoice::Inferred { zones, .. } => zones.first().cloned().unwrap_or(TimeZone::UTC),
            ZoneChoice::Unknown => TimeZone::UTC,
        }
    }
    pub fn name(&self) -> String {
        match self {
            ZoneChoice::Profile(z) => z.iana_name().unwrap_or("UTC").to_owned(),
            ZoneChoice::Inferred { zones, .. } => zones
                .iter()
                .map(|z| z.iana_name().unwrap_or("UTC"))
                .collect::<Vec<_>>()
                .join("+"),
            ZoneChoice::Unknown => "UTC".into(),
        }
    }
    /// A sentence for the reasons: which zone and how it was found.
    pub fn explain(&self) -> String {
        match self {
            ZoneChoice::Profile(_) => format!("time zone {} from the profile", self.name()),
            ZoneChoice::Inferred { country, zones } if zones.len() == 1 => {
                format!(
                    "time zone {} inferred from the phone's country ({country})",
                    self.name()
                )
            }
            ZoneChoice::Inferred { country, zones } if zones.len() <= 3 => format!(
                "time zones {} inferred from the phone's country ({country}); a time must suit all of them",
                self.name()
            ),
            ZoneChoice::Inferred { country, zones } => format!(
                "{} time zones of {country} ({} … {}) inferred from the phone's country; a time must suit all of them",
                zones.len(),
                zones[0].iana_name().unwrap_or("UTC"),
                zones[zones.len() - 1].iana_name().unwrap_or("UTC"),
            ),
            ZoneChoice::Unknown => {
                "time zone unknown (none in the profile, none inferable from a phone number): using UTC".into()
            }
        }
    }
}

/// A customer as the policy sees it: every field parsed, every contact checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub id: Id,
    pub name: Option<String>,
    pub locale: String,
    pub zone: ZoneChoice,
    pub phone: Contact<PhoneNumber>,
    pub email: Contact<EmailAddress>,
    pub opted_out: Vec<Channel>,
    pub quiet_hours: QuietHours,
    pub quiet_hours_from_profile: bool,
    pub channel_preferences: BTreeMap<Category, Vec<Channel>>,
    /// Kinds the customer turned off, by detail-type: each a notifying kind of the catalog.
    pub muted_kinds: Vec<String>,
    /// Categories the customer turned off: each a category of the catalog.
    pub muted_categories: Vec<Category>,
    pub devices: Vec<Device>,
}

/// A profile that cannot be used, with the field at fault.
pub type ProfileError = EventError;

impl Customer {
    /// Parses a profile from a JSON value, naming the field of the first fault.
    pub fn from_json(value: serde_json::Value) -> Result<Customer, ProfileError> {
        let profile: CustomerProfile = typed("", value)?;
        Customer::from_profile(&profile)
    }

    pub fn from_profile(p: &CustomerProfile) -> Result<Customer, ProfileError> {
        let phone = Contact::parse(p.contacts.phone.as_deref(), PhoneNumber::parse).unless_listed(p, Channel::Sms);
        let email = Contact::parse(p.contacts.email.as_deref(), EmailAddress::parse).unless_listed(p, Channel::Email);
        let zone = match &p.time_zone {
            Some(name) => ZoneChoice::Profile(jiff::tz::db().get(name).map_err(|_| {
                EventError::new(
                    "time_zone",
                    format!("{:?} is not an IANA time zone", truncate(name, 60)),
                )
            })?),
            None => match phone.usable().and_then(|p| p.country()) {
                Some(country) => match zones::for_country(country) {
                    zones if !zones.is_empty() => ZoneChoice::Inferred {
                        country: country.to_owned(),
                        zones,
                    },
                    _ => ZoneChoice::Unknown,
                },
                None => ZoneChoice::Unknown,
            },
        };
        let quiet_hours = choices::quiet_hours(p)?;
        choices::check(p)?;
        let mut devices = Vec::with_capacity(p.devices.len());
        for (i, d) in p.devices.iter().enumerate() {
            let mut active_hours = Vec::with_capacity(d.active_hours.len());
            for (j, w) in d.active_hours.iter().enumerate() {
                active_hours.push(
                    ActiveWindow::parse(w)
                        .map_err(|r| EventError::new(format!("devices[{i}].active_hours[{j}]"), r))?,
                );
            }
            if let Some(h) = &d.habits {
                h.check()
                    .map_err(|r| EventError::new(format!("devices[{i}].habits"), r))?;
            }
            let learned = d.habits.as_ref().and_then(Habits::windows);
            devices.push(Device {
                id: d.device_id.clone(),
                kind: d.kind,
                platform: d.platform.clone(),
                push_endpoint: d.push_endpoint.clone().filter(|e| !e.trim().is_empty()),
                enabled: d.enabled && d.disabled_reason.is_none(),
                last_seen: d.last_seen.map(Instant::timestamp),
                learned: learned.is_some(),
                active_hours: learned.unwrap_or(active_hours),
                disabled_reason: d.disabled_reason.clone(),
            });
        }
        Ok(Customer {
            id: p.customer_id.clone(),
            name: p.name.clone().filter(|n| !n.trim().is_empty()),
            locale: p.locale.clone().unwrap_or_else(|| "en".into()),
            zone,
            phone,
            email,
            opted_out: p.opted_out.clone(),
            quiet_hours,
            quiet_hours_from_profile: p.quiet_hours.is_some(),
            channel_preferences: p.channel_preferences.clone(),
            muted_kinds: p.muted_kinds.clone(),
            muted_categories: p.muted_categories.clone(),
            devices,
        })
    }

    pub fn has_opted_out(&self, c: Channel) -> bool {
        self.opted_out.contains(&c)
    }
}

/// One profile of an import: the profile with its parsed customer, or why it is unusable.
pub type ParsedProfile = Result<(CustomerProfile, Customer), ProfileError>;

/// Parses a JSON array of profiles, keeping each one's fault beside its position: each valid
/// profile comes with the customer parsed from it.
pub fn parse_customers(json: &str) -> Result<Vec<ParsedProfile>, EventError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| EventError::new("$", format!("not valid JSON: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(EventError::new("$", "expected a JSON array of customer profiles"));
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let id = v.get("customer_id").and_then(|x| x.as_str()).map(str::to_owned);
            let parsed = typed::<CustomerProfile>("", v).and_then(|p| Customer::from_profile(&p).map(|c| (p, c)));
            parsed.map_err(|e| {
                let who = id.map(|id| format!("[{i}] ({id})")).unwrap_or_else(|| format!("[{i}]"));
                EventError::new(format!("{who}.{}", e.path), e.reason)
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_may_hold_a_number_from_ofcoms_drama_range_though_the_metadata_calls_it_unassigned() {
        let drama = PhoneNumber::parse("+447700900123").unwrap();
        assert_eq!((drama.e164(), drama.country()), ("+447700900123", Some("GB")));
        assert!(PhoneNumber::parse("+447700901123").is_err());
    }

    #[test]
    fn an_inbound_number_needs_only_e164_form_while_a_profile_number_must_be_assigned() {
        let unassigned = "+447700901123";
        assert!(
            PhoneNumber::parse(unassigned).is_err(),
            "the metadata calls it unassigned"
        );
        let p = PhoneNumber::parse_inbound(unassigned).unwrap();
        assert_eq!(p.e164(), unassigned);
        assert_eq!(p.masked(), mask_phone(unassigned));
        let valid = PhoneNumber::parse_inbound("+351912345678").unwrap();
        assert_eq!(valid, PhoneNumber::parse("+351912345678").unwrap());
        for bad in [
            "447700900123",
            "+12",
            "+0447700900123",
            "+4477009001234567",
            "+44 7700 900123",
            "+44770090012a",
            "+",
            "",
        ] {
            let err = PhoneNumber::parse_inbound(bad).unwrap_err();
            assert!(err.contains("E.164"), "{bad:?}: {err}");
        }
    }
    use serde_json::json;

    fn ana() -> serde_json::Value {
        json!({"customer_id": "c-1001", "name": "Ana", "locale": "pt-PT", "time_zone": "Europe/Lisbon",
         "contacts": {"email": "ana@example.com", "phone": "+351912345678"},
         "opted_out": ["sms"],
         "quiet_hours": {"start": "22:00", "end": "08:00"},
         "channel_preferences": {"security": ["sms", "push"], "travel": ["push", "sms"], "account": ["push", "email"], "applications": ["email"]},
         "devices": [
           {"device_id": "d1", "kind": "phone", "platform": "ios", "push_endpoint": "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/app/0b6f", "enabled": true,
            "last_seen": "2026-11-20T08:15:00Z", "active_hours": ["Mon-Fri 07:00-09:00", "Mon-Sun 12:00-14:00"]},
           {"device_id": "d2", "kind": "desktop", "platform": "web", "active_hours": ["Mon-Fri 19:00-22:00", "Sat-Sun 10:00-12:00"]}]})
    }

    #[test]
    fn the_documented_profile_parses_with_every_field() {
        let c = Customer::from_json(ana()).unwrap();
        assert_eq!(c.phone.usable().unwrap().e164(), "+351912345678");
        assert_eq!(c.phone.usable().unwrap().country(), Some("PT"));
        assert_eq!(c.email.usable().unwrap().as_str(), "ana@example.com");
        assert_eq!(c.zone.name(), "Europe/Lisbon");
        assert_eq!(c.quiet_hours.to_string(), "22:00–08:00");
        assert_eq!(c.devices.len(), 2);
        assert!(c.devices[0].pushable());
        assert!(!c.devices[1].pushable(), "no endpoint, no push");
        assert_eq!(c.devices[1].active_hours[1].days, 0b110_0000);
        assert!(c.has_opted_out(Channel::Sms));
    }

    #[test]
    fn only_the_customer_id_is_required() {
        let c = Customer::from_json(json!({"customer_id": "c-1"})).unwrap();
        assert_eq!(c.quiet_hours, QuietHours::DEFAULT);
        assert_eq!(c.phone, Contact::Missing);
        assert_eq!(c.zone, ZoneChoice::Unknown);
        assert_eq!(c.locale, "en");
    }

    #[test]
    fn an_invalid_contact_makes_that_channel_unusable_with_a_reason() {
        let c = Customer::from_json(
            json!({"customer_id": "c-1", "contacts": {"phone": "912345678", "email": "ana at example"}}),
        )
        .unwrap();
        assert!(matches!(&c.phone, Contact::Unusable(r) if r.contains("E.164")));
        assert!(matches!(&c.email, Contact::Unusable(r) if r.contains("no @")));
    }

    #[test]
    fn profile_faults_name_the_field() {
        let cases = [
            (json!({"customer_id": "c", "time_zone": "Mars/Base"}), "time_zone"),
            (
                json!({"customer_id": "c", "quiet_hours": {"start": "25:00", "end": "08:00"}}),
                "quiet_hours.start",
            ),
            (
                json!({"customer_id": "c", "devices": [{"device_id": "d", "kind": "fridge"}]}),
                "devices[0].kind",
            ),
            (
                json!({"customer_id": "c", "devices": [{"device_id": "d", "kind": "phone", "active_hours": ["weekdays"]}]}),
                "devices[0].active_hours[0]",
            ),
            (json!({"customer_id": "c", "opted_out": ["fax"]}), "opted_out[0]"),
            (json!({"name": "x"}), "$"),
            (
                json!({"customer_id": "c", "channel_preferences": {"Cards!": ["sms"]}}),
                "channel_preferences.Cards!",
            ),
        ];
        for (v, path) in cases {
            let e = Customer::from_json(v.clone()).expect_err(&v.to_string());
            assert_eq!(e.path, path, "{v} -> {e}");
        }
    }

    #[test]
    fn a_channel_preference_for_a_category_the_catalog_lacks_is_refused_naming_the_field() {
        let v = json!({"customer_id": "c", "channel_preferences": {"account": ["sms"], "cards": ["push"]}});
        let e = Customer::from_json(v).unwrap_err();
        assert_eq!(e.path, "channel_preferences.cards", "{e}");
        assert!(
            e.reason
                .contains("not a category of the catalog (security, travel, account, applications)"),
            "{e}"
        );
        let known = json!({"customer_id": "c", "channel_preferences": {"account": ["sms"]}});
        let c = Customer::from_json(known).unwrap();
        assert_eq!(
            c.channel_preferences[&Category::parse("account").unwrap()],
            [Channel::Sms]
        );
    }

    #[test]
    fn the_time_zone_is_inferred_from_the_phone_when_the_profile_has_none() {
        let c = Customer::from_json(json!({"customer_id": "c", "contacts": {"phone": "+14155550123"}})).unwrap();
        let ZoneChoice::Inferred { country, zones } = &c.zone else {
            panic!("{:?}", c.zone)
        };
        assert_eq!(country, "US");
        assert!(zones.len() > 5, "the US spans many zones");
        assert!(
            c.zone
                .explain()
                .contains("time zones of US (America/New_York … Pacific/Honolulu) inferred from the phone's country"),
            "{}",
            c.zone.explain()
        );
    }

    #[test]
    fn phone_numbers_and_emails_are_masked() {
        assert_eq!(mask_phone("+351912345678"), "+351*******78");
        assert_eq!(mask_phone("+14155550123"), "+1********23");
        assert_eq!(mask_phone("+447700900123"), "+44********23");
        assert_eq!(mask_phone("12"), "**");
        assert_eq!(mask_email("ana@example.com"), "a***@example.com");
    }

    #[test]
    fn windows_cover_their_days_and_may_cross_midnight() {
        let t = |h, m| jiff::civil::time(h, m, 0, 0);
        let w = ActiveWindow::parse("Mon-Fri 19:00-22:00").unwrap();
        assert!(w.contains(0, t(19, 0)) && w.contains(4, t(21, 59)));
        assert!(!w.contains(5, t(20, 0)) && !w.contains(0, t(22, 0)));
        let late = ActiveWindow::parse("Fri 23:00-01:00").unwrap();
        assert!(late.contains(4, t(23, 30)) && late.contains(5, t(0, 30)));
        assert!(!late.contains(4, t(0, 30)));
        let wrap = ActiveWindow::parse("Sat-Mon 10:00-12:00").unwrap();
        assert_eq!(wrap.days, 0b110_0001);
    }
}
