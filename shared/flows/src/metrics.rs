//! The operational metrics the flows record, through the `metrics` facade: a Lambda function
//! installs a recorder that writes CloudWatch Embedded Metric Format; the simulator installs
//! none, so these calls cost nothing there. Every dimension is a bounded, fixed vocabulary
//! (a kind, a channel, an outcome, a class): never a customer, an event or an address.

use std::cell::Cell;
use std::time::Instant;

use forewarn_core::conversation::Intent;
use forewarn_core::customer::Channel;
use forewarn_core::events::DetailType;
use forewarn_core::outcomes::Outcome;
use forewarn_core::policy::{DeliveryStatus, Suppression};
use jiff::Timestamp;

use crate::error::Port;

/// Every metric name, for the dashboard, the alarms and the tests.
pub const NAMES: [&str; 10] = [
    DECISIONS,
    SUPPRESSIONS,
    DELIVERIES,
    FAILOVERS,
    SCHEDULE_LATENESS,
    DECISION_TO_PROVIDER,
    PROVIDER_ERRORS,
    REPLIES,
    STUCK_ROWS,
    REJECTED_EVENTS,
];
/// A notifying event decided, by `Kind` (detail type) and `Outcome`.
pub const DECISIONS: &str = "Decisions";
/// A decision that sends nothing, by `Reason` (a class, see `suppression_class`).
pub const SUPPRESSIONS: &str = "Suppressions";
/// A row that ended, by `Channel` and `Result` (sent, failed, cancelled, expired), or
/// what the providers reported of it (delivered, bounced, soft_bounce, complained; a
/// critical text not reported delivered in time: unconfirmed).
pub const DELIVERIES: &str = "Deliveries";
/// Every channel tried failed and the policy picked another, by the `Channel` that failed.
pub const FAILOVERS: &str = "Failovers";
/// How late a schedule fired: dispatch's time minus the row's time, in seconds.
pub const SCHEDULE_LATENESS: &str = "ScheduleLateness";
/// From the start of the invocation that decided or fired the row to the provider taking
/// the message, in milliseconds, by `Channel`.
pub const DECISION_TO_PROVIDER: &str = "DecisionToProvider";
/// A provider call that failed, by `Service` (sns, smsvoice, ses) and `Class` (refused, retryable, permanent).
pub const PROVIDER_ERRORS: &str = "ProviderErrors";
/// An inbound SMS, by `Intent`.
pub const REPLIES: &str = "Replies";
/// A row failed because it was still pending hours after its time.
pub const STUCK_ROWS: &str = "StuckRows";
/// A producer's event forewarn could not read, reported to the producer as `EventRejected`.
/// No dimension: a refused event's detail type is the producer's text, not a vocabulary.
pub const REJECTED_EVENTS: &str = "RejectedEvents";

/// Gives each metric its unit and description, for a recorder that writes them out.
pub fn describe() {
    use metrics::Unit;
    let counters = [
        (DECISIONS, "notifying events decided, by kind and outcome"),
        (SUPPRESSIONS, "decisions that send nothing, by reason class"),
        (DELIVERIES, "delivery rows ended, by channel and result"),
        (FAILOVERS, "channels that failed and were replaced by another"),
        (PROVIDER_ERRORS, "provider calls that failed, by service and class"),
        (REPLIES, "inbound SMS, by intent"),
        (STUCK_ROWS, "rows failed while still pending hours after their time"),
        (
            REJECTED_EVENTS,
            "producers' events refused as unreadable, each reported as EventRejected",
        ),
    ];
    for (name, what) in counters {
        metrics::describe_counter!(name, Unit::Count, what);
    }
    metrics::describe_histogram!(SCHEDULE_LATENESS, Unit::Seconds, "how late schedules fire");
    metrics::describe_histogram!(
        DECISION_TO_PROVIDER,
        Unit::Milliseconds,
        "from the invocation's start to the provider taking the message"
    );
}

/// The `Result` of a `Deliveries` count: how a row ended, or what the email provider said of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    Failed,
    Cancelled,
    Expired,
    Delivered,
    Bounced,
    SoftBounce,
    Complained,
    /// A critical text the SMS provider had not reported delivered within its kind's window.
    Unconfirmed,
}

impl DeliveryResult {
    pub const ALL: [DeliveryResult; 9] = [
        DeliveryResult::Sent,
        DeliveryResult::Failed,
        DeliveryResult::Cancelled,
        DeliveryResult::Expired,
        DeliveryResult::Delivered,
        DeliveryResult::Bounced,
        DeliveryResult::SoftBounce,
        DeliveryResult::Complained,
        DeliveryResult::Unconfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryResult::Sent => "sent",
            DeliveryResult::Failed => "failed",
            DeliveryResult::Cancelled => "cancelled",
            DeliveryResult::Expired => "expired",
            DeliveryResult::Delivered => "delivered",
            DeliveryResult::Bounced => "bounced",
            DeliveryResult::SoftBounce => "soft_bounce",
            DeliveryResult::Complained => "complained",
            DeliveryResult::Unconfirmed => "unconfirmed",
        }
    }

    /// A pending row withdrawn to `to`: expired when it was too late, else cancelled.
    pub fn withdrawn(to: DeliveryStatus) -> DeliveryResult {
        if to == DeliveryStatus::Expired {
            DeliveryResult::Expired
        } else {
            DeliveryResult::Cancelled
        }
    }
}

/// The `Class` of a `ProviderErrors` count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderErrorClass {
    /// The provider would not take the address (`SendResult::Unreachable`).
    Refused,
    /// The call failed and a retry may succeed.
    Retryable,
    /// The call failed and a retry would fail the same way.
    Permanent,
}

impl ProviderErrorClass {
    pub const ALL: [ProviderErrorClass; 3] = [
        ProviderErrorClass::Refused,
        ProviderErrorClass::Retryable,
        ProviderErrorClass::Permanent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderErrorClass::Refused => "refused",
            ProviderErrorClass::Retryable => "retryable",
            ProviderErrorClass::Permanent => "permanent",
        }
    }
}

thread_local! {
    /// When the current invocation started, if a function set it (`invocation_started`).
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Marks the start of an invocation, for `DecisionToProvider`.
pub fn invocation_started() {
    STARTED.with(|s| s.set(Some(Instant::now())));
}

pub(crate) fn decision(kind: DetailType, outcome: Outcome, why: Option<&Suppression>) {
    metrics::counter!(DECISIONS, "Kind" => kind.as_str(), "Outcome" => outcome.as_str()).increment(1);
    if outcome == Outcome::Suppressed {
        metrics::counter!(SUPPRESSIONS, "Reason" => suppression_class(why)).increment(1);
    }
}

pub(crate) fn delivery(channel: Channel, result: DeliveryResult) {
    metrics::counter!(DELIVERIES, "Channel" => channel.as_str(), "Result" => result.as_str()).increment(1);
}

/// A message the provider took: counted as sent, with how long it took since the invocation began.
pub(crate) fn sent(channel: Channel) {
    delivery(channel, DeliveryResult::Sent);
    if let Some(started) = STARTED.with(Cell::get) {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        metrics::histogram!(DECISION_TO_PROVIDER, "Channel" => channel.as_str()).record(ms);
    }
}

pub(crate) fn failover(from: Channel) {
    metrics::counter!(FAILOVERS, "Channel" => from.as_str()).increment(1);
}

pub(crate) fn lateness(send_at: Timestamp, fired: Timestamp) {
    let seconds = fired.duration_since(send_at).as_secs_f64().max(0.0);
    metrics::histogram!(SCHEDULE_LATENESS).record(seconds);
}

pub(crate) fn provider_error(service: Port, class: ProviderErrorClass) {
    metrics::counter!(PROVIDER_ERRORS, "Service" => service.as_str(), "Class" => class.as_str()).increment(1);
}

pub(crate) fn reply(intent: Intent) {
    metrics::counter!(REPLIES, "Intent" => intent.as_str()).increment(1);
}

pub(crate) fn event_rejected() {
    metrics::counter!(REJECTED_EVENTS).increment(1);
}

pub(crate) fn stuck(count: usize) {
    if count > 0 {
        metrics::counter!(STUCK_ROWS).increment(count as u64);
    }
}

/// The class of a suppression: one of a fixed set (`forewarn_core::policy::SUPPRESSION_CLASSES`),
/// so it can be a metric dimension; `other` for a suppressed input that says not why.
pub fn suppression_class(why: Option<&Suppression>) -> &'static str {
    why.map_or("other", Suppression::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suppressed_input_without_a_suppression_is_counted_in_a_known_class() {
        let class = suppression_class(None);
        assert_eq!(class, "other");
        assert!(forewarn_core::policy::SUPPRESSION_CLASSES.contains(&class));
    }

    #[test]
    fn delivery_results_are_the_words_the_dashboard_counts_each_once() {
        let words: Vec<&str> = DeliveryResult::ALL.iter().map(|r| r.as_str()).collect();
        let expected = [
            "sent",
            "failed",
            "cancelled",
            "expired",
            "delivered",
            "bounced",
            "soft_bounce",
            "complained",
            "unconfirmed",
        ];
        assert_eq!(words, expected);
    }

    #[test]
    fn provider_error_classes_are_refused_retryable_and_permanent() {
        let words: Vec<&str> = ProviderErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(words, ["refused", "retryable", "permanent"]);
    }

    #[test]
    fn a_withdrawn_row_is_expired_only_when_it_expired() {
        assert_eq!(
            DeliveryResult::withdrawn(DeliveryStatus::Expired),
            DeliveryResult::Expired
        );
        assert_eq!(
            DeliveryResult::withdrawn(DeliveryStatus::Cancelled),
            DeliveryResult::Cancelled
        );
    }

    #[test]
    fn email_feedback_results_have_the_words_of_its_outcomes() {
        let email_outcomes = [
            (DeliveryResult::Delivered, Outcome::Delivered),
            (DeliveryResult::Bounced, Outcome::Bounced),
            (DeliveryResult::SoftBounce, Outcome::SoftBounce),
            (DeliveryResult::Complained, Outcome::Complained),
        ];
        for (result, outcome) in email_outcomes {
            assert_eq!(result.as_str(), outcome.as_str());
        }
    }
}
