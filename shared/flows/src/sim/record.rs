//! The simulator's output: one line per decision, delivery, cancellation and reply.

use forewarn_core::customer::Customer;
use forewarn_core::policy::Intrusion;
use jiff::Timestamp;
use serde::Serialize;

/// A line of the timeline (`--format json` prints one per line).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Decision {
        event_id: Option<String>,
        detail_type: Option<String>,
        customer_id: Option<String>,
        outcome: &'static str,
        send_at: Option<Timestamp>,
        channels: Vec<&'static str>,
        reasons: Vec<String>,
        #[serde(skip)]
        at: Timestamp,
    },
    Delivery {
        event_id: String,
        customer_id: String,
        channel: &'static str,
        device_id: Option<String>,
        sent_at: Timestamp,
        local_time: String,
        to: String,
        subject: Option<String>,
        body: String,
        expects_reply: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reminder: bool,
        /// A push sent as a passive one (breaking quiet hours for a deadline); absent when normal.
        #[serde(skip_serializing_if = "Intrusion::is_normal")]
        intrusion: Intrusion,
    },
    /// An inbound SMS and what forewarn did with it.
    Reply {
        reply_id: String,
        customer_id: Option<String>,
        from: String,
        intent: &'static str,
        outcome: &'static str,
        /// The text sent back; none when nothing was sent.
        answer: Option<String>,
        reasons: Vec<String>,
        at: Timestamp,
    },
    Cancelled {
        event_id: String,
        customer_id: String,
        /// The event that cancelled it; none when dispatch found it no longer allowed.
        by_event_id: Option<String>,
        reason: String,
        #[serde(skip)]
        at: Timestamp,
    },
}

impl Record {
    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Record::Decision { customer_id, .. } => customer_id.as_deref(),
            Record::Delivery { customer_id, .. } | Record::Cancelled { customer_id, .. } => Some(customer_id),
            Record::Reply { customer_id, .. } => customer_id.as_deref(),
        }
    }
    /// When the line happened on the virtual clock.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Decision { at, .. } | Record::Cancelled { at, .. } | Record::Reply { at, .. } => *at,
            Record::Delivery { sent_at, .. } => *sent_at,
        }
    }
}

/// The zone a customer's timeline is shown in, and its name.
pub fn display_zone(c: Option<&Customer>) -> (jiff::tz::TimeZone, String) {
    let zone = c.map(|c| c.zone.primary()).unwrap_or(jiff::tz::TimeZone::UTC);
    let name = zone.iana_name().unwrap_or("UTC").to_owned();
    (zone, name)
}
