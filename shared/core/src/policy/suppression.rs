//! Why nothing is sent: one variant per way a decision or a flow stays silent, worded for people and classed for metrics.

use std::fmt;

use jiff::Timestamp;

use crate::customer::QuietHours;
use crate::policy::DeliveryStatus;
use crate::policy::preferences::Mute;
use crate::types::Id;

/// Why an input sends nothing. `Display` gives the sentence a support agent reads (the last
/// of the decision's reasons); `as_str` the bounded class the `Suppressions` metric counts.
#[derive(Clone, Debug, PartialEq)]
pub enum Suppression {
    /// The event names a customer with no profile.
    UnknownCustomer { customer_id: Id },
    /// A `CustomerActivity` for a customer with no (readable) profile.
    NothingLearned,
    /// The event was processed before (at-least-once delivery).
    Duplicate { event_id: Id },
    /// Another invocation holds the event's claim.
    ClaimedElsewhere { event_id: Id },
    /// The activity session was counted before.
    SessionCounted { session_id: Id },
    /// A fired schedule found its delivery already out of `scheduled`.
    DeliveryDone { status: DeliveryStatus },
    /// Another dispatch or a cancellation took the delivery first.
    DeliveryTaken,
    /// A resolving event for the subject happened at or after this notice.
    AlreadyResolved {
        detail_type: String,
        event_id: Id,
        at: Timestamp,
    },
    /// `Repeat::Window`: the same subject was pending or notified within the window.
    RepeatWithin {
        label: String,
        pending: bool,
        hours: i64,
        earlier: Id,
    },
    /// `Repeat::Once`: the subject was raised before.
    RaisedBefore { label: String, earlier: Id },
    /// `Repeat::Latest`: a newer update of the subject was handled.
    Stale { update: String, word: String, newer: Id },
    /// The customer's daily cap of normal and low messages is reached; `at` is the send time
    /// in the customer's words.
    Cap { count: usize, at: String, limit: usize },
    /// No channel in the order can reach the customer.
    NoChannel { order: String, whose: &'static str },
    /// The flight left already; `departure` in the customer's words.
    Departed { departure: String },
    /// What the message is about expired; `at` in the customer's words.
    Expired { what: String, at: String },
    /// What the message is about was due already; `at` in the customer's words.
    Overdue { what: String, at: String },
    /// Quiet hours leave no moment in every zone within 48 h.
    NoMoment { quiet: QuietHours },
    /// Quiet hours leave no moment before the notice stops mattering (`deadline`, in words),
    /// and that deadline is not one to break them for.
    NoMomentBefore { quiet: QuietHours, deadline: String },
    /// The customer turned the kind off, by itself or by its category (a non-critical kind).
    Muted { kind: String, by: Mute },
}

impl Suppression {
    /// The metric class: one of a fixed set, so it can be a metric dimension.
    pub fn as_str(&self) -> &'static str {
        match self {
            Suppression::UnknownCustomer { .. } | Suppression::NothingLearned => "unknown_customer",
            Suppression::Duplicate { .. }
            | Suppression::ClaimedElsewhere { .. }
            | Suppression::SessionCounted { .. }
            | Suppression::DeliveryDone { .. }
            | Suppression::DeliveryTaken => "duplicate",
            Suppression::AlreadyResolved { .. } => "resolved",
            Suppression::RepeatWithin { .. } | Suppression::RaisedBefore { .. } | Suppression::Stale { .. } => "repeat",
            Suppression::Cap { .. } => "cap",
            Suppression::NoChannel { .. } => "no_channel",
            Suppression::Departed { .. } | Suppression::Expired { .. } | Suppression::Overdue { .. } => "too_late",
            Suppression::NoMoment { .. } | Suppression::NoMomentBefore { .. } => "no_moment",
            Suppression::Muted { .. } => "muted",
        }
    }

    /// For `Muted`, what the customer turned off, in words: `ApplicationIncomplete reminders`
    /// or `the applications category`; empty for the others.
    pub fn what(&self) -> String {
        match self {
            Suppression::Muted { kind, by: Mute::Kind } => format!("{kind} reminders"),
            Suppression::Muted {
                by: Mute::Category(c), ..
            } => format!("the {c} category"),
            _ => String::new(),
        }
    }
}

impl fmt::Display for Suppression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Suppression::UnknownCustomer { customer_id } => {
                write!(f, "unknown customer {customer_id}: no profile, nothing sent")
            }
            Suppression::NothingLearned => f.write_str("unknown customer: nothing learned"),
            Suppression::Duplicate { event_id } => write!(f, "duplicate: event {event_id} was already processed"),
            Suppression::ClaimedElsewhere { event_id } => {
                write!(f, "duplicate: event {event_id} is claimed by another invocation")
            }
            Suppression::SessionCounted { session_id } => {
                write!(f, "duplicate: session {session_id} was already counted")
            }
            Suppression::DeliveryDone { status } => write!(f, "the delivery is {status:?} already: nothing to send"),
            Suppression::DeliveryTaken => f.write_str("another dispatch or a cancellation got to the delivery first"),
            Suppression::AlreadyResolved {
                detail_type,
                event_id,
                at,
            } => write!(
                f,
                "already resolved: {detail_type} {event_id} happened at {at}, before this notice arrived"
            ),
            Suppression::RepeatWithin {
                label,
                pending,
                hours,
                earlier,
            } => {
                let status = if *pending { "pending" } else { "notified" };
                write!(
                    f,
                    "{label} was already {status} in the last {hours} h (event {earlier})"
                )
            }
            Suppression::RaisedBefore { label, earlier } => {
                write!(f, "{label} was already raised with the customer (event {earlier})")
            }
            Suppression::Stale { update, word, newer } => {
                write!(
                    f,
                    "stale: a newer {update} for this {word} ({newer}) was already handled"
                )
            }
            Suppression::Cap { count, at, limit } => write!(
                f,
                "frequency cap: {count} normal/low messages already within 24 h of {at} (limit {limit})"
            ),
            Suppression::NoChannel { order, whose } => {
                write!(f, "suppressed: no reachable channel among {order} ({whose})")
            }
            Suppression::Departed { departure } => {
                write!(
                    f,
                    "suppressed: too late, the flight was estimated to leave at {departure}"
                )
            }
            Suppression::Expired { what, at } => write!(f, "suppressed: {what} expired at {at}"),
            Suppression::Overdue { what, at } => write!(f, "suppressed: too late, {what} was due {at}"),
            Suppression::NoMomentBefore { quiet, deadline } => {
                write!(f, "suppressed: no moment outside quiet hours {quiet} before {deadline}")
            }
            Suppression::NoMoment { quiet } => {
                write!(
                    f,
                    "suppressed: no moment outside quiet hours {quiet} in every zone within 48 h"
                )
            }
            Suppression::Muted { .. } => write!(f, "the customer turned off {}", self.what()),
        }
    }
}

/// The metric classes a suppression may have, and `other` for a suppressed input that names none.
pub const CLASSES: [&str; 10] = [
    "unknown_customer",
    "duplicate",
    "resolved",
    "cap",
    "repeat",
    "no_channel",
    "too_late",
    "no_moment",
    "muted",
    "other",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    /// Every variant, with the class the metric must count it as.
    fn every() -> Vec<(Suppression, &'static str)> {
        let when = || "Mon 12:00 WET".to_owned();
        vec![
            (
                Suppression::UnknownCustomer { customer_id: id("c-9") },
                "unknown_customer",
            ),
            (Suppression::NothingLearned, "unknown_customer"),
            (Suppression::Duplicate { event_id: id("e-1") }, "duplicate"),
            (Suppression::ClaimedElsewhere { event_id: id("e-1") }, "duplicate"),
            (Suppression::SessionCounted { session_id: id("s-1") }, "duplicate"),
            (
                Suppression::DeliveryDone {
                    status: DeliveryStatus::Sent,
                },
                "duplicate",
            ),
            (Suppression::DeliveryTaken, "duplicate"),
            (
                Suppression::AlreadyResolved {
                    detail_type: "BalanceRestored".into(),
                    event_id: id("br"),
                    at: "2026-11-23T12:05:00Z".parse().unwrap(),
                },
                "resolved",
            ),
            (
                Suppression::RepeatWithin {
                    label: "account a".into(),
                    pending: true,
                    hours: 24,
                    earlier: id("lb1"),
                },
                "repeat",
            ),
            (
                Suppression::RaisedBefore {
                    label: "payment p".into(),
                    earlier: id("pd1"),
                },
                "repeat",
            ),
            (
                Suppression::Stale {
                    update: "delay".into(),
                    word: "flight".into(),
                    newer: id("fd2"),
                },
                "repeat",
            ),
            (
                Suppression::Cap {
                    count: 2,
                    at: when(),
                    limit: 2,
                },
                "cap",
            ),
            (
                Suppression::NoChannel {
                    order: "sms → push".into(),
                    whose: "the default",
                },
                "no_channel",
            ),
            (Suppression::Departed { departure: when() }, "too_late"),
            (
                Suppression::Expired {
                    what: "the application".into(),
                    at: when(),
                },
                "too_late",
            ),
            (
                Suppression::Overdue {
                    what: "the payment".into(),
                    at: when(),
                },
                "too_late",
            ),
            (
                Suppression::NoMoment {
                    quiet: QuietHours::DEFAULT,
                },
                "no_moment",
            ),
            (
                Suppression::NoMomentBefore {
                    quiet: QuietHours::DEFAULT,
                    deadline: "the notice stops mattering Mon 12:00 WET, a day after the event".into(),
                },
                "no_moment",
            ),
            (
                Suppression::Muted {
                    kind: "ApplicationIncomplete".into(),
                    by: Mute::Kind,
                },
                "muted",
            ),
            (
                Suppression::Muted {
                    kind: "ApplicationIncomplete".into(),
                    by: Mute::Category(crate::customer::Category::parse("applications").unwrap()),
                },
                "muted",
            ),
        ]
    }

    #[test]
    fn every_suppression_is_counted_in_the_class_of_its_path() {
        for (s, class) in every() {
            assert_eq!(s.as_str(), class, "{s:?}");
            assert!(CLASSES.contains(&class), "{class} is not a known class");
        }
    }

    #[test]
    fn every_class_but_other_counts_some_suppression() {
        let all = every();
        for class in CLASSES.iter().filter(|c| **c != "other") {
            assert!(
                all.iter().any(|(s, _)| s.as_str() == *class),
                "nothing is counted as {class}"
            );
        }
        assert!(all.iter().all(|(s, _)| s.as_str() != "other"));
    }

    #[test]
    fn no_two_suppressions_read_the_same() {
        let all: Vec<String> = every().iter().map(|(s, _)| s.to_string()).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{a} twice");
        }
    }

    #[test]
    fn a_suppression_reads_as_the_sentence_the_decision_gives() {
        let s = Suppression::RepeatWithin {
            label: "account a".into(),
            pending: false,
            hours: 24,
            earlier: id("lb1"),
        };
        assert_eq!(
            s.to_string(),
            "account a was already notified in the last 24 h (event lb1)"
        );
        assert_eq!(
            Suppression::UnknownCustomer { customer_id: id("c-9") }.to_string(),
            "unknown customer c-9: no profile, nothing sent"
        );
        assert_eq!(
            Suppression::NoMoment {
                quiet: QuietHours::DEFAULT
            }
            .to_string(),
            "suppressed: no moment outside quiet hours 21:00–08:00 in every zone within 48 h"
        );
        let muted = Suppression::Muted {
            kind: "PaymentDue".into(),
            by: Mute::Kind,
        };
        assert_eq!(muted.to_string(), "the customer turned off PaymentDue reminders");
    }
}
