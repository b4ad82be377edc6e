//! dispatch: a schedule fired. The row is sent if it is still scheduled, its kind still on and
//! its channel still allowed, to the customer's address as it is now; only the dispatch that moves it
//! out of `scheduled` sends it.

use forewarn_core::customer::{Channel, Customer};
use forewarn_core::outcomes::{DispatchRequest, Outcome, OutcomeType};
use forewarn_core::policy::{DeliveryStatus, Suppression};
use jiff::Timestamp;

use crate::cancel::cancelled_outcome;
use crate::error::FlowError;
use crate::metrics::DeliveryResult;
use crate::ports::{Bus, Claims, Deliveries, Partitions, Scheduler, Sender};
use crate::records::{Address, Finish, StoredDelivery};
use crate::reminder::{disabled_of, question_of, questions_of};
use crate::report::{Report, device_disabled, row_outcome};
use crate::service::Service;
use crate::state;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries,
    Se: Sender,
    Sc: Scheduler,
    B: Bus,
{
    /// Sends the row `request` names, at `now`, if it is still due and allowed. The row is
    /// taken under a send lease first; a row another worker is sending is a retryable error
    /// until that worker's lease runs out. A receipt check (`request.receipt_check`) sends
    /// nothing itself: see `receipt`.
    pub async fn dispatch(&self, request: &DispatchRequest, now: Timestamp) -> Result<Report, FlowError> {
        if request.receipt_check {
            return self.check_receipt(request, now).await;
        }
        let cid = &request.customer_id;
        let Some(row) = self.store.delivery(request).await? else {
            return Ok(Report::of(
                Outcome::Missing,
                vec!["the schedule names a delivery that does not exist".into()],
            ));
        };
        if !state::takeable(&row, now) {
            return match (row.record.status, row.lease_until) {
                (DeliveryStatus::Sending, Some(until)) => Err(FlowError::Busy(format!(
                    "the delivery is being sent by another invocation until {until}"
                ))),
                (status, _) => {
                    // A worker that sent it may have died before putting its outcome event:
                    // put it again (outcome events are at least once).
                    let kind = match status {
                        DeliveryStatus::Sent => Some(OutcomeType::NotificationSent),
                        DeliveryStatus::Failed => Some(OutcomeType::NotificationFailed),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        // Its receipt check too, which that worker may not have scheduled.
                        self.await_receipts(std::slice::from_ref(&row), now).await?;
                        self.bus.publish(&[row_outcome(kind, &row, now)]).await?;
                    }
                    Ok(Report::duplicate(Suppression::DeliveryDone { status }))
                }
            };
        }
        crate::metrics::lateness(row.record.send_at, now);
        if let Some(ttl) = row.message.ttl.filter(|ttl| *ttl <= now) {
            let why = format!("expired: too late to matter (it did until {ttl})");
            return self.withdraw(&row, DeliveryStatus::Expired, why, now).await;
        }
        let part = self.store.load(cid, None).await?;
        let customer = part.customer()?;
        if let Some(why) = muted_since(customer.as_ref(), &row) {
            let why = format!("not sent: {why} since");
            return self.withdraw(&row, DeliveryStatus::Cancelled, why, now).await;
        }
        let mut row = row;
        match current_address(customer.as_ref(), &row) {
            Err(why) => {
                let why = format!("not sent: {why}");
                return self.withdraw(&row, DeliveryStatus::Cancelled, why, now).await;
            }
            Ok(to) if to != row.address => {
                row.address = to;
                row.reasons
                    .push(format!("sent to the customer's current {} address", row.record.channel));
            }
            Ok(_) => {}
        }
        if let Some(q) = question_of(&row) {
            // Asked before the message goes out, so the customer's answer always finds it.
            let ask = Finish {
                questions: vec![q],
                ..Finish::default()
            };
            self.store.finish(&ask).await?;
        }
        let Some(done) = self.deliver(&row, now).await? else {
            return Ok(Report::duplicate(Suppression::DeliveryTaken));
        };
        self.after_dispatch(done, now).await
    }

    /// Moves a due row that may no longer go out to `to` (cancelled or expired), with its
    /// `NotificationCancelled` event. A row left `sending` by a worker whose lease ran out is
    /// taken first, so no other worker acts on it meanwhile.
    async fn withdraw(
        &self,
        row: &StoredDelivery,
        to: DeliveryStatus,
        reason: String,
        now: Timestamp,
    ) -> Result<Report, FlowError> {
        let cancelled = if row.record.status == DeliveryStatus::Sending {
            let mine = state::taken(row, now, self.lease_seconds);
            let mut c = mine.clone();
            c.record.status = to;
            c.lease_until = None;
            c.failure = Some(format!("{reason} (an earlier attempt may have gone out)"));
            let moved =
                self.store.take(&mine, now).await? && self.store.transition(&c, DeliveryStatus::Sending).await?;
            if moved {
                crate::metrics::delivery(c.record.channel, DeliveryResult::withdrawn(to));
            }
            moved.then(|| cancelled_outcome(&c, None, now))
        } else {
            self.end_row(row, to, reason.clone(), None, now).await?
        };
        if let Some(o) = &cancelled {
            self.bus.publish(std::slice::from_ref(o)).await?;
        }
        let outcome = if to == DeliveryStatus::Expired {
            Outcome::Expired
        } else {
            Outcome::Cancelled
        };
        let mut r = Report::of(outcome, vec![reason]);
        r.cancelled = usize::from(cancelled.is_some());
        Ok(r)
    }

    /// Records what the send taught and puts its outcome events on the bus.
    async fn after_dispatch(&self, done: StoredDelivery, now: Timestamp) -> Result<Report, FlowError> {
        let sent = done.record.status == DeliveryStatus::Sent;
        let kind = if sent {
            OutcomeType::NotificationSent
        } else {
            OutcomeType::NotificationFailed
        };
        let cid = done.customer_id.clone();
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
        self.await_receipts(&done, now).await?;
        let mut outcomes = vec![row_outcome(kind, &done[0], now)];
        let r = &done[0].record;
        outcomes.extend(
            finish
                .disabled_devices
                .iter()
                .map(|(id, why)| device_disabled(&r.event_id, r.detail_type, &cid, id, why, now)),
        );
        self.bus.publish(&outcomes).await?;
        let mut report = Report::of(
            if sent { Outcome::Sent } else { Outcome::Failed },
            done[0].reasons.clone(),
        );
        report.customer_id = Some(cid);
        report.channels = vec![r.channel];
        report.send_at = Some(r.send_at);
        report.sent = usize::from(sent);
        Ok(report)
    }
}

/// Why a held row may no longer go out because the customer turned its kind or category off
/// after it was decided; a critical kind stays on.
fn muted_since(customer: Option<&Customer>, row: &StoredDelivery) -> Option<Suppression> {
    let kind = row.record.detail_type.kind()?;
    forewarn_core::policy::muted_since(customer?, kind)
}

/// Where a scheduled row goes now, read from the current profile: the address may have
/// changed since the row was decided, or become unusable (a hard bounce, an opt-out, a
/// disabled device). `Err` says why the row may no longer go out.
fn current_address(customer: Option<&Customer>, row: &StoredDelivery) -> Result<Address, String> {
    let Some(c) = customer else {
        return Err("the customer's profile is gone".to_owned());
    };
    let channel = row.record.channel;
    if c.has_opted_out(channel) {
        return Err(format!("the customer opted out of {channel} since"));
    }
    match c.destination(channel, row.device_id.as_ref()) {
        Some(to) => Ok(Address::from_destination(&to)),
        None if channel == Channel::Push => Err("the device can no longer receive push".to_owned()),
        None => Err(format!("the customer has no usable {channel} address any more")),
    }
}
