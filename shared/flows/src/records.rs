//! What the flows keep between invocations: claims, delivery rows, questions, device habits,
//! and the one read (a customer's partition) that every decision starts from. How these are
//! keyed and encoded is the adapters' business.

use forewarn_core::customer::{
    Channel, Customer, CustomerProfile, DeviceProfile, EmailAddress, PhoneNumber, UnusableContact,
};
use forewarn_core::engine::Destination;
use forewarn_core::habits::Habits;
use forewarn_core::kinds::DeviceKind;
use forewarn_core::messages::{Message, Traits};
use forewarn_core::outcomes::{DispatchRequest, Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::policy::{DeliveryRecord, Intrusion};
use forewarn_core::subject::Subject;
use forewarn_core::types::{Id, Instant};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::FlowError;

/// How long claims and delivery rows are kept (the table's time to live).
pub const RETENTION_DAYS: i64 = 30;
/// How long a question sent by SMS can be answered.
pub const QUESTION_HOURS: i64 = 24;

/// The idempotency claim of one event, kept in the customer's partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub event_id: Id,
    pub completed: bool,
    /// While not completed, a duplicate before this instant waits; after it, it takes over.
    pub lease_until: Timestamp,
    /// The recorded outcome and its reasons.
    pub outcome: Outcome,
    pub reasons: Vec<String>,
    /// The outcome events of a completed claim: a redelivered event puts them on the bus
    /// again, so a `PutEvents` that failed after the claim completed is not lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<StoredOutcome>,
    /// The event as EventBridge delivered it (`Event::to_envelope`), so a step after the
    /// decision (a hard bounce reported hours later) can decide on it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
}

/// An outcome event with its detail type, as kept in a claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredOutcome {
    pub detail_type: OutcomeType,
    #[serde(flatten)]
    pub event: OutcomeEvent,
}

impl StoredOutcome {
    pub fn event(&self) -> OutcomeEvent {
        OutcomeEvent {
            detail_type: self.detail_type,
            ..self.event.clone()
        }
    }
}

/// Where a stored delivery goes, in the clear: it lives only in the store, never in logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Address {
    Phone(String),
    Email(String),
    Endpoint(String),
}

impl Address {
    pub fn from_destination(d: &Destination) -> Address {
        match d {
            Destination::Phone(p) => Address::Phone(p.e164().to_owned()),
            Destination::Email(e) => Address::Email(e.as_str().to_owned()),
            Destination::Endpoint(a) => Address::Endpoint(a.clone()),
        }
    }
    /// Parses back into a checked destination (the store is outside input too).
    pub fn to_destination(&self) -> Result<Destination, String> {
        Ok(match self {
            Address::Phone(p) => Destination::Phone(PhoneNumber::parse(p)?),
            Address::Email(e) => Destination::Email(EmailAddress::parse(e)?),
            Address::Endpoint(a) => Destination::Endpoint(a.clone()),
        })
    }
}

/// The message as stored with its delivery, so `dispatch` sends exactly what was decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub subject: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub html: Option<String>,
    pub deep_link: Option<String>,
    pub ttl: Option<Timestamp>,
    pub expects_reply: bool,
    /// What a question asks about, in a few words ("Shop 12.00 EUR"), so a customer with
    /// several open questions can be asked which one an answer is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Push: how much it may interrupt (`passive` when it breaks quiet hours for a deadline);
    /// rows written before it existed read as normal.
    #[serde(default, skip_serializing_if = "Intrusion::is_normal")]
    pub intrusion: Intrusion,
    /// The kind's category, urgency and subject, for the provider adapters; none for an
    /// acknowledgement text and for rows written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Traits>,
}

impl StoredMessage {
    /// A short text message with nothing else: an acknowledgement or a help text.
    pub fn text(body: &str) -> StoredMessage {
        StoredMessage {
            subject: None,
            title: None,
            body: body.to_owned(),
            html: None,
            deep_link: None,
            ttl: None,
            expects_reply: false,
            about: None,
            intrusion: Intrusion::Normal,
            traits: None,
        }
    }
}

impl From<&Message> for StoredMessage {
    fn from(m: &Message) -> Self {
        StoredMessage {
            subject: m.subject.clone(),
            title: m.title.clone(),
            body: m.body.clone(),
            html: m.html.clone(),
            deep_link: m.deep_link.clone(),
            ttl: m.ttl,
            expects_reply: m.expects_reply,
            about: None,
            intrusion: Intrusion::Normal,
            traits: m.traits.clone(),
        }
    }
}

/// One delivery row: the policy's record plus what sending needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredDelivery {
    pub customer_id: Id,
    #[serde(flatten)]
    pub record: DeliveryRecord,
    pub device_id: Option<Id>,
    pub address: Address,
    pub message: StoredMessage,
    pub reasons: Vec<String>,
    pub provider_message_id: Option<String>,
    pub failure: Option<String>,
    pub expires_at: Timestamp,
    /// An escalation reminder for an unanswered question, not the first alert.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminder: bool,
    /// When the provider reported the message delivered (email delivery feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    /// How many workers have taken the row to send it; the one holding the latest attempt
    /// is the only one that may record the result.
    #[serde(default)]
    pub attempt: u32,
    /// While `sending`: until when the worker that took it holds it (`state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    /// The event (or inbound SMS) that cancelled the row, so a retry of that event puts the
    /// cancellation's outcome again instead of losing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<Id>,
    /// Failed as stuck, and its `NotificationFailed` not yet known to be on the bus: the
    /// sweep keeps seeing the row, and puts the event again, until it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreported: bool,
}

impl StoredDelivery {
    /// The row's identity, which is also what its schedule hands to dispatch.
    pub fn key(&self) -> DispatchRequest {
        DispatchRequest {
            customer_id: self.customer_id.clone(),
            subject: self.record.subject.to_string(),
            event_id: self.record.event_id.clone(),
            channel: self.record.channel,
            device_id: self.device_id.clone(),
            reminder: self.reminder,
            receipt_check: false,
        }
    }
    /// Whether this row is the one `key` names.
    pub fn is(&self, key: &DispatchRequest) -> bool {
        self.customer_id == key.customer_id
            && self.record.subject == *key.subject
            && self.record.event_id == key.event_id
            && self.record.channel == key.channel
            && self.device_id == key.device_id
            && self.reminder == key.reminder
    }
}

/// That a subject was resolved (balance restored, application completed, transaction
/// confirmed or disputed), kept so a notice that arrives after its resolution (EventBridge
/// does not promise order) is not sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The subject resolved, or the prefix of the subjects resolved.
    pub subject: Subject,
    pub event_id: Id,
    pub detail_type: String,
    /// When the resolving event happened (its `time`).
    pub at: Timestamp,
}

/// What an answer said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Yes,
    No,
    /// The bank resolved the transaction (`TransactionConfirmed` / `TransactionDisputed`).
    Closed,
}

/// A YES/NO question sent by SMS, kept under the phone number it was sent to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// E.164 number the question went to; only this number can answer it.
    pub phone: String,
    pub customer_id: Id,
    pub event_id: Id,
    pub subject: String,
    pub transaction_id: String,
    pub asked_at: Timestamp,
    pub expires_at: Timestamp,
    pub provider_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    /// What the question is about ("Shop 12.00 EUR"), to name it among several open ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

impl Question {
    /// Still waiting for an answer at `now`.
    pub fn open(&self, now: Timestamp) -> bool {
        self.answer.is_none() && now < self.expires_at
    }
    /// The same question (phone, time asked, event), whatever its answer.
    pub fn same(&self, other: &Question) -> bool {
        self.phone == other.phone && self.asked_at == other.asked_at && self.event_id == other.event_id
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub intent: AnswerKind,
    pub at: Timestamp,
    /// The inbound SMS, or the resolving event, that answered.
    pub inbound_message_id: String,
}

/// Everything kept under one phone number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhoneBook {
    pub customers: Vec<Id>,
    pub questions: Vec<Question>,
    /// The number's automatic answers counted in their current windows.
    pub answers: Vec<AnswerWindow>,
}

/// How long a window of counted automatic answers lasts, from the first answer in it.
pub const ANSWER_WINDOW_HOURS: i64 = 24;

/// The automatic answers to a number that are counted together against the daily limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerCount {
    /// Anything but an answer to a question, an opt-out or opt-in confirmation, or help.
    Reply,
    /// The help text.
    Help,
}

impl AnswerCount {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerCount::Reply => "reply",
            AnswerCount::Help => "help",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AnswerCount::Reply, AnswerCount::Help]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The automatic answers of one count a number got in the window that began at `started`
/// (with the first of them), and the inbound messages that got them.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerWindow {
    pub count: AnswerCount,
    pub started: Timestamp,
    pub answered: u32,
    pub by: Vec<String>,
}

/// A device's learned habits as stored, with what the session said about the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceActivity {
    pub device_id: Id,
    pub kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub last_seen: Timestamp,
    pub habits: Habits,
}

/// Everything in one customer's partition that the flows need: one read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partition {
    /// The profile, with what forewarn learned merged in: opt-outs, unusable addresses,
    /// disabled devices and learned habits.
    pub profile: Option<CustomerProfile>,
    pub deliveries: Vec<StoredDelivery>,
    pub claim: Option<Claim>,
    /// Each device's learned habits, as stored (the activity flow updates them).
    pub activity: Vec<DeviceActivity>,
    /// How many decisions that wrote rows were recorded for the customer: a commit made on
    /// this read fails if another one landed since, so the cap and the repeat rules are
    /// applied to every row, even by concurrent events.
    pub decisions: u64,
    /// The subjects resolved, newest resolution of each.
    pub resolutions: Vec<Resolution>,
    /// Channels the customer opted back in to (START), with what they did and when.
    pub opted_in: Vec<(Channel, String)>,
}

impl Partition {
    /// The stored profile as the policy trusts it, the one reading every flow makes: `None`
    /// when the partition holds no profile (the customer is unknown or gone); a profile held
    /// but unreadable is `FlowError::Corrupt`, naming the customer and what is wrong with it
    /// (a field's path and why, never a contact or a name). No flow decides, sends or learns
    /// on a profile it cannot read.
    pub fn customer(&self) -> Result<Option<Customer>, FlowError> {
        let Some(p) = &self.profile else {
            return Ok(None);
        };
        Customer::from_profile(p)
            .map(Some)
            .map_err(|e| FlowError::corrupt(format!("profile of customer {}", p.customer_id), e))
    }
}

/// A partition's items as an adapter reads them, before what forewarn learned is merged in.
#[derive(Clone, Debug, Default)]
pub struct PartitionParts {
    pub profile: Option<CustomerProfile>,
    pub devices: Vec<DeviceProfile>,
    pub opted_out: Vec<Channel>,
    pub unusable: Vec<UnusableContact>,
    pub activity: Vec<DeviceActivity>,
    pub deliveries: Vec<StoredDelivery>,
    pub claim: Option<Claim>,
    pub decisions: u64,
    pub resolutions: Vec<Resolution>,
    /// `(channel, reason)` of each opt-in (START) recorded.
    pub opted_in: Vec<(Channel, String)>,
}

impl PartitionParts {
    /// Merges devices, learned habits, opt-outs and unusable contacts into the profile.
    pub fn assemble(self) -> Partition {
        let PartitionParts {
            mut profile,
            mut devices,
            opted_out,
            unusable,
            activity,
            deliveries,
            claim,
            decisions,
            resolutions,
            opted_in,
        } = self;
        if let Some(p) = &mut profile {
            devices.sort_by(|a, b| a.device_id.cmp(&b.device_id));
            for a in &activity {
                match devices.iter_mut().find(|d| d.device_id == a.device_id) {
                    Some(d) => {
                        d.habits = Some(a.habits.clone());
                        d.last_seen = Some(Instant(d.last_seen.map_or(a.last_seen, |s| s.0.max(a.last_seen))));
                    }
                    None => devices.push(DeviceProfile {
                        device_id: a.device_id.clone(),
                        kind: a.kind,
                        platform: a.platform.clone(),
                        push_endpoint: None,
                        enabled: true,
                        last_seen: Some(Instant(a.last_seen)),
                        active_hours: vec![],
                        habits: Some(a.habits.clone()),
                        disabled_reason: None,
                    }),
                }
            }
            p.devices = devices;
            for c in opted_out {
                if !p.opted_out.contains(&c) {
                    p.opted_out.push(c);
                }
            }
            p.unusable_contacts.extend(unusable);
        }
        Partition {
            profile,
            deliveries,
            claim,
            activity,
            decisions,
            resolutions,
            opted_in,
        }
    }
}

/// How a commit claims its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claiming {
    /// No claim exists yet: the commit creates it, and fails if one appeared.
    Fresh,
    /// The claim of an invocation whose lease ran out: the commit takes it over, unless it
    /// was completed meanwhile.
    TakeOver,
}

impl Commit {
    /// The commit takes over an unfinished claim rather than creating one.
    pub fn takes_over(&self) -> bool {
        self.claiming == Claiming::TakeOver
    }
}

/// The write that claims an event and records its decision, atomically.
#[derive(Clone, Debug, PartialEq)]
pub struct Commit {
    pub customer_id: Id,
    pub claim: Claim,
    /// A new claim, or one whose lease ran out, taken over.
    pub claiming: Claiming,
    pub new_rows: Vec<StoredDelivery>,
    /// Scheduled rows to cancel (only if still scheduled).
    pub cancel: Vec<StoredDelivery>,
    /// The questions the due rows ask, written before anything is sent, so an answer always
    /// finds its question (the same upsert as [`Finish::questions`]).
    pub questions: Vec<Question>,
    /// The customer's decision count this decision was made on (`Partition::decisions`):
    /// the commit counts one more, or is a `Conflict` if another decision landed since.
    /// `None` for a commit that decides nothing new (a take-over resuming its rows).
    pub decisions: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitResult {
    Committed,
    /// Another invocation holds or completed the claim.
    AlreadyClaimed,
    /// Another decision for the customer, or a change to a row this one cancels, landed
    /// after the read: nothing was written; decide again on a fresh read.
    Conflict,
}

/// The write after the effects: the claim completed, the rows in their final state, and
/// what sending taught (questions asked, devices that can no longer receive push).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finish {
    pub customer_id: Option<Id>,
    pub claim: Option<Claim>,
    pub rows: Vec<StoredDelivery>,
    /// Questions to write or bring up to date: the provider's message id once the question
    /// went out, or closed when it did not. An answer already recorded is kept.
    pub questions: Vec<Question>,
    /// `(device_id, reason)`.
    pub disabled_devices: Vec<(Id, String)>,
}

impl Finish {
    pub fn is_empty(&self) -> bool {
        self.claim.is_none() && self.rows.is_empty() && self.questions.is_empty() && self.disabled_devices.is_empty()
    }
}

/// The result of sending one message.
#[derive(Clone, Debug, PartialEq)]
pub enum SendResult {
    Sent {
        provider_message_id: String,
    },
    /// The address can no longer receive (disabled endpoint, rejected number): try the next channel.
    Unreachable(String),
}
