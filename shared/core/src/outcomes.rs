//! The outcome contracts: one vocabulary for what happened to an input, the outcome events
//! forewarn puts on the bus, and the request a schedule hands to dispatch.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::Channel;
use crate::types::Id;

/// What happened to one input, in every flow: decisions, function responses, idempotency
/// claims and the simulator's lines all use these words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    // Decisions on a business event.
    /// The message goes out now.
    SendNow,
    /// The message waits for a better moment.
    Scheduled,
    /// Nothing is sent (unknown customer, repeat, cap, no reachable channel, duplicate…).
    #[default]
    Suppressed,
    /// A resolving event: it cancels or closes earlier deliveries and sends nothing.
    Resolved,
    /// The input could not be read; the reasons name the field.
    Rejected,
    /// A `CustomerActivity` session was added to the device's habits.
    Recorded,
    // A schedule firing (dispatch).
    /// The scheduled message went out.
    Sent,
    /// The provider refused every channel.
    Failed,
    /// The scheduled message is no longer allowed or wanted.
    Cancelled,
    /// The schedule names a delivery that does not exist.
    Missing,
    // An inbound SMS (reply).
    Confirmed,
    Disputed,
    Expired,
    NoOpenQuestion,
    UnknownSender,
    OptedOut,
    /// START / UNSTOP: SMS allowed again.
    OptedIn,
    /// A bare YES while several questions are open: nothing confirmed, the customer is asked which.
    Ambiguous,
    Help,
    Unrecognised,
    // Email feedback.
    Delivered,
    Bounced,
    SoftBounce,
    Complained,
    Unmatched,
    // The sweep of rows stuck past their horizon.
    /// The rows the sweep found stuck were failed and reported (`sent`-like counts say how many).
    Swept,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::SendNow => "send_now",
            Outcome::Scheduled => "scheduled",
            Outcome::Suppressed => "suppressed",
            Outcome::Resolved => "resolved",
            Outcome::Rejected => "rejected",
            Outcome::Recorded => "recorded",
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Missing => "missing",
            Outcome::Confirmed => "confirmed",
            Outcome::Disputed => "disputed",
            Outcome::Expired => "expired",
            Outcome::NoOpenQuestion => "no_open_question",
            Outcome::UnknownSender => "unknown_sender",
            Outcome::OptedOut => "opted_out",
            Outcome::OptedIn => "opted_in",
            Outcome::Ambiguous => "ambiguous",
            Outcome::Help => "help",
            Outcome::Unrecognised => "unrecognised",
            Outcome::Delivered => "delivered",
            Outcome::Bounced => "bounced",
            Outcome::SoftBounce => "soft_bounce",
            Outcome::Complained => "complained",
            Outcome::Unmatched => "unmatched",
            Outcome::Swept => "swept",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The detail types of the outcome events forewarn puts on the bus (source `forewarn`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OutcomeType {
    NotificationScheduled,
    #[default]
    NotificationSent,
    NotificationSuppressed,
    NotificationCancelled,
    NotificationFailed,
    NotificationDelivered,
    NotificationBounced,
    NotificationComplained,
    DeviceDisabled,
    ReplyReceived,
    /// A producer's event forewarn could not read: the field and the reason, for the producer.
    EventRejected,
}

impl OutcomeType {
    pub const ALL: [OutcomeType; 11] = [
        OutcomeType::NotificationScheduled,
        OutcomeType::NotificationSent,
        OutcomeType::NotificationSuppressed,
        OutcomeType::NotificationCancelled,
        OutcomeType::NotificationFailed,
        OutcomeType::NotificationDelivered,
        OutcomeType::NotificationBounced,
        OutcomeType::NotificationComplained,
        OutcomeType::DeviceDisabled,
        OutcomeType::ReplyReceived,
        OutcomeType::EventRejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeType::NotificationScheduled => "NotificationScheduled",
            OutcomeType::NotificationSent => "NotificationSent",
            OutcomeType::NotificationSuppressed => "NotificationSuppressed",
            OutcomeType::NotificationCancelled => "NotificationCancelled",
            OutcomeType::NotificationFailed => "NotificationFailed",
            OutcomeType::NotificationDelivered => "NotificationDelivered",
            OutcomeType::NotificationBounced => "NotificationBounced",
            OutcomeType::NotificationComplained => "NotificationComplained",
            OutcomeType::DeviceDisabled => "DeviceDisabled",
            OutcomeType::ReplyReceived => "ReplyReceived",
            OutcomeType::EventRejected => "EventRejected",
        }
    }
}

/// An outcome event's detail: ids, channel, times and reasons; never an address or a
/// message body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutcomeEvent {
    #[serde(skip)]
    pub detail_type: OutcomeType,
    pub event_id: String,
    pub customer_id: String,
    pub source_detail_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Masked destination, e.g. `+351*******78`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_at: Option<String>,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_event_id: Option<String>,
    /// An escalation reminder of an unanswered question, not the first alert.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminder: bool,
    pub reasons: Vec<String>,
    /// Of an `EventRejected`: whose event it was and what in it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
}

/// Why a producer's event was refused: its `source`, the JSON path at fault and the reason,
/// with no value of the event's own beyond what the reason quotes of the field's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rejection {
    /// The event's EventBridge `source`, e.g. `bank.core`.
    pub source: String,
    /// The JSON path at fault, e.g. `detail.balance.amount`.
    pub field: String,
    pub reason: String,
}

impl OutcomeEvent {
    /// An outcome of `kind` about `event_id` for `customer_id`, at `at`; the rest empty.
    pub fn new(kind: OutcomeType, event_id: &str, customer_id: &str, at: jiff::Timestamp) -> OutcomeEvent {
        OutcomeEvent {
            detail_type: kind,
            event_id: event_id.to_owned(),
            customer_id: customer_id.to_owned(),
            source_detail_type: None,
            channel: None,
            device_id: None,
            to: None,
            send_at: None,
            at: at.to_string(),
            provider_message_id: None,
            by_event_id: None,
            reminder: false,
            reasons: vec![],
            rejection: None,
        }
    }
}

/// The field of a schedule's input that EventBridge Scheduler fills with the time the firing
/// was scheduled for (its `<aws.scheduler.scheduled-time>` context attribute).
pub const SCHEDULED_TIME_FIELD: &str = "scheduled_time";
/// What Scheduler replaces with the scheduled time of the firing.
pub const SCHEDULED_TIME_PLACEHOLDER: &str = "<aws.scheduler.scheduled-time>";

/// Which delivery a schedule fires: the identity of one delivery row. The store decides how
/// it is keyed; the scheduler decides how the schedule is named.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    pub customer_id: Id,
    /// What the notice is about, e.g. `account:PT50-0001`.
    pub subject: String,
    pub event_id: Id,
    pub channel: Channel,
    /// The device a push goes to: each device's push is a row of its own, so a failover
    /// from one device to another keeps both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Id>,
    /// The escalation reminder of the event, not its first alert.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminder: bool,
    /// Not a send: the check that the row's critical text was reported delivered in time
    /// (the kind's `receipt_within_minutes`), which fails it over when not. The row it names
    /// is the one without this flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub receipt_check: bool,
}
