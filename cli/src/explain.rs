//! `forewarn explain`: what forewarn decided for one customer, what is pending, and why, in their local time.

mod state;
mod text;

use std::fmt;

use forewarn_aws::dynamo::CustomerRecord;
use forewarn_core::customer::{Channel, Customer};
use forewarn_core::types::Id;
use forewarn_flows::records::{Address, Claim, StoredDelivery};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use serde::{Serialize, Serializer};

pub use state::State;
pub use text::write;

/// Why there is nothing to explain; each names the option at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("--customer {0:?}: {1}")]
    BadCustomerId(String, String),
    #[error("--event {0:?}: {1}")]
    BadEventId(String, String),
    #[error("--customer {id}: no such customer (the table holds no profile for it{})", recorded(*.claims))]
    UnknownCustomer { id: Id, claims: usize },
    /// The customer was erased: the table keeps only the erasure's marker, shown here.
    #[error("--customer {id}: erased as of {kept}")]
    Erased { id: Id, kept: String },
    #[error("--customer {id}: the stored profile cannot be read: {why}")]
    BadProfile { id: Id, why: String },
    #[error("--event {event}: customer {id} has no decision, delivery or resolution of this event")]
    UnknownEvent { id: Id, event: Id },
}

/// What an erasure left, in words: its time, event, reference and what it removed; no personal data.
fn erasure_kept(e: &forewarn_flows::context::Erasure) -> String {
    let reference = e
        .reference
        .as_ref()
        .map(|r| format!(", reference {r}"))
        .unwrap_or_default();
    let removed: Vec<String> = e.removed.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    format!(
        "{} (event {}{reference}); forewarn keeps only this marker, with no personal data; it removed {}",
        e.stamp.at,
        e.stamp.event_id,
        if removed.is_empty() {
            "nothing".to_owned()
        } else {
            removed.join(", ")
        }
    )
}

fn recorded(claims: usize) -> String {
    match claims {
        0 => String::new(),
        n => format!("; {n} decisions are recorded for the id"),
    }
}

/// An instant in the customer's zone: `Mon 23 Nov 13:00` as text, RFC 3339 with the offset in JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalTime(Zoned);

impl LocalTime {
    pub fn new(t: Timestamp, zone: &TimeZone) -> LocalTime {
        LocalTime(t.to_zoned(zone.clone()))
    }
    pub fn timestamp(&self) -> Timestamp {
        self.0.timestamp()
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%a %d %b %H:%M"))
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.strftime("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

/// Everything `explain` shows, with no address but masked ones.
#[derive(Debug, Serialize)]
pub struct Report {
    pub customer_id: String,
    /// The `--event` the report is narrowed to.
    pub event_id: Option<String>,
    pub now: LocalTime,
    pub state: State,
    /// Rows still to go out, soonest first.
    pub pending: Vec<DeliveryLine>,
    /// Newest first.
    pub decisions: Vec<DecisionLine>,
    /// Newest first, by send time.
    pub deliveries: Vec<DeliveryLine>,
    pub resolutions: Vec<ResolutionLine>,
}

#[derive(Debug, Serialize)]
pub struct DecisionLine {
    pub event_id: String,
    pub detail_type: Option<String>,
    /// The event's time (its envelope's `time`).
    pub at: Option<LocalTime>,
    /// When forewarn recorded the outcome events; none while in progress.
    pub decided_at: Option<LocalTime>,
    pub outcome: String,
    pub completed: bool,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DeliveryLine {
    pub event_id: String,
    pub detail_type: String,
    pub channel: Channel,
    pub device_id: Option<String>,
    pub reminder: bool,
    /// Masked destination.
    pub to: String,
    pub status: &'static str,
    pub send_at: LocalTime,
    /// `in 2 h 45 min`, `3 min ago`: for pending rows.
    pub due: Option<String>,
    pub delivered_at: Option<LocalTime>,
    pub failure: Option<String>,
    pub cancelled_by: Option<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ResolutionLine {
    pub event_id: String,
    pub detail_type: String,
    pub at: LocalTime,
}

/// Builds the report of `record` (the customer `id`'s partition) at `now`, narrowed to
/// `event` if given.
pub fn report(id: &Id, record: &CustomerRecord, event: Option<&Id>, now: Timestamp) -> Result<Report, ExplainError> {
    let Some(profile) = &record.partition.profile else {
        if let Some(e) = &record.erasure {
            return Err(ExplainError::Erased {
                id: id.clone(),
                kept: erasure_kept(e),
            });
        }
        return Err(ExplainError::UnknownCustomer {
            id: id.clone(),
            claims: record.claims.len(),
        });
    };
    let customer = Customer::from_profile(profile).map_err(|e| ExplainError::BadProfile {
        id: id.clone(),
        why: e.to_string(),
    })?;
    let zone = customer.zone.primary();
    let wanted = |e: &Id| event.is_none_or(|x| x == e);
    let mut decisions: Vec<DecisionLine> = record
        .claims
        .iter()
        .filter(|c| wanted(&c.event_id))
        .map(|c| decision(c, &zone))
        .collect();
    decisions.sort_by_key(|d| std::cmp::Reverse(d.at.as_ref().or(d.decided_at.as_ref()).map(LocalTime::timestamp)));
    let rows = &record.partition.deliveries;
    let mut deliveries: Vec<DeliveryLine> = rows
        .iter()
        .filter(|r| wanted(&r.record.event_id) || r.cancelled_by.as_ref().is_some_and(|b| event == Some(b)))
        .map(|r| delivery(r, &zone, now))
        .collect();
    deliveries.sort_by_key(|d| std::cmp::Reverse(d.send_at.timestamp()));
    let mut pending: Vec<DeliveryLine> = rows
        .iter()
        .filter(|r| r.record.is_pending() && wanted(&r.record.event_id))
        .map(|r| delivery(r, &zone, now))
        .collect();
    pending.sort_by_key(|d| d.send_at.timestamp());
    let resolutions: Vec<ResolutionLine> = record
        .partition
        .resolutions
        .iter()
        .filter(|r| wanted(&r.event_id))
        .map(|r| ResolutionLine {
            event_id: r.event_id.to_string(),
            detail_type: r.detail_type.clone(),
            at: LocalTime::new(r.at, &zone),
        })
        .collect();
    if let Some(e) = event
        && decisions.is_empty()
        && deliveries.is_empty()
        && resolutions.is_empty()
    {
        return Err(ExplainError::UnknownEvent {
            id: id.clone(),
            event: e.clone(),
        });
    }
    Ok(Report {
        customer_id: id.to_string(),
        event_id: event.map(Id::to_string),
        now: LocalTime::new(now, &zone),
        state: state::state(profile, &customer, record, now),
        pending,
        decisions,
        deliveries,
        resolutions,
    })
}

/// One claim: the event's type and time from the envelope it keeps (never its detail).
fn decision(c: &Claim, zone: &TimeZone) -> DecisionLine {
    let envelope = c.event.as_ref();
    let field = |k: &str| envelope.and_then(|e| e.get(k)).and_then(|v| v.as_str());
    let detail_type = field("detail-type")
        .map(str::to_owned)
        .or_else(|| c.outcomes.iter().find_map(|o| o.event.source_detail_type.clone()));
    let at = field("time").and_then(|t| t.parse::<Timestamp>().ok());
    let decided = c.outcomes.iter().find_map(|o| o.event.at.parse::<Timestamp>().ok());
    DecisionLine {
        event_id: c.event_id.to_string(),
        detail_type,
        at: at.map(|t| LocalTime::new(t, zone)),
        decided_at: decided.map(|t| LocalTime::new(t, zone)),
        outcome: c.outcome.as_str().to_owned(),
        completed: c.completed,
        reasons: c.reasons.clone(),
    }
}

/// Masks a stored address with the core's masking; one that does not parse is not shown.
fn masked(a: &Address) -> String {
    a.to_destination()
        .map(|d| d.masked())
        .unwrap_or_else(|_| "(unreadable address)".into())
}

fn delivery(r: &StoredDelivery, zone: &TimeZone, now: Timestamp) -> DeliveryLine {
    DeliveryLine {
        event_id: r.record.event_id.to_string(),
        detail_type: r.record.detail_type.as_str().to_owned(),
        channel: r.record.channel,
        device_id: r.device_id.as_ref().map(Id::to_string),
        reminder: r.reminder,
        to: masked(&r.address),
        status: status(r),
        send_at: LocalTime::new(r.record.send_at, zone),
        due: r.record.is_pending().then(|| relative(now, r.record.send_at)),
        delivered_at: r.delivered_at.map(|t| LocalTime::new(t, zone)),
        failure: r.failure.clone(),
        cancelled_by: r.cancelled_by.as_ref().map(Id::to_string),
        reasons: r.reasons.clone(),
    }
}

fn status(r: &StoredDelivery) -> &'static str {
    use forewarn_core::policy::DeliveryStatus as S;
    match r.record.status {
        S::Scheduled => "scheduled",
        S::Sending => "sending",
        S::Sent => "sent",
        S::Cancelled => "cancelled",
        S::Failed => "failed",
        S::Expired => "expired",
    }
}

/// `in 2 h 45 min`, `in 5 min`, `now`, `3 h 10 min ago`.
pub fn relative(now: Timestamp, t: Timestamp) -> String {
    let d = t.duration_since(now);
    let minutes = d.abs().as_secs() / 60;
    let words = match (minutes / 60, minutes % 60) {
        (0, 0) => return "now".into(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    if d > SignedDuration::ZERO {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

#[cfg(test)]
mod tests;
