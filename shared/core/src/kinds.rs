//! The vocabularies every layer shares: channels, urgencies and device kinds (closed), and category names (the catalog's).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A way to reach the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Push,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Email => "email",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an event is about, which decides default channels and the customer's preferences: a
/// name of the catalog's `categories.toml` (`security`, `cards`). Parsing checks the name's
/// form; a profile is checked against the catalog's categories when it is parsed into a
/// `Customer`, a kind when the catalog is read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Category(String);

/// Longest category name.
const MAX_CATEGORY_CHARS: usize = 32;

impl Category {
    /// A category name: 1 to 32 lowercase ASCII letters, digits and hyphens, starting with a letter.
    pub fn parse(name: &str) -> Result<Category, String> {
        let well_formed = name.len() <= MAX_CATEGORY_CHARS
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        match well_formed {
            true => Ok(Category(name.to_owned())),
            false => Err(format!(
                "{:?} is not a category name (1 to {MAX_CATEGORY_CHARS} lowercase letters, digits and hyphens, \
                 starting with a letter)",
                crate::types::truncate(name, 40)
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Category {
    type Error = String;
    fn try_from(s: String) -> Result<Category, String> {
        Category::parse(&s)
    }
}

impl From<Category> for String {
    fn from(c: Category) -> String {
        c.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Category {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Category".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z][a-z0-9-]{0,31}$",
            "description": "What an event is about, which decides default channels and the customer's \
                            preferences: a category of the catalog's `categories.toml` (`security`, \
                            `travel`, `account`, `applications` in the bundled one)."
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Phone,
    Tablet,
    Desktop,
    Watch,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Desktop => "desktop",
            DeviceKind::Watch => "watch",
        }
    }
    /// Phones and watches suit glanceable alerts; tablets and desktops suit tasks.
    pub fn is_glanceable(self) -> bool {
        matches!(self, DeviceKind::Phone | DeviceKind::Watch)
    }
}

/// How much a message matters now, which decides timing and capping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    High,
    Critical,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }
    /// Normal and low messages count against the customer's frequency cap.
    pub fn is_capped(self) -> bool {
        self <= Urgency::Normal
    }
}

/// How much a message may interrupt the customer. A push adapter sends a `Passive` one
/// without sound and without lighting the screen (APNs `interruption-level: passive`, FCM
/// normal priority); other channels have no such level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intrusion {
    /// As the channel usually alerts.
    #[default]
    Normal,
    /// Quietly: seen when the customer next looks.
    Passive,
}

impl Intrusion {
    pub fn is_normal(&self) -> bool {
        *self == Intrusion::Normal
    }
}
