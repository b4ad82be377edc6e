//! The simulator's inputs: business events, inbound SMS, and what could not be read.

use forewarn_core::conversation::{InboundSms, parse_inbound_sms};
use forewarn_core::events::{Event, EventError};
use forewarn_core::time_fault::why_not_a_time;
use forewarn_core::unique_keys::check_unique_keys;
use jiff::Timestamp;

/// The `detail-type` the simulator gives an inbound SMS.
pub const INBOUND_SMS: &str = "InboundSms";

/// One input to the simulation: a parsed event, an inbound SMS, or a rejected input with
/// what could be read of it.
pub enum Input {
    Event(Box<Event>),
    /// An inbound SMS: `{"detail-type": "InboundSms", "time": …, "detail": {<End User Messaging JSON>}}`.
    Reply {
        time: Timestamp,
        sms: Box<InboundSms>,
    },
    Rejected {
        event_id: Option<String>,
        detail_type: Option<String>,
        customer_id: Option<String>,
        time: Option<Timestamp>,
        error: EventError,
    },
}

impl Input {
    /// Parses one event's JSON; a fault becomes a `Rejected` input, never a panic.
    pub fn from_json(json: &str) -> Input {
        if let Some(input) = Input::inbound_sms(json) {
            return input;
        }
        match forewarn_core::events::parse_event(json) {
            Ok(e) => Input::Event(Box::new(e)),
            Err(error) => {
                let v: Option<serde_json::Value> = serde_json::from_str(json).ok();
                let field = |k: &str| {
                    v.as_ref()
                        .and_then(|v| v.get(k))
                        .and_then(|x| x.as_str())
                        .map(str::to_owned)
                };
                let customer_id = v
                    .as_ref()
                    .and_then(|v| v.get("detail")?.get("customer_id")?.as_str().map(str::to_owned));
                Input::Rejected {
                    event_id: field("id"),
                    detail_type: field("detail-type"),
                    customer_id,
                    time: field("time").and_then(|t| t.parse().ok()),
                    error,
                }
            }
        }
    }

    /// An input that could not be read at all (a file that is not UTF-8): nothing of it is known.
    pub fn unreadable(error: EventError) -> Input {
        Input::Rejected {
            event_id: None,
            detail_type: None,
            customer_id: None,
            time: None,
            error,
        }
    }

    /// This input rejected for `error`, keeping what could be read of it (its id, kind,
    /// customer and time) so the timeline can still place it.
    pub fn rejected_as(self, error: EventError) -> Input {
        match self {
            Input::Event(e) => Input::Rejected {
                event_id: Some(e.id.to_string()),
                detail_type: Some(e.detail_type().as_str().to_owned()),
                customer_id: Some(e.detail.customer_id().to_string()),
                time: Some(e.time.0),
                error,
            },
            Input::Reply { time, .. } => Input::Rejected {
                event_id: None,
                detail_type: Some(INBOUND_SMS.to_owned()),
                customer_id: None,
                time: Some(time),
                error,
            },
            Input::Rejected {
                event_id,
                detail_type,
                customer_id,
                time,
                ..
            } => Input::Rejected {
                event_id,
                detail_type,
                customer_id,
                time,
                error,
            },
        }
    }

    /// The simulator's stand-in for an SMS arriving through SNS.
    fn inbound_sms(json: &str) -> Option<Input> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        if v.get("detail-type")?.as_str()? != INBOUND_SMS {
            return None;
        }
        let rejected = |error: EventError| Input::Rejected {
            event_id: v.get("id").and_then(|i| i.as_str()).map(str::to_owned),
            detail_type: Some(INBOUND_SMS.into()),
            customer_id: None,
            time: v.get("time").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()),
            error,
        };
        if let Err(e) = check_unique_keys(json) {
            return Some(rejected(e));
        }
        let Some(text) = v.get("time").and_then(|t| t.as_str()) else {
            return Some(rejected(EventError::new("time", "required: an RFC 3339 time as text")));
        };
        let Ok(time) = text.parse() else {
            return Some(rejected(EventError::new("time", why_not_a_time(text))));
        };
        let detail = v.get("detail").map(|d| d.to_string()).unwrap_or_default();
        Some(match parse_inbound_sms(&detail) {
            Ok(sms) => Input::Reply {
                time,
                sms: Box::new(sms),
            },
            Err(e) => rejected(EventError::new(format!("detail.{}", e.path), e.reason)),
        })
    }

    pub(crate) fn time(&self) -> Option<Timestamp> {
        match self {
            Input::Event(e) => Some(e.time.0),
            Input::Reply { time, .. } => Some(*time),
            Input::Rejected { time, .. } => *time,
        }
    }
}
