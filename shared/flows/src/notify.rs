//! notify: a business event (`LowBalance`, `FlightDelayed`, …) decided at `now`. One read,
//! one write claiming the event with its rows, the sends or schedules, one write recording
//! the results, then the outcome events.

use forewarn_core::customer::Customer;
use forewarn_core::events::Event;
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::policy::{Cancellation, Context, DeliveryRecord, DeliveryStatus, Subject, Suppression, Urgency};
use jiff::{Timestamp, ToSpan};

use crate::cancel::cancelled_outcome;
use crate::error::FlowError;
use crate::ports::{Bus, Claims, Deliveries, Partitions, Scheduler, Sender};
use crate::records::{
    Address, Claim, Claiming, Commit, CommitResult, Finish, Partition, RETENTION_DAYS, StoredDelivery, StoredMessage,
    StoredOutcome,
};
use crate::reminder::{about_of, disabled_of, questions_of};
use crate::report::{Report, device_disabled, row_outcome};
use crate::service::Service;
use crate::state;

/// How many times notify reads and decides when other decisions for the customer keep
/// landing between its read and its claim.
const DECIDE_ATTEMPTS: usize = 4;

/// What the policy decided, as rows: outcome, reasons, rows to write, rows to cancel.
pub(crate) struct Decided {
    pub outcome: Outcome,
    pub send_at: Option<Timestamp>,
    pub reasons: Vec<String>,
    /// Why nothing is sent, when the outcome is `Suppressed`.
    pub suppression: Option<Suppression>,
    pub rows: Vec<StoredDelivery>,
    pub cancel: Vec<StoredDelivery>,
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries,
    Se: Sender,
    Sc: Scheduler,
    B: Bus,
{
    /// Decides `event` at `now`, claims it with its rows, sends or schedules them, records
    /// the results and puts the outcome events on the bus. When another decision for the
    /// customer lands between the read and the claim, it reads and decides again.
    pub async fn notify(&self, event: &Event, now: Timestamp) -> Result<Report, FlowError> {
        for _ in 0..DECIDE_ATTEMPTS {
            if let Some(report) = self.notify_once(event, now).await? {
                crate::metrics::decision(event.detail_type(), report.outcome, report.suppression.as_ref());
                return Ok(report);
            }
        }
        Err(FlowError::Busy(format!(
            "the decisions of the customer of event {} kept changing while it was decided",
            event.id
        )))
    }

    /// One read, decision and claim; `None` when the claim met a `Conflict` and wrote nothing.
    async fn notify_once(&self, event: &Event, now: Timestamp) -> Result<Option<Report>, FlowError> {
        let cid = event.detail.customer_id().clone();
        let mut part = self.store.load(&cid, Some(&event.id)).await?;
        let claiming = match self.claim_state(event, &part, now).await? {
            ClaimState::New => Claiming::Fresh,
            ClaimState::Expired => Claiming::TakeOver,
            ClaimState::Done(report) => return Ok(Some(report)),
        };
        let stuck = self.fail_stuck(&mut part, now).await?;
        let customer = part.customer()?;
        let decided = self.decide_or_resume(event, customer.as_ref(), &part, claiming, now)?;
        let commit = self.commit_of(event, &decided, &part, claiming, now);
        let claim = commit.claim.clone();
        match self.store.commit(&commit).await? {
            CommitResult::Committed => {}
            CommitResult::Conflict => return Ok(None),
            CommitResult::AlreadyClaimed => {
                let mut r = Report::duplicate(Suppression::ClaimedElsewhere {
                    event_id: event.id.clone(),
                });
                r.customer_id = Some(cid);
                return Ok(Some(r));
            }
        }
        let mut report = Report {
            outcome: decided.outcome,
            customer_id: Some(cid.clone()),
            send_at: decided.send_at,
            channels: decided.rows.iter().map(|r| r.record.channel).collect(),
            reasons: decided.reasons.clone(),
            suppression: decided.suppression.clone(),
            cancelled: decided.cancel.len(),
            ..Report::default()
        };
        let mut outcomes = Vec::new();
        for c in &decided.cancel {
            self.scheduler.delete(&c.key()).await?;
            outcomes.push(cancelled_outcome(c, Some(&event.id), now));
        }
        let (done, new_rows) = self
            .effects(event, customer.as_ref(), decided.rows, now, &mut report, &mut outcomes)
            .await?;
        let disabled = disabled_of(&done);
        outcomes.extend(
            disabled
                .iter()
                .map(|(id, why)| device_disabled(&event.id, event.detail_type(), &cid, id, why, now)),
        );
        if outcomes.is_empty() {
            outcomes.push(suppressed(event, decided.reasons, now));
        }
        outcomes.extend(
            stuck
                .iter()
                .map(|r| row_outcome(OutcomeType::NotificationFailed, r, now)),
        );
        let finish = Finish {
            customer_id: Some(cid.clone()),
            claim: Some(completed(claim, &outcomes)),
            // What the sends taught the questions asked before them; a reminder asks when sent.
            questions: questions_of(&done).into_iter().filter(|q| q.asked_at <= now).collect(),
            disabled_devices: disabled,
            // Every sent row was settled on the state it expected; only the reminder is new here.
            rows: new_rows,
        };
        self.store.finish(&finish).await?;
        self.bus.publish(&outcomes).await?;
        self.mark_reported(&stuck).await;
        Ok(Some(report))
    }

    /// The claim of `event` with what was decided: the rows and the questions they ask, on
    /// the decision count read, unless a take-over resumes rows committed before.
    fn commit_of(
        &self,
        event: &Event,
        decided: &Decided,
        part: &Partition,
        claiming: Claiming,
        now: Timestamp,
    ) -> Commit {
        let resuming = claiming == Claiming::TakeOver && part.deliveries.iter().any(|d| d.record.event_id == event.id);
        let writes_rows = !(decided.rows.is_empty() && decided.cancel.is_empty());
        let due: Vec<StoredDelivery> = decided
            .rows
            .iter()
            .filter(|r| r.record.send_at <= now)
            .cloned()
            .collect();
        Commit {
            customer_id: event.detail.customer_id().clone(),
            claim: Claim {
                event_id: event.id.clone(),
                completed: false,
                lease_until: now + self.lease_seconds.seconds(),
                outcome: decided.outcome,
                reasons: decided.reasons.clone(),
                outcomes: vec![],
                event: Some(event.to_envelope()),
            },
            claiming,
            new_rows: if resuming { vec![] } else { decided.rows.clone() },
            cancel: decided.cancel.clone(),
            decisions: (!resuming && writes_rows).then_some(part.decisions),
            // Asked before anything is sent, so the customer's answer always finds its question.
            questions: if resuming { vec![] } else { questions_of(&due) },
        }
    }

    /// Whether the event is new, was left unfinished by an invocation whose lease ran out, or
    /// is done (or being done) already: then the report, after putting its outcomes again.
    async fn claim_state(&self, event: &Event, part: &Partition, now: Timestamp) -> Result<ClaimState, FlowError> {
        let cid = event.detail.customer_id();
        match &part.claim {
            Some(c) if c.completed => {
                let again: Vec<OutcomeEvent> = c.outcomes.iter().map(StoredOutcome::event).collect();
                self.bus.publish(&again).await?;
                let mut r = Report::duplicate(Suppression::Duplicate {
                    event_id: event.id.clone(),
                });
                r.customer_id = Some(cid.clone());
                Ok(ClaimState::Done(r))
            }
            Some(c) if c.lease_until > now => Err(FlowError::Busy(format!(
                "event {} is being processed by another invocation",
                event.id
            ))),
            Some(_) => Ok(ClaimState::Expired),
            None => Ok(ClaimState::New),
        }
    }

    /// Schedules the later rows, sends the due ones (with failover) and schedules a reminder
    /// when the alert asks a question; returns every row in its new state, and the reminder
    /// row, new to the store.
    async fn effects(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        rows: Vec<StoredDelivery>,
        now: Timestamp,
        report: &mut Report,
        outcomes: &mut Vec<OutcomeEvent>,
    ) -> Result<(Vec<StoredDelivery>, Vec<StoredDelivery>), FlowError> {
        let (due, later): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.record.send_at <= now);
        for row in later {
            self.scheduler.create(row.record.send_at, &row.key()).await?;
            outcomes.push(row_outcome(OutcomeType::NotificationScheduled, &row, now));
            report.scheduled += 1;
        }
        let mut done = Vec::new();
        let mut new = Vec::new();
        if !due.is_empty() {
            done = self.send_with_failover(event, customer, due, now).await?;
            self.await_receipts(&done, now).await?;
            for row in &done {
                let kind = if row.record.status == DeliveryStatus::Sent {
                    report.sent += 1;
                    OutcomeType::NotificationSent
                } else {
                    OutcomeType::NotificationFailed
                };
                outcomes.push(row_outcome(kind, row, now));
            }
        }
        if let Some(c) = customer
            && let Some(reminder) = self.reminder_row(event, c, &done, now)?
        {
            self.scheduler.create(reminder.record.send_at, &reminder.key()).await?;
            outcomes.push(row_outcome(OutcomeType::NotificationScheduled, &reminder, now));
            report.scheduled += 1;
            done.push(reminder.clone());
            new.push(reminder);
        }
        Ok((done, new))
    }

    /// A fresh decision, or, when a retry takes over a crashed invocation's claim, the rows
    /// it committed, resumed without deciding again.
    fn decide_or_resume(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        part: &Partition,
        claiming: Claiming,
        now: Timestamp,
    ) -> Result<Decided, FlowError> {
        let resumed: Vec<StoredDelivery> = part
            .deliveries
            .iter()
            .filter(|d| claiming == Claiming::TakeOver && d.record.event_id == event.id && !d.reminder)
            .cloned()
            .collect();
        if resumed.is_empty() {
            return self.decide(event, customer, part, now);
        }
        if let Some(until) = resumed
            .iter()
            .filter(|r| !state::takeable(r, now))
            .find_map(|r| r.lease_until.filter(|_| r.record.status == DeliveryStatus::Sending))
        {
            return Err(FlowError::Busy(format!(
                "a row of event {} is being sent by another invocation until {until}",
                event.id
            )));
        }
        let later = resumed.iter().any(|r| r.record.send_at > now);
        Ok(Decided {
            outcome: if later { Outcome::Scheduled } else { Outcome::SendNow },
            send_at: resumed.iter().map(|r| r.record.send_at).max(),
            reasons: resumed[0].reasons.clone(),
            suppression: None,
            rows: resumed,
            cancel: vec![],
        })
    }

    /// Runs the policy and turns its plan into rows to write and rows to cancel.
    pub(crate) fn decide(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        part: &Partition,
        now: Timestamp,
    ) -> Result<Decided, FlowError> {
        let history: Vec<DeliveryRecord> = part.deliveries.iter().map(|d| d.record.clone()).collect();
        let ctx = Context {
            customer,
            history: &history,
            seen_before: false,
        };
        let decision = self
            .engine
            .decide(event, &ctx, now)
            .map_err(|e| FlowError::Render(e.to_string()))?;
        let mut plan = decision.plan;
        if let Some(d) = resolved_before(part, &plan.subject, event) {
            return Ok(d);
        }
        plan.reasons.extend(allowed_again(part, customer));
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
                message: StoredMessage {
                    about: about_of(event, d.message.language),
                    intrusion: d.route.intrusion,
                    ..StoredMessage::from(&d.message)
                },
                reasons: plan.reasons.clone(),
                provider_message_id: None,
                failure: None,
                expires_at: send_at + (RETENTION_DAYS * 24).hours(),
                reminder: false,
                delivered_at: None,
                attempt: 0,
                lease_until: None,
                cancelled_by: None,
                unreported: false,
            })
            .collect();
        let cancel = cancelled_rows(part, &plan.cancellations);
        Ok(Decided {
            outcome: plan.outcome,
            send_at: plan.send_at,
            reasons: plan.reasons,
            suppression: plan.suppression,
            rows,
            cancel,
        })
    }
}

/// The pending rows the plan withdraws, as cancelled rows with the plan's reason.
fn cancelled_rows(part: &Partition, cancellations: &[Cancellation]) -> Vec<StoredDelivery> {
    part.deliveries
        .iter()
        .filter_map(|d| {
            let c = cancellations
                .iter()
                .find(|c| c.event_id == d.record.event_id && d.record.is_pending())?;
            let mut d = d.clone();
            d.record.status = DeliveryStatus::Cancelled;
            d.failure = Some(c.reason.clone());
            Some(d)
        })
        .collect()
}

/// A suppression when `subject` was resolved at or after the time `event` happened: the
/// resolving event arrived first (EventBridge does not promise order).
fn resolved_before(part: &Partition, subject: &Subject, event: &Event) -> Option<Decided> {
    let r = part
        .resolutions
        .iter()
        .find(|r| r.subject.matches(subject) && r.at >= event.time.0)?;
    let why = Suppression::AlreadyResolved {
        detail_type: r.detail_type.clone(),
        event_id: r.event_id.clone(),
        at: r.at,
    };
    Some(Decided {
        outcome: Outcome::Suppressed,
        send_at: None,
        reasons: vec![why.to_string()],
        suppression: Some(why),
        rows: vec![],
        cancel: vec![],
    })
}

/// What the customer opted back in to (START) and may be reached on again, in plain words.
fn allowed_again(part: &Partition, customer: Option<&Customer>) -> Vec<String> {
    let Some(c) = customer else { return vec![] };
    part.opted_in
        .iter()
        .filter(|(channel, _)| !c.has_opted_out(*channel))
        .map(|(channel, why)| format!("{} allowed again: {why}", channel.as_str().to_uppercase()))
        .collect()
}

/// The `NotificationSuppressed` event of a decision that sent, scheduled and cancelled nothing.
fn suppressed(event: &Event, reasons: Vec<String>, now: Timestamp) -> OutcomeEvent {
    let cid = event.detail.customer_id();
    let mut o = OutcomeEvent::new(
        OutcomeType::NotificationSuppressed,
        event.id.as_str(),
        cid.as_str(),
        now,
    );
    o.source_detail_type = Some(event.detail_type().to_string());
    o.reasons = reasons;
    o
}

/// Where an event's idempotency claim stands.
enum ClaimState {
    New,
    /// Claimed by an invocation that did not finish within its lease: take it over.
    Expired,
    Done(Report),
}

/// The claim completed, keeping the outcome events so a redelivery can put them again.
fn completed(claim: Claim, outcomes: &[OutcomeEvent]) -> Claim {
    Claim {
        completed: true,
        outcomes: outcomes
            .iter()
            .map(|o| StoredOutcome {
                detail_type: o.detail_type,
                event: o.clone(),
            })
            .collect(),
        ..claim
    }
}
