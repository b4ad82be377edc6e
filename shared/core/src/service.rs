//! The function flows — notify, dispatch, resolve — over small port traits. No SDK here:
//! adapters implement the ports; the Lambda functions wire them together.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::customer::{Channel, Customer, CustomerProfile, EmailAddress, PhoneNumber};
use crate::engine::{Destination, Engine};
use crate::events::Event;
use crate::messages::Message;
use crate::policy::{Context, DeliveryRecord, DeliveryStatus, Urgency};
use crate::types::Id;

/// How long an unfinished claim blocks a concurrent duplicate before a retry may take over.
pub const CLAIM_LEASE_SECONDS: i64 = 60;
/// How long claims and delivery rows are kept (DynamoDB TTL).
pub const RETENTION_DAYS: i64 = 30;

/// A port failed; `retryable` tells Lambda whether trying again can help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{port}: {message}")]
pub struct PortError {
    pub port: &'static str,
    pub message: String,
    pub retryable: bool,
}

impl PortError {
    pub fn retryable(port: &'static str, message: impl Into<String>) -> Self {
        PortError {
            port,
            message: message.into(),
            retryable: true,
        }
    }
    pub fn permanent(port: &'static str, message: impl Into<String>) -> Self {
        PortError {
            port,
            message: message.into(),
            retryable: false,
        }
    }
}

/// The idempotency claim of one event, kept in the customer's partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub event_id: Id,
    pub completed: bool,
    /// While not completed, a duplicate before this instant waits; after it, it takes over.
    pub lease_until: Timestamp,
    /// The recorded outcome (`send_now`, `scheduled`, `suppressed`, …) and its reasons.
    pub outcome: String,
    pub reasons: Vec<String>,
}

/// Where a stored delivery goes, in the clear: it lives only in the table, never in logs.
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
    /// Parses back into a checked destination (the table is outside input too).
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
}

impl StoredDelivery {
    /// The row's sort key: `DELIVERY#<subject>#<event_id>#<channel>`.
    pub fn sort_key(&self) -> String {
        delivery_sort_key(&self.record.subject, &self.record.event_id, self.record.channel)
    }
    /// The EventBridge Scheduler schedule name for this row (≤ 64 chars, `[0-9a-zA-Z-_.]`).
    pub fn schedule_name(&self) -> String {
        schedule_name(&self.customer_id, &self.sort_key())
    }
}

pub fn delivery_sort_key(subject: &str, event_id: &Id, channel: Channel) -> String {
    format!("DELIVERY#{subject}#{event_id}#{channel}")
}

/// A stable, valid schedule name derived from the delivery's key.
pub fn schedule_name(customer_id: &Id, sort_key: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in customer_id.as_str().bytes().chain([0]).chain(sort_key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fw-{h:016x}")
}

/// Everything in one customer's partition that the flows need: one read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partition {
    pub profile: Option<CustomerProfile>,
    pub deliveries: Vec<StoredDelivery>,
    pub claim: Option<Claim>,
}

/// The write that claims an event and records its decision, atomically.
#[derive(Clone, Debug, PartialEq)]
pub struct Commit {
    pub customer_id: Id,
    pub claim: Claim,
    /// A claim whose lease ran out is taken over instead of created.
    pub take_over: bool,
    pub new_rows: Vec<StoredDelivery>,
    /// Scheduled rows to cancel (only if still scheduled).
    pub cancel: Vec<StoredDelivery>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitResult {
    Committed,
    /// Another invocation holds or completed the claim.
    AlreadyClaimed,
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

pub trait Store {
    /// One read: profile, devices, deliveries and this event's claim.
    fn load(&self, customer_id: &Id, event_id: &Id) -> impl Future<Output = Result<Partition, PortError>>;
    /// One write: the claim and the decision's rows, or `AlreadyClaimed`.
    fn commit(&self, commit: &Commit) -> impl Future<Output = Result<CommitResult, PortError>>;
    /// One write after the effects: sent rows to their final state and the claim completed.
    fn finish(
        &self,
        customer_id: &Id,
        claim: &Claim,
        rows: &[StoredDelivery],
    ) -> impl Future<Output = Result<(), PortError>>;
    /// One row by key.
    fn delivery(
        &self,
        customer_id: &Id,
        sort_key: &str,
    ) -> impl Future<Output = Result<Option<StoredDelivery>, PortError>>;
    /// Moves a row from `from` to `row.record.status` if it is still in `from`; false otherwise.
    fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> impl Future<Output = Result<bool, PortError>>;
}

pub trait Sender {
    fn send(&self, to: &Destination, message: &StoredMessage) -> impl Future<Output = Result<SendResult, PortError>>;
}

pub trait Scheduler {
    /// Creates a one-time schedule that invokes dispatch with `request` at `at`; an existing
    /// schedule of the same name counts as created.
    fn create(
        &self,
        name: &str,
        at: Timestamp,
        request: &DispatchRequest,
    ) -> impl Future<Output = Result<(), PortError>>;
    /// Deletes a schedule; a missing one counts as deleted.
    fn delete(&self, name: &str) -> impl Future<Output = Result<(), PortError>>;
}

pub trait Bus {
    /// Puts every outcome on the bus, retrying or failing on any entry that did not go.
    fn publish(&self, outcomes: &[OutcomeEvent]) -> impl Future<Output = Result<(), PortError>>;
}

/// What a schedule hands to dispatch: the delivery's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DispatchRequest {
    pub customer_id: String,
    pub delivery_key: String,
}

/// Outcome events forewarn puts on the bus (source `forewarn`): ids, channel, times and
/// reasons; never an address or a message body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Masked destination, e.g. `+35191*****78`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_at: Option<String>,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_event_id: Option<String>,
    pub reasons: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum OutcomeType {
    NotificationScheduled,
    #[default]
    NotificationSent,
    NotificationSuppressed,
    NotificationCancelled,
    NotificationFailed,
}

impl OutcomeType {
    pub const ALL: [OutcomeType; 5] = [
        OutcomeType::NotificationScheduled,
        OutcomeType::NotificationSent,
        OutcomeType::NotificationSuppressed,
        OutcomeType::NotificationCancelled,
        OutcomeType::NotificationFailed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeType::NotificationScheduled => "NotificationScheduled",
            OutcomeType::NotificationSent => "NotificationSent",
            OutcomeType::NotificationSuppressed => "NotificationSuppressed",
            OutcomeType::NotificationCancelled => "NotificationCancelled",
            OutcomeType::NotificationFailed => "NotificationFailed",
        }
    }
}

/// The ports and the engine, wired once per process.
pub struct Service<St, Se, Sc, B> {
    pub engine: Engine,
    pub store: St,
    pub sender: Se,
    pub scheduler: Sc,
    pub bus: B,
}

/// What a flow did, for the function's response and the tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub outcome: String,
    pub sent: usize,
    pub scheduled: usize,
    pub cancelled: usize,
    pub duplicate: bool,
}

fn outcome_of(kind: OutcomeType, event_id: &Id, customer_id: &Id, at: Timestamp) -> OutcomeEvent {
    OutcomeEvent {
        detail_type: kind,
        event_id: event_id.to_string(),
        customer_id: customer_id.to_string(),
        source_detail_type: None,
        channel: None,
        device_id: None,
        to: None,
        send_at: None,
        at: at.to_string(),
        provider_message_id: None,
        by_event_id: None,
        reasons: vec![],
    }
}

fn row_outcome(kind: OutcomeType, row: &StoredDelivery, at: Timestamp) -> OutcomeEvent {
    let mut o = outcome_of(kind, &row.record.event_id, &row.customer_id, at);
    o.source_detail_type = Some(row.record.detail_type.to_string());
    o.channel = Some(row.record.channel);
    o.device_id = row.device_id.as_ref().map(Id::to_string);
    o.to = row.address.to_destination().ok().map(|d| d.masked());
    o.send_at = Some(row.record.send_at.to_string());
    o.provider_message_id = row.provider_message_id.clone();
    o.reasons = row.reasons.clone();
    if let Some(f) = &row.failure {
        o.reasons.push(f.clone());
    }
    o
}

impl<St: Store, Se: Sender, Sc: Scheduler, B: Bus> Service<St, Se, Sc, B> {
    /// A notifying event (`LowBalance`, `FlightDelayed`, …), decided at `now`:
    /// one read, one write claiming the event with its rows, the sends or schedules, one
    /// write recording the results, then the outcome events.
    pub async fn notify(&self, event: &Event, now: Timestamp) -> Result<Report, PortError> {
        let cid = event.detail.customer_id().clone();
        let part = self.store.load(&cid, &event.id).await?;
        let take_over = match &part.claim {
            Some(c) if c.completed => return Ok(Report::duplicate()),
            Some(c) if c.lease_until > now => {
                return Err(PortError::retryable(
                    "idempotency",
                    format!("event {} is being processed by another invocation", event.id),
                ));
            }
            Some(_) => true,
            None => false,
        };
        let customer = match &part.profile {
            Some(p) => Some(
                Customer::from_profile(p)
                    .map_err(|e| PortError::permanent("store", format!("stored profile of {cid} is invalid: {e}")))?,
            ),
            None => None,
        };
        // A take-over resumes the rows a crashed invocation committed, without deciding again.
        let resumed: Vec<StoredDelivery> = part
            .deliveries
            .iter()
            .filter(|d| take_over && d.record.event_id == event.id)
            .cloned()
            .collect();
        let resuming = !resumed.is_empty();
        let (outcome, reasons, rows, cancel) = if !resuming {
            self.decide(event, customer.as_ref(), &part, now)?
        } else {
            let outcome = if resumed.iter().any(|r| r.record.send_at > now) {
                "scheduled"
            } else {
                "send_now"
            };
            (outcome.to_owned(), resumed[0].reasons.clone(), resumed, vec![])
        };
        let claim = Claim {
            event_id: event.id.clone(),
            completed: false,
            lease_until: now + CLAIM_LEASE_SECONDS.seconds(),
            outcome: outcome.clone(),
            reasons: reasons.clone(),
        };
        let new_rows = if resuming { vec![] } else { rows.clone() };
        let commit = Commit {
            customer_id: cid.clone(),
            claim: claim.clone(),
            take_over,
            new_rows,
            cancel: cancel.clone(),
        };
        if self.store.commit(&commit).await? == CommitResult::AlreadyClaimed {
            return Ok(Report::duplicate());
        }

        let mut report = Report {
            outcome,
            cancelled: cancel.len(),
            ..Report::default()
        };
        let mut outcomes = Vec::new();
        for c in &cancel {
            self.scheduler.delete(&c.schedule_name()).await?;
            let mut o = row_outcome(OutcomeType::NotificationCancelled, c, now);
            o.by_event_id = Some(event.id.to_string());
            outcomes.push(o);
        }
        let mut done = Vec::with_capacity(rows.len());
        let (due, later): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.record.send_at <= now);
        for row in later {
            let request = DispatchRequest {
                customer_id: cid.to_string(),
                delivery_key: row.sort_key(),
            };
            self.scheduler
                .create(&row.schedule_name(), row.record.send_at, &request)
                .await?;
            outcomes.push(row_outcome(OutcomeType::NotificationScheduled, &row, now));
            report.scheduled += 1;
        }
        if !due.is_empty() {
            let sent = self.send_with_failover(event, customer.as_ref(), due, now).await?;
            for row in &sent {
                let kind = if row.record.status == DeliveryStatus::Sent {
                    report.sent += 1;
                    OutcomeType::NotificationSent
                } else {
                    OutcomeType::NotificationFailed
                };
                outcomes.push(row_outcome(kind, row, now));
            }
            done = sent;
        }
        if outcomes.is_empty() {
            let mut o = outcome_of(OutcomeType::NotificationSuppressed, &event.id, &cid, now);
            o.source_detail_type = Some(event.detail_type().to_string());
            o.reasons = reasons;
            outcomes.push(o);
        }
        let finished = Claim {
            completed: true,
            ..claim
        };
        self.store.finish(&cid, &finished, &done).await?;
        self.bus.publish(&outcomes).await?;
        Ok(report)
    }

    /// Runs the policy and turns its plan into rows to write and rows to cancel.
    fn decide(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        part: &Partition,
        now: Timestamp,
    ) -> Result<Decided, PortError> {
        let history: Vec<DeliveryRecord> = part.deliveries.iter().map(|d| d.record.clone()).collect();
        let ctx = Context {
            customer,
            history: &history,
            seen_before: false,
        };
        let decision = self
            .engine
            .decide(event, &ctx, now)
            .map_err(|e| PortError::permanent("render", e.to_string()))?;
        let plan = decision.plan;
        let send_at = plan.send_at.unwrap_or(now);
        let rows = decision
            .deliveries
            .iter()
            .map(|d| StoredDelivery {
                customer_id: event.detail.customer_id().clone(),
                record: DeliveryRecord {
                    event_id: event.id.clone(),
                    event_time: event.time.0,
                    detail_type: event.detail_type(),
                    subject: plan.subject.clone(),
                    channel: d.route.channel,
                    urgency: plan.urgency.unwrap_or(Urgency::Normal),
                    // Every row starts scheduled; a send-now row becomes sent once the provider took it.
                    status: DeliveryStatus::Scheduled,
                    send_at,
                    expects_reply: d.message.expects_reply,
                },
                device_id: d.route.device_id.clone(),
                address: Address::from_destination(&d.to),
                message: StoredMessage::from(&d.message),
                reasons: plan.reasons.clone(),
                provider_message_id: None,
                failure: None,
                expires_at: send_at + (RETENTION_DAYS * 24).hours(),
            })
            .collect();
        let cancel = part
            .deliveries
            .iter()
            .filter_map(|d| {
                let c = plan
                    .cancellations
                    .iter()
                    .find(|c| c.event_id == d.record.event_id && d.record.is_pending())?;
                let mut d = d.clone();
                d.record.status = DeliveryStatus::Cancelled;
                d.failure = Some(c.reason.clone());
                Some(d)
            })
            .collect();
        Ok((plan.outcome.as_str().to_owned(), plan.reasons, rows, cancel))
    }

    /// Sends due rows. When none got through, the channels that failed are taken out and the
    /// policy picks the next reachable one (e.g. push to a disabled endpoint → SMS).
    async fn send_with_failover(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        rows: Vec<StoredDelivery>,
        now: Timestamp,
    ) -> Result<Vec<StoredDelivery>, PortError> {
        let mut done = Vec::with_capacity(rows.len());
        for row in rows {
            done.push(self.send_row(row).await?);
        }
        let failed: Vec<&StoredDelivery> = done
            .iter()
            .filter(|r| r.record.status == DeliveryStatus::Failed)
            .collect();
        let (Some(customer), true) = (customer, !failed.is_empty() && failed.len() == done.len()) else {
            return Ok(done);
        };
        let mut fallback = customer.clone();
        for r in &failed {
            match &r.device_id {
                Some(id) => fallback
                    .devices
                    .iter_mut()
                    .filter(|d| &d.id == id)
                    .for_each(|d| d.enabled = false),
                None => fallback.opted_out.push(r.record.channel),
            }
        }
        let from = failed
            .iter()
            .map(|r| r.record.channel.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let template = failed[0].clone();
        let ctx = Context {
            customer: Some(&fallback),
            history: &[],
            seen_before: false,
        };
        let retry = self
            .engine
            .decide(event, &ctx, now)
            .map_err(|e| PortError::permanent("render", e.to_string()))?;
        for d in retry.deliveries {
            let mut row = template.clone();
            row.record.channel = d.route.channel;
            row.record.status = DeliveryStatus::Scheduled;
            row.device_id = d.route.device_id.clone();
            row.address = Address::from_destination(&d.to);
            row.message = StoredMessage::from(&d.message);
            row.failure = None;
            row.reasons.push(format!("failed over from {from}"));
            done.push(self.send_row(row).await?);
        }
        Ok(done)
    }

    async fn send_row(&self, mut row: StoredDelivery) -> Result<StoredDelivery, PortError> {
        let result = match row.address.to_destination() {
            Ok(to) => self.sender.send(&to, &row.message).await?,
            Err(why) => SendResult::Unreachable(why),
        };
        match result {
            SendResult::Sent { provider_message_id } => {
                row.record.status = DeliveryStatus::Sent;
                row.provider_message_id = Some(provider_message_id);
            }
            SendResult::Unreachable(why) => {
                row.record.status = DeliveryStatus::Failed;
                row.failure = Some(format!("{} unreachable: {why}", row.record.channel));
            }
        }
        Ok(row)
    }

    /// A schedule fired: send the row if it is still scheduled and its channel still allowed.
    pub async fn dispatch(&self, request: &DispatchRequest, now: Timestamp) -> Result<Report, PortError> {
        let cid = Id::parse(request.customer_id.as_str())
            .map_err(|e| PortError::permanent("input", format!("customer_id: {e}")))?;
        let Some(row) = self.store.delivery(&cid, &request.delivery_key).await? else {
            return Ok(Report {
                outcome: "missing".into(),
                ..Report::default()
            });
        };
        if row.record.status != DeliveryStatus::Scheduled {
            return Ok(Report {
                outcome: "not_scheduled".into(),
                duplicate: true,
                ..Report::default()
            });
        }
        let part = self.store.load(&cid, &row.record.event_id).await?;
        let customer = part.profile.as_ref().and_then(|p| Customer::from_profile(p).ok());
        let blocked = match &customer {
            None => Some("the customer's profile is gone".to_owned()),
            Some(c) if c.has_opted_out(row.record.channel) => {
                Some(format!("the customer opted out of {} since", row.record.channel))
            }
            Some(c)
                if row.record.channel == Channel::Push
                    && !c
                        .devices
                        .iter()
                        .any(|d| Some(&d.id) == row.device_id.as_ref() && d.pushable()) =>
            {
                Some("the device can no longer receive push".to_owned())
            }
            _ => None,
        };
        if let Some(why) = blocked {
            let mut r = row.clone();
            r.record.status = DeliveryStatus::Cancelled;
            r.failure = Some(format!("not sent: {why}"));
            if self.store.transition(&r, DeliveryStatus::Scheduled).await? {
                self.bus
                    .publish(&[row_outcome(OutcomeType::NotificationCancelled, &r, now)])
                    .await?;
            }
            return Ok(Report {
                outcome: "cancelled".into(),
                cancelled: 1,
                ..Report::default()
            });
        }
        // Only one dispatch may move the row out of `scheduled`: that one sends.
        let mut sending = row.clone();
        sending.record.status = DeliveryStatus::Sent;
        if !self.store.transition(&sending, DeliveryStatus::Scheduled).await? {
            return Ok(Report::duplicate());
        }
        let done = self.send_row(row).await?;
        self.store.transition(&done, DeliveryStatus::Sent).await?;
        let sent = done.record.status == DeliveryStatus::Sent;
        let kind = if sent {
            OutcomeType::NotificationSent
        } else {
            OutcomeType::NotificationFailed
        };
        self.bus.publish(&[row_outcome(kind, &done, now)]).await?;
        Ok(Report {
            outcome: if sent { "sent" } else { "failed" }.into(),
            sent: usize::from(sent),
            ..Report::default()
        })
    }

    /// A resolving event: cancel the pending rows of its subject and delete their schedules.
    pub async fn resolve(&self, event: &Event, now: Timestamp) -> Result<Report, PortError> {
        let cid = event.detail.customer_id().clone();
        let part = self.store.load(&cid, &event.id).await?;
        let subject = event.detail.subject();
        let mut outcomes = Vec::new();
        for row in part
            .deliveries
            .iter()
            .filter(|d| d.record.subject == subject && d.record.is_pending())
        {
            let mut r = row.clone();
            r.record.status = DeliveryStatus::Cancelled;
            r.failure = Some(format!("{} ({}) before it was sent", event.detail_type(), event.id));
            if self.store.transition(&r, DeliveryStatus::Scheduled).await? {
                self.scheduler.delete(&r.schedule_name()).await?;
                let mut o = row_outcome(OutcomeType::NotificationCancelled, &r, now);
                o.by_event_id = Some(event.id.to_string());
                outcomes.push(o);
            }
        }
        let cancelled = outcomes.len();
        self.bus.publish(&outcomes).await?;
        Ok(Report {
            outcome: "resolved".into(),
            cancelled,
            ..Report::default()
        })
    }
}

/// outcome, reasons, rows to write, rows to cancel.
type Decided = (String, Vec<String>, Vec<StoredDelivery>, Vec<StoredDelivery>);

impl Report {
    fn duplicate() -> Report {
        Report {
            outcome: "duplicate".into(),
            duplicate: true,
            ..Report::default()
        }
    }
}

#[cfg(test)]
mod tests {
    //! The flows' logic over in-memory ports (the real adapters are tested end to end).
    use super::*;
    use std::cell::RefCell;
    use std::task::{Context as TaskContext, Poll, Waker};

    use serde_json::json;

    /// Runs a future whose ports never wait.
    fn run<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut TaskContext::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("in-memory ports never wait"),
        }
    }

    #[derive(Default)]
    struct Memory {
        profile: Option<CustomerProfile>,
        rows: RefCell<Vec<StoredDelivery>>,
        claims: RefCell<Vec<Claim>>,
        sent: RefCell<Vec<(String, String)>>,
        unreachable: RefCell<Vec<String>>,
        schedules: RefCell<Vec<String>>,
        outcomes: RefCell<Vec<OutcomeEvent>>,
    }

    impl Store for &Memory {
        async fn load(&self, _: &Id, event_id: &Id) -> Result<Partition, PortError> {
            Ok(Partition {
                profile: self.profile.clone(),
                deliveries: self.rows.borrow().clone(),
                claim: self.claims.borrow().iter().find(|c| &c.event_id == event_id).cloned(),
            })
        }
        async fn commit(&self, c: &Commit) -> Result<CommitResult, PortError> {
            let mut claims = self.claims.borrow_mut();
            match claims.iter().position(|x| x.event_id == c.claim.event_id) {
                Some(i) if c.take_over && !claims[i].completed => claims[i] = c.claim.clone(),
                Some(_) => return Ok(CommitResult::AlreadyClaimed),
                None => claims.push(c.claim.clone()),
            }
            let mut rows = self.rows.borrow_mut();
            rows.extend(c.new_rows.iter().cloned());
            for x in &c.cancel {
                rows.retain(|r| r.sort_key() != x.sort_key());
                rows.push(x.clone());
            }
            Ok(CommitResult::Committed)
        }
        async fn finish(&self, _: &Id, claim: &Claim, done: &[StoredDelivery]) -> Result<(), PortError> {
            self.claims.borrow_mut().retain(|c| c.event_id != claim.event_id);
            self.claims.borrow_mut().push(claim.clone());
            let mut rows = self.rows.borrow_mut();
            for d in done {
                rows.retain(|r| r.sort_key() != d.sort_key());
                rows.push(d.clone());
            }
            Ok(())
        }
        async fn delivery(&self, _: &Id, key: &str) -> Result<Option<StoredDelivery>, PortError> {
            Ok(self.rows.borrow().iter().find(|r| r.sort_key() == key).cloned())
        }
        async fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> Result<bool, PortError> {
            let mut rows = self.rows.borrow_mut();
            match rows
                .iter_mut()
                .find(|r| r.sort_key() == row.sort_key() && r.record.status == from)
            {
                Some(r) => {
                    *r = row.clone();
                    Ok(true)
                }
                None => Ok(false),
            }
        }
    }

    impl Sender for &Memory {
        async fn send(&self, to: &Destination, m: &StoredMessage) -> Result<SendResult, PortError> {
            let to = to.masked();
            if self.unreachable.borrow().iter().any(|u| to.contains(u.as_str())) {
                return Ok(SendResult::Unreachable("disabled".into()));
            }
            self.sent.borrow_mut().push((to, m.body.clone()));
            Ok(SendResult::Sent {
                provider_message_id: format!("m-{}", self.sent.borrow().len()),
            })
        }
    }

    impl Scheduler for &Memory {
        async fn create(&self, name: &str, _: Timestamp, _: &DispatchRequest) -> Result<(), PortError> {
            self.schedules.borrow_mut().push(name.to_owned());
            Ok(())
        }
        async fn delete(&self, name: &str) -> Result<(), PortError> {
            self.schedules.borrow_mut().retain(|s| s != name);
            Ok(())
        }
    }

    impl Bus for &Memory {
        async fn publish(&self, o: &[OutcomeEvent]) -> Result<(), PortError> {
            self.outcomes.borrow_mut().extend(o.iter().cloned());
            Ok(())
        }
    }

    fn memory(patch: serde_json::Value) -> Memory {
        let mut p = json!({"customer_id": "c-1", "locale": "en", "time_zone": "Europe/Lisbon",
            "contacts": {"phone": "+351912345678", "email": "ana@example.com"},
            "quiet_hours": {"start": "22:00", "end": "08:00"},
            "devices": [{"device_id": "p", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd"}]});
        for (k, v) in patch.as_object().unwrap() {
            p[k] = v.clone();
        }
        Memory {
            profile: Some(serde_json::from_value(p).unwrap()),
            ..Memory::default()
        }
    }

    fn service(m: &Memory) -> Service<&Memory, &Memory, &Memory, &Memory> {
        Service {
            engine: Engine::default(),
            store: m,
            sender: m,
            scheduler: m,
            bus: m,
        }
    }

    fn event(id: &str, detail_type: &str, detail: serde_json::Value, at: &str) -> Event {
        crate::events::parse_event(
            &json!({"version": "0", "id": id, "detail-type": detail_type, "source": "t", "account": "1", "time": at,
                "region": "r", "resources": [], "detail": detail})
            .to_string(),
        )
        .unwrap()
    }

    fn flight(id: &str, at: &str) -> Event {
        event(
            id,
            "FlightDelayed",
            json!({"customer_id": "c-1", "booking_ref": "B", "flight": {"number": "TP1", "origin": "LIS",
            "destination": "LHR", "scheduled_departure": "2026-11-23T18:00:00Z", "estimated_departure": "2026-11-23T19:00:00Z"}}),
            at,
        )
    }

    fn low_balance(id: &str, at: &str) -> Event {
        event(
            id,
            "LowBalance",
            json!({"customer_id": "c-1", "account_id": "a", "balance": {"amount": "5.00", "currency": "EUR"}}),
            at,
        )
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_send_now_event_is_claimed_sent_recorded_and_reported() {
        let m = memory(json!({}));
        let r = run(service(&m).notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        assert_eq!((r.outcome.as_str(), r.sent), ("send_now", 1));
        assert_eq!(m.sent.borrow().len(), 1);
        assert!(m.claims.borrow()[0].completed);
        assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Sent);
        assert_eq!(m.rows.borrow()[0].provider_message_id.as_deref(), Some("m-1"));
        let o = m.outcomes.borrow();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].detail_type, OutcomeType::NotificationSent);
        assert_eq!(o[0].to.as_deref(), Some("endpoint/…abcd"));
    }

    #[test]
    fn a_completed_event_delivered_again_changes_nothing() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        let again = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:05Z"))).unwrap();
        assert!(again.duplicate);
        assert_eq!(m.sent.borrow().len(), 1);
        assert_eq!(m.outcomes.borrow().len(), 1);
    }

    #[test]
    fn a_claim_in_progress_makes_a_duplicate_retry_later_and_an_expired_one_resumes_the_committed_rows() {
        let m = memory(json!({}));
        let s = service(&m);
        let e = flight("f1", "2026-11-23T12:00:00Z");
        let now = ts("2026-11-23T12:00:00Z");
        // A first invocation claimed and wrote its row, then died before sending.
        let decided = s
            .decide(
                &e,
                Customer::from_profile(m.profile.as_ref().unwrap()).ok().as_ref(),
                &Partition::default(),
                now,
            )
            .unwrap();
        let claim = Claim {
            event_id: e.id.clone(),
            completed: false,
            lease_until: now + 60.seconds(),
            outcome: decided.0,
            reasons: decided.1,
        };
        run((&m).commit(&Commit {
            customer_id: Id::parse("c-1").unwrap(),
            claim,
            take_over: false,
            new_rows: decided.2,
            cancel: vec![],
        }))
        .unwrap();

        let busy = run(s.notify(&e, now + 10.seconds())).unwrap_err();
        assert!(busy.retryable, "{busy}");
        assert!(m.sent.borrow().is_empty());

        let r = run(s.notify(&e, now + 90.seconds())).unwrap();
        assert_eq!(r.sent, 1, "{r:?}");
        assert_eq!(
            m.rows.borrow().len(),
            1,
            "the committed row is resumed, not decided again"
        );
        assert!(m.claims.borrow()[0].completed);
    }

    #[test]
    fn a_push_that_cannot_be_delivered_fails_over_to_the_next_channel() {
        let m = memory(json!({}));
        m.unreachable.borrow_mut().push("abcd".into());
        let r = run(service(&m).notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(m.sent.borrow()[0].0, "+35191*****78");
        let rows = m.rows.borrow();
        let statuses: Vec<_> = rows.iter().map(|r| (r.record.channel, r.record.status)).collect();
        assert_eq!(
            statuses,
            [
                (Channel::Push, DeliveryStatus::Failed),
                (Channel::Sms, DeliveryStatus::Sent)
            ]
        );
        let kinds: Vec<_> = m.outcomes.borrow().iter().map(|o| o.detail_type).collect();
        assert_eq!(kinds, [OutcomeType::NotificationFailed, OutcomeType::NotificationSent]);
    }

    #[test]
    fn a_scheduled_delivery_is_sent_once_by_dispatch() {
        let m = memory(json!({}));
        let s = service(&m);
        let r = run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
        assert_eq!((r.outcome.as_str(), r.scheduled), ("scheduled", 1));
        assert_eq!(m.schedules.borrow().len(), 1);
        let row = m.rows.borrow()[0].clone();
        let request = DispatchRequest {
            customer_id: "c-1".into(),
            delivery_key: row.sort_key(),
        };
        assert_eq!(run(s.dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap().sent, 1);
        assert_eq!(run(s.dispatch(&request, ts("2026-11-23T08:00:01Z"))).unwrap().sent, 0);
        assert_eq!(m.sent.borrow().len(), 1);
    }

    #[test]
    fn dispatch_rechecks_that_the_channel_is_still_allowed() {
        let mut m = memory(json!({}));
        let r =
            run(service(&m).notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
        assert_eq!(r.scheduled, 1);
        m.profile.as_mut().unwrap().opted_out.push(Channel::Push);
        let row = m.rows.borrow()[0].clone();
        let request = DispatchRequest {
            customer_id: "c-1".into(),
            delivery_key: row.sort_key(),
        };
        let r = run(service(&m).dispatch(&request, ts("2026-11-23T08:00:00Z"))).unwrap();
        assert_eq!((r.outcome.as_str(), r.sent), ("cancelled", 0));
        assert!(m.sent.borrow().is_empty());
        assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Cancelled);
    }

    #[test]
    fn a_resolving_event_cancels_pending_rows_and_their_schedules() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&low_balance("lb", "2026-11-22T23:00:00Z"), ts("2026-11-22T23:00:00Z"))).unwrap();
        let restored = event(
            "br",
            "BalanceRestored",
            json!({"customer_id": "c-1", "account_id": "a"}),
            "2026-11-23T07:00:00Z",
        );
        let r = run(s.resolve(&restored, ts("2026-11-23T07:00:00Z"))).unwrap();
        assert_eq!(r.cancelled, 1);
        assert!(m.schedules.borrow().is_empty());
        assert_eq!(m.rows.borrow()[0].record.status, DeliveryStatus::Cancelled);
        let last = m.outcomes.borrow().last().cloned().unwrap();
        assert_eq!(
            (last.detail_type, last.by_event_id.as_deref()),
            (OutcomeType::NotificationCancelled, Some("br"))
        );
    }

    #[test]
    fn an_unknown_customer_is_recorded_as_suppressed() {
        let m = Memory::default();
        let r =
            run(service(&m).notify(&low_balance("lb", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        assert_eq!(r.outcome, "suppressed");
        assert_eq!(m.claims.borrow()[0].outcome, "suppressed");
        assert!(m.claims.borrow()[0].reasons[0].contains("unknown customer"));
        assert_eq!(m.outcomes.borrow()[0].detail_type, OutcomeType::NotificationSuppressed);
    }

    #[test]
    fn schedule_names_are_stable_and_valid() {
        let a = schedule_name(&Id::parse("c-1").unwrap(), "DELIVERY#account:a#lb#push");
        assert_eq!(
            a,
            schedule_name(&Id::parse("c-1").unwrap(), "DELIVERY#account:a#lb#push")
        );
        assert_ne!(
            a,
            schedule_name(&Id::parse("c-2").unwrap(), "DELIVERY#account:a#lb#push")
        );
        assert!(a.len() <= 64 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
