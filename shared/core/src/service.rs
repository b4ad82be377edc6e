//! The function flows — notify, dispatch, resolve — over small port traits. No SDK here:
//! adapters implement the ports; the Lambda functions wire them together.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::customer::{Channel, Customer, CustomerProfile, EmailAddress, PhoneNumber, UnusableContact};
use crate::engine::{Destination, Engine};
use crate::events::Event;
use crate::loops::{DeviceActivity, PhoneBook, Question, disabled_of, questions_of};
use crate::messages::Message;
use crate::policy::{Context, DeliveryRecord, DeliveryStatus, Urgency};
use crate::types::Id;

/// How long, by default, an unfinished claim blocks a concurrent duplicate before a retry may take over.
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
    /// The outcome events of a completed claim: a redelivered event puts them on the bus
    /// again, so a `PutEvents` that failed after the claim completed is not lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<StoredOutcome>,
}

/// An outcome event with its detail type, as kept in a claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredOutcome {
    pub detail_type: OutcomeType,
    #[serde(flatten)]
    pub event: OutcomeEvent,
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
    /// An escalation reminder for an unanswered question, not the first alert.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminder: bool,
    /// When the provider reported the message delivered (email delivery feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
}

impl StoredDelivery {
    /// The row's sort key: `DELIVERY#<subject>#<event_id>#<channel>`, `#reminder` appended
    /// for a reminder.
    pub fn sort_key(&self) -> String {
        let key = delivery_sort_key(&self.record.subject, &self.record.event_id, self.record.channel);
        if self.reminder { key + "#reminder" } else { key }
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
    /// The profile, with what forewarn learned merged in: opt-outs, unusable addresses,
    /// disabled devices and learned habits.
    pub profile: Option<CustomerProfile>,
    pub deliveries: Vec<StoredDelivery>,
    pub claim: Option<Claim>,
    /// Each device's learned habits, as stored (the activity flow updates them).
    pub activity: Vec<DeviceActivity>,
}

/// The write after the effects: the claim completed, the rows in their final state, and
/// what sending taught (questions asked, devices that can no longer receive push).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finish {
    pub customer_id: Option<Id>,
    pub claim: Option<Claim>,
    pub rows: Vec<StoredDelivery>,
    pub questions: Vec<Question>,
    /// `(device_id, reason)`.
    pub disabled_devices: Vec<(Id, String)>,
}

impl Finish {
    pub fn is_empty(&self) -> bool {
        self.claim.is_none() && self.rows.is_empty() && self.questions.is_empty() && self.disabled_devices.is_empty()
    }
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
    /// One write after the effects: the claim completed, rows final, questions and disabled devices.
    fn finish(&self, finish: &Finish) -> impl Future<Output = Result<(), PortError>>;
    /// One row by key.
    fn delivery(
        &self,
        customer_id: &Id,
        sort_key: &str,
    ) -> impl Future<Output = Result<Option<StoredDelivery>, PortError>>;
    /// Moves a row from `from` to `row.record.status` if it is still in `from`; false otherwise.
    fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> impl Future<Output = Result<bool, PortError>>;
    /// One read: the customers with this phone number and the questions sent to it.
    fn phone_book(&self, phone: &PhoneNumber) -> impl Future<Output = Result<PhoneBook, PortError>>;
    /// Records `question.answer` unless another answer is there already; true if this one counts.
    fn answer(&self, question: &Question) -> impl Future<Output = Result<bool, PortError>>;
    /// Records an opt-out; true if it is new.
    fn opt_out(
        &self,
        customer_id: &Id,
        channel: Channel,
        reason: &str,
    ) -> impl Future<Output = Result<bool, PortError>>;
    /// Marks an address unusable for later decisions.
    fn suppress_contact(
        &self,
        customer_id: &Id,
        contact: &UnusableContact,
    ) -> impl Future<Output = Result<(), PortError>>;
    /// Saves a device's habits if nobody saved since `previous_sessions` was read; false otherwise.
    fn save_activity(
        &self,
        customer_id: &Id,
        activity: &DeviceActivity,
        previous_sessions: Option<u32>,
    ) -> impl Future<Output = Result<bool, PortError>>;
}

pub trait Sender {
    /// Sends one message; `customer` tags it so delivery feedback finds its way back.
    fn send(
        &self,
        to: &Destination,
        message: &StoredMessage,
        customer: Option<&Id>,
    ) -> impl Future<Output = Result<SendResult, PortError>>;
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
    /// Puts one business event (source `forewarn`), e.g. `TransactionConfirmed`.
    fn emit(&self, detail_type: &str, detail: &serde_json::Value) -> impl Future<Output = Result<(), PortError>>;
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
    NotificationDelivered,
    NotificationBounced,
    NotificationComplained,
    DeviceDisabled,
    ReplyReceived,
}

impl OutcomeType {
    pub const ALL: [OutcomeType; 10] = [
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

pub(crate) fn outcome_of(kind: OutcomeType, event_id: &Id, customer_id: &Id, at: Timestamp) -> OutcomeEvent {
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

pub(crate) fn row_outcome(kind: OutcomeType, row: &StoredDelivery, at: Timestamp) -> OutcomeEvent {
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
            Some(c) if c.completed => {
                let again: Vec<OutcomeEvent> = c
                    .outcomes
                    .iter()
                    .map(|o| OutcomeEvent {
                        detail_type: o.detail_type,
                        ..o.event.clone()
                    })
                    .collect();
                self.bus.publish(&again).await?;
                return Ok(Report::duplicate());
            }
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
            lease_until: now + self.engine.policy.claim_lease_seconds.seconds(),
            outcome: outcome.clone(),
            reasons: reasons.clone(),
            outcomes: vec![],
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
        if let Some(c) = &customer
            && let Some(reminder) = self.reminder_row(event, c, &done, now)?
        {
            let request = DispatchRequest {
                customer_id: cid.to_string(),
                delivery_key: reminder.sort_key(),
            };
            self.scheduler
                .create(&reminder.schedule_name(), reminder.record.send_at, &request)
                .await?;
            outcomes.push(row_outcome(OutcomeType::NotificationScheduled, &reminder, now));
            report.scheduled += 1;
            done.push(reminder);
        }
        let disabled = disabled_of(&done);
        outcomes.extend(
            disabled
                .iter()
                .map(|(id, why)| device_disabled(&event.id, event.detail_type(), &cid, id, why, now)),
        );
        if outcomes.is_empty() {
            let mut o = outcome_of(OutcomeType::NotificationSuppressed, &event.id, &cid, now);
            o.source_detail_type = Some(event.detail_type().to_string());
            o.reasons = reasons;
            outcomes.push(o);
        }
        let finish = Finish {
            customer_id: Some(cid.clone()),
            claim: Some(Claim {
                completed: true,
                outcomes: outcomes
                    .iter()
                    .map(|o| StoredOutcome {
                        detail_type: o.detail_type,
                        event: o.clone(),
                    })
                    .collect(),
                ..claim
            }),
            questions: questions_of(&done),
            disabled_devices: disabled,
            rows: done,
        };
        self.store.finish(&finish).await?;
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
                reminder: false,
                delivered_at: None,
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
            Ok(to) => self.sender.send(&to, &row.message, Some(&row.customer_id)).await?,
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
        let done = [done];
        let finish = Finish {
            customer_id: Some(cid.clone()),
            questions: questions_of(&done),
            disabled_devices: disabled_of(&done),
            ..Finish::default()
        };
        if !finish.is_empty() {
            self.store.finish(&finish).await?;
        }
        let mut outcomes = vec![row_outcome(kind, &done[0], now)];
        let r = &done[0].record;
        outcomes.extend(
            finish
                .disabled_devices
                .iter()
                .map(|(id, why)| device_disabled(&r.event_id, r.detail_type, &cid, id, why, now)),
        );
        self.bus.publish(&outcomes).await?;
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

fn device_disabled(
    event_id: &Id,
    source: crate::events::DetailType,
    cid: &Id,
    device: &Id,
    why: &str,
    now: Timestamp,
) -> OutcomeEvent {
    let mut o = outcome_of(OutcomeType::DeviceDisabled, event_id, cid, now);
    o.source_detail_type = Some(source.to_string());
    o.device_id = Some(device.to_string());
    o.channel = Some(Channel::Push);
    o.reasons = vec![format!("push to this device stops: {why}")];
    o
}

/// outcome, reasons, rows to write, rows to cancel.
type Decided = (String, Vec<String>, Vec<StoredDelivery>, Vec<StoredDelivery>);

impl Report {
    pub(crate) fn duplicate() -> Report {
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
        emitted: RefCell<Vec<(String, serde_json::Value)>>,
        questions: RefCell<Vec<Question>>,
        disabled: RefCell<Vec<String>>,
        opted_out: RefCell<Vec<Channel>>,
        suppressed: RefCell<Vec<String>>,
        activity: RefCell<Vec<DeviceActivity>>,
    }

    impl Store for &Memory {
        async fn load(&self, _: &Id, event_id: &Id) -> Result<Partition, PortError> {
            Ok(Partition {
                profile: self.profile.clone().map(|mut p| {
                    p.opted_out.extend(self.opted_out.borrow().iter().copied());
                    p
                }),
                deliveries: self.rows.borrow().clone(),
                claim: self.claims.borrow().iter().find(|c| &c.event_id == event_id).cloned(),
                activity: self.activity.borrow().clone(),
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
        async fn finish(&self, f: &Finish) -> Result<(), PortError> {
            if let Some(claim) = &f.claim {
                self.claims.borrow_mut().retain(|c| c.event_id != claim.event_id);
                self.claims.borrow_mut().push(claim.clone());
            }
            let mut rows = self.rows.borrow_mut();
            for d in &f.rows {
                rows.retain(|r| r.sort_key() != d.sort_key());
                rows.push(d.clone());
            }
            self.questions.borrow_mut().extend(f.questions.iter().cloned());
            self.disabled
                .borrow_mut()
                .extend(f.disabled_devices.iter().map(|(id, _)| id.to_string()));
            Ok(())
        }
        async fn phone_book(&self, phone: &PhoneNumber) -> Result<PhoneBook, PortError> {
            let mine = self
                .profile
                .as_ref()
                .filter(|p| p.contacts.phone.as_deref() == Some(phone.e164()));
            Ok(PhoneBook {
                customers: mine.map(|p| p.customer_id.clone()).into_iter().collect(),
                questions: self.questions.borrow().clone(),
            })
        }
        async fn answer(&self, q: &Question) -> Result<bool, PortError> {
            let mut qs = self.questions.borrow_mut();
            match qs.iter_mut().find(|x| x.sort_key() == q.sort_key()) {
                Some(x) if x.answer.is_none() => {
                    *x = q.clone();
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
        async fn opt_out(&self, _: &Id, channel: Channel, _: &str) -> Result<bool, PortError> {
            let mut o = self.opted_out.borrow_mut();
            let new = !o.contains(&channel);
            o.push(channel);
            Ok(new)
        }
        async fn suppress_contact(&self, _: &Id, c: &UnusableContact) -> Result<(), PortError> {
            self.suppressed.borrow_mut().push(c.address.clone());
            Ok(())
        }
        async fn save_activity(&self, _: &Id, a: &DeviceActivity, previous: Option<u32>) -> Result<bool, PortError> {
            let mut all = self.activity.borrow_mut();
            let current = all.iter().position(|d| d.device_id == a.device_id);
            if current.map(|i| all[i].habits.sessions) != previous {
                return Ok(false);
            }
            if let Some(i) = current {
                all.remove(i);
            }
            all.push(a.clone());
            Ok(true)
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
        async fn send(&self, to: &Destination, m: &StoredMessage, _: Option<&Id>) -> Result<SendResult, PortError> {
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
        async fn emit(&self, detail_type: &str, detail: &serde_json::Value) -> Result<(), PortError> {
            self.emitted.borrow_mut().push((detail_type.to_owned(), detail.clone()));
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
    fn a_completed_event_delivered_again_sends_nothing_and_puts_its_outcomes_again() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        let again = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:05Z"))).unwrap();
        assert!(again.duplicate);
        assert_eq!(m.sent.borrow().len(), 1);
        let o = m.outcomes.borrow();
        assert_eq!(
            o.len(),
            2,
            "in case the first PutEvents failed after the claim completed"
        );
        assert_eq!(o[0], o[1]);
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
            outcomes: vec![],
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
        assert_eq!(
            kinds,
            [
                OutcomeType::NotificationFailed,
                OutcomeType::NotificationSent,
                OutcomeType::DeviceDisabled
            ]
        );
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

    fn fraud(id: &str, at: &str) -> Event {
        event(
            id,
            "SuspiciousTransaction",
            json!({"customer_id": "c-1", "transaction_id": "tx-1", "account_id": "a", "amount": {"amount": "99.00", "currency": "EUR"},
                "merchant": {"name": "Shop", "city": "Porto", "country": "PT"}, "occurred_at": at}),
            at,
        )
    }

    fn sms(body: &str, id: &str) -> crate::conversation::InboundSms {
        crate::conversation::parse_inbound_sms(
            &json!({"originationNumber": "+351912345678", "destinationNumber": "+18005550100",
                "messageBody": body, "inboundMessageId": id})
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn a_fraud_alert_asks_a_question_and_schedules_one_reminder_by_push() {
        let m = memory(json!({}));
        let r = run(service(&m).notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
        assert_eq!((r.sent, r.scheduled), (2, 1), "sms + push now, one reminder: {r:?}");
        let reminder = m.rows.borrow().iter().find(|r| r.reminder).cloned().unwrap();
        assert_eq!(reminder.record.channel, Channel::Push);
        assert_eq!(reminder.record.send_at, ts("2026-11-23T03:15:00Z"));
        assert!(
            reminder.message.body.starts_with("Reminder: "),
            "{}",
            reminder.message.body
        );
        assert_eq!(m.schedules.borrow().as_slice(), [reminder.schedule_name()]);
        let q = m.questions.borrow();
        assert_eq!((q.len(), q[0].transaction_id.as_str()), (1, "tx-1"));
    }

    #[test]
    fn a_yes_confirms_once_cancels_the_reminder_and_is_acknowledged() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
        let r = run(s.reply(&sms("yes", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
        assert_eq!((r.outcome.as_str(), r.cancelled, r.sent), ("confirmed", 1, 1));
        assert!(m.schedules.borrow().is_empty());
        let emitted = m.emitted.borrow().clone();
        assert_eq!(emitted.len(), 1);
        assert_eq!(emitted[0].0, "TransactionConfirmed");
        assert_eq!(emitted[0].1["transaction_id"], "tx-1");
        let again = run(s.reply(&sms("YES", "in-2"), ts("2026-11-23T03:06:00Z"))).unwrap();
        assert_eq!(again.outcome, "no_open_question");
        assert_eq!(m.emitted.borrow().len(), 1, "a repeated answer changes nothing");
    }

    #[test]
    fn a_redelivered_answer_finishes_its_effects_without_a_second_answer() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
        run(s.reply(&sms("no", "in-1"), ts("2026-11-23T03:05:00Z"))).unwrap();
        let r = run(s.reply(&sms("no", "in-1"), ts("2026-11-23T03:05:30Z"))).unwrap();
        assert_eq!(r.outcome, "disputed");
        assert!(m.emitted.borrow().iter().all(|(k, _)| k == "TransactionDisputed"));
        assert_eq!(m.questions.borrow()[0].answer.as_ref().unwrap().intent, "no");
    }

    #[test]
    fn an_answer_after_a_day_is_expired_and_emits_nothing() {
        let m = memory(json!({}));
        let s = service(&m);
        run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
        let r = run(s.reply(&sms("yes", "in-1"), ts("2026-11-24T03:00:01Z"))).unwrap();
        assert_eq!(r.outcome, "expired");
        assert!(m.emitted.borrow().is_empty());
    }

    #[test]
    fn stop_opts_out_once_and_later_alerts_skip_sms() {
        let m = memory(json!({}));
        let s = service(&m);
        assert_eq!(
            run(s.reply(&sms("STOP", "in-1"), ts("2026-11-23T03:00:00Z")))
                .unwrap()
                .sent,
            1
        );
        assert_eq!(
            run(s.reply(&sms("stop", "in-2"), ts("2026-11-23T03:01:00Z")))
                .unwrap()
                .sent,
            0
        );
        let r = run(s.notify(&fraud("st", "2026-11-23T04:00:00Z"), ts("2026-11-23T04:00:00Z"))).unwrap();
        assert_eq!(r.sent, 1);
        assert!(
            m.sent.borrow().iter().filter(|(to, _)| to.starts_with('+')).count() == 1,
            "only the STOP confirmation"
        );
    }

    #[test]
    fn a_push_to_a_disabled_device_marks_it_disabled() {
        let m = memory(json!({}));
        m.unreachable.borrow_mut().push("abcd".into());
        run(service(&m).notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
        assert_eq!(m.disabled.borrow().as_slice(), ["p"]);
        assert!(
            m.outcomes
                .borrow()
                .iter()
                .any(|o| o.detail_type == OutcomeType::DeviceDisabled)
        );
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
