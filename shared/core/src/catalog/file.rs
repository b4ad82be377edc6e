//! The kind file's format: what a bank writes in `catalog/kinds/<kind>.toml` (documented by `catalog/kind.schema.json`, generated from these types).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::{Category, Channel, Urgency};

/// One notification kind, or one event that resolves notices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KindFile {
    /// The EventBridge `detail-type` (`PaymentDue`).
    pub detail_type: String,
    /// One sentence for the README and the schema: what happened.
    pub description: String,
    pub role: Role,
    /// Notify: what the alert is about; the customer's channel preferences are per category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Notify: how much it matters (critical and high are never capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    /// Notify: the fields that name what the alert is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Notify: what a second event of the same subject does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeat>,
    /// Notify: the events that make a pending notice moot, and the subject fields they match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_by: Vec<ResolvedBy>,
    /// Notify: when the message goes out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Notify: the time field after which the notice no longer matters (a day after the event when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Notify: an SMS asks the customer to answer YES or NO (`SuspiciousTransaction` only: the
    /// reply flow answers with `TransactionConfirmed` / `TransactionDisputed`).
    #[serde(default)]
    pub expects_reply: bool,
    /// Notify, critical kinds only: the minutes within which the SMS provider must report a
    /// text delivered (End User Messaging SMS reports it); a text it has not reported by then
    /// counts as failed and the alert falls over once to the next channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1440))]
    pub receipt_within_minutes: Option<u32>,
    /// Notify: the channel order when the customer states none for the category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Notify: the producer's link a push opens (an https URL field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Notify: the values templates may use, each read from a detail field and formatted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub placeholders: BTreeMap<String, Placeholder>,
    /// Notify: the templates per language tag (`en`, `pt-PT`, `pt-BR`, `es`, `fr`, `de`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub templates: BTreeMap<String, Templates>,
    /// Resolve: the words of reasons ("balance restored").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// The JSON Schema (draft 2020-12) of the event's `detail`; its `examples` are checked.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub schema: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A business event that may notify the customer.
    Notify,
    /// An event that cancels pending notices and closes open questions.
    Resolve,
}

/// `<name>:<field>:<field>…`: deliveries of one subject de-duplicate, supersede and resolve together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// A word for the subject, unique to this kind (`account`, `payment`).
    pub name: String,
    /// Dotted paths of required identifier fields (`booking_ref`, `flight.number`).
    pub fields: Vec<String>,
}

/// What an event does when its subject was already raised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Repeat {
    /// Silent while a notice of the subject is pending or was sent within `hours`.
    Window { hours: i64 },
    /// Raised once: silent while any notice of the subject is live.
    Once,
    /// The newest update wins: it replaces a pending notice, and an older update is stale
    /// (`update` names one in reasons: "delay update").
    Latest { update: String },
}

/// An event that resolves this kind, matched on the leading subject fields it shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolvedBy {
    /// Its detail-type (a `role = "resolve"` kind).
    pub kind: String,
    /// The subject fields, leading ones first, the resolving event carries under the same names.
    #[serde(rename = "match")]
    pub fields: Vec<String>,
}

/// When the message goes out: a proven rule, with this kind's fields and hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Timing {
    /// At once, at any hour.
    Now,
    /// At once outside quiet hours; inside them at their end if that still leaves
    /// `margin_hours` before `departure`, else at once; dropped once `departure` has passed.
    BeforeDeparture { departure: String, margin_hours: i64 },
    /// Never in quiet hours: the first moment within `within_hours` the customer is usually on
    /// a phone or watch, but no later than `lead_hours` before `deadline` (`what` names it: "the payment").
    UsualMoment {
        within_hours: i64,
        #[serde(default)]
        deadline: Option<String>,
        lead_hours: i64,
        what: String,
    },
    /// A task: the first usual moment on a desktop or tablet within `within_hours` and
    /// `lead_hours` before `deadline`, else the next allowed 19:00; dropped after `deadline`.
    BigScreen {
        within_hours: i64,
        #[serde(default)]
        deadline: Option<String>,
        lead_hours: i64,
        what: String,
    },
}

/// One template value: a detail field, formatted for the customer's locale and bounded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placeholder {
    /// Dotted path in the detail (`upcoming_payment.amount`).
    pub path: String,
    pub format: PlaceholderFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlaceholderFormat {
    /// Producer free text: cleaned, links and phone numbers replaced, shortened to fit.
    Text,
    /// A short identifier (flight number, gate, card digits).
    Id,
    /// `{"amount", "currency"}` written the locale's way (`1234,56 €`).
    Money,
    /// A time written as the locale's month and day, in the customer's zone.
    Date,
    /// A time written as the locale's month, day and time, in the customer's zone.
    Datetime,
    /// An https link, left out when its host is not allowed or it is too long.
    Link,
    /// An account (or card) id named by its last four letters or digits only, so a customer
    /// with two accounts can tell them apart (`PT50-0001` → `0001`, for "account ending
    /// 0001"); left out when the id has four or fewer, which the suffix would show whole.
    Masked,
    /// A list of texts: `<name>` the sentence (`a, b and c`), `<name>_hidden` how many it
    /// leaves out, `<name>_items` the items (up to 20), `<name>_more` how many those leave out.
    List,
}

/// The words of one language: SMS, push (first line the title), email (first line the subject), email HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    pub sms: String,
    pub push: String,
    pub email: String,
    pub html: String,
}

/// The fields a kind of its role must (and must not) declare.
pub(super) fn check_shape(k: &KindFile) -> Result<(), String> {
    if k.detail_type.is_empty() || !k.detail_type.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "detail_type {:?}: must be letters and digits, e.g. PaymentDue",
            k.detail_type
        ));
    }
    if !k.schema.is_object() {
        return Err("schema: must be a JSON Schema object".into());
    }
    check_receipt(k)?;
    match k.role {
        Role::Notify => {
            let missing = [
                ("category", k.category.is_none()),
                ("urgency", k.urgency.is_none()),
                ("subject", k.subject.is_none()),
                ("repeat", k.repeat.is_none()),
                ("timing", k.timing.is_none()),
                ("channels", k.channels.is_empty()),
                ("templates", k.templates.is_empty()),
            ];
            if let Some((field, _)) = missing.iter().find(|(_, m)| *m) {
                return Err(format!("{field}: a notifying kind (role = \"notify\") must declare it"));
            }
            if k.subject
                .as_ref()
                .is_some_and(|s| s.fields.is_empty() || s.name.is_empty())
            {
                return Err("subject: needs a name and at least one field".into());
            }
            // The two-way flow (questions by phone number, YES 1/YES 2, the escalation
            // reminder, TransactionConfirmed/Disputed) is built for transactions.
            if k.expects_reply && k.detail_type != "SuspiciousTransaction" {
                return Err("expects_reply: the YES/NO reply flow answers SuspiciousTransaction questions only (its answers are TransactionConfirmed / TransactionDisputed)".into());
            }
        }
        Role::Resolve => {
            if k.resolution.is_none() {
                return Err(
                    "resolution: a resolving kind (role = \"resolve\") must say what it means, e.g. \"payment made\""
                        .into(),
                );
            }
            if k.subject.is_some() || !k.templates.is_empty() || k.timing.is_some() {
                return Err("a resolving kind sends nothing: no subject, timing or templates".into());
            }
        }
    }
    Ok(())
}

/// `receipt_within_minutes`: a critical kind that sends SMS, within a day.
fn check_receipt(k: &KindFile) -> Result<(), String> {
    let Some(m) = k.receipt_within_minutes else {
        return Ok(());
    };
    if k.urgency != Some(Urgency::Critical) {
        return Err("receipt_within_minutes: only a critical kind (urgency = \"critical\") falls over when its text is not reported delivered".into());
    }
    if !(1..=1440).contains(&m) {
        return Err(format!(
            "receipt_within_minutes: {m} must be between 1 and 1440 (a day)"
        ));
    }
    if !k.channels.contains(&Channel::Sms) {
        return Err("receipt_within_minutes: the kind sends no SMS (channels lacks \"sms\")".into());
    }
    Ok(())
}
