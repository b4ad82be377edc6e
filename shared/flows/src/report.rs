//! What a flow did, for the function's response, the simulator and the tests; and the
//! outcome events built from delivery rows.

use forewarn_core::customer::Channel;
use forewarn_core::events::DetailType;
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::policy::Suppression;
use forewarn_core::types::Id;
use jiff::Timestamp;
use serde::Serialize;

use crate::records::StoredDelivery;

/// What one invocation of a flow did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub outcome: Outcome,
    /// The customer the input was about, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Id>,
    /// When the decided messages go out (a decision that sends or schedules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_at: Option<Timestamp>,
    /// The channels decided, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Sentences a support agent can read.
    pub reasons: Vec<String>,
    pub sent: usize,
    pub scheduled: usize,
    pub cancelled: usize,
    /// The input was handled before: nothing was done again.
    pub duplicate: bool,
    /// Why nothing was sent, when a decision or the flow suppressed the input (its last reason).
    #[serde(skip)]
    pub suppression: Option<Suppression>,
}

impl Report {
    /// A report of `outcome` with `reasons`.
    pub fn of(outcome: Outcome, reasons: Vec<String>) -> Report {
        Report {
            outcome,
            reasons,
            ..Report::default()
        }
    }
    /// An input suppressed: nothing is done, for `why`.
    pub fn suppressed(why: Suppression) -> Report {
        Report {
            reasons: vec![why.to_string()],
            suppression: Some(why),
            ..Report::default()
        }
    }
    /// An input handled before.
    pub fn duplicate(why: Suppression) -> Report {
        Report {
            duplicate: true,
            ..Report::suppressed(why)
        }
    }
}

/// The outcome event of `kind` about one delivery row.
pub fn row_outcome(kind: OutcomeType, row: &StoredDelivery, at: Timestamp) -> OutcomeEvent {
    let mut o = OutcomeEvent::new(kind, row.record.event_id.as_str(), row.customer_id.as_str(), at);
    o.source_detail_type = Some(row.record.detail_type.to_string());
    o.channel = Some(row.record.channel);
    o.device_id = row.device_id.as_ref().map(Id::to_string);
    o.to = row.address.to_destination().ok().map(|d| d.masked());
    o.send_at = Some(row.record.send_at.to_string());
    o.provider_message_id = row.provider_message_id.clone();
    o.reminder = row.reminder;
    o.reasons = row.reasons.clone();
    if let Some(f) = &row.failure {
        o.reasons.push(f.clone());
    }
    o
}

/// `DeviceDisabled`: push to this device stops.
pub fn device_disabled(
    event_id: &Id,
    source: DetailType,
    cid: &Id,
    device: &Id,
    why: &str,
    now: Timestamp,
) -> OutcomeEvent {
    let mut o = OutcomeEvent::new(OutcomeType::DeviceDisabled, event_id.as_str(), cid.as_str(), now);
    o.source_detail_type = Some(source.to_string());
    o.device_id = Some(device.to_string());
    o.channel = Some(Channel::Push);
    o.reasons = vec![format!("push to this device stops: {why}")];
    o
}
