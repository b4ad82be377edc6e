//! Sending due rows: each taken under a send lease, sent by the worker that took it and
//! settled by a conditional write; with failover to the next reachable channel when none got
//! through.

use forewarn_core::customer::Customer;
use forewarn_core::events::Event;
use forewarn_core::policy::{Context, DeliveryStatus};
use jiff::Timestamp;

use crate::error::FlowError;
use crate::metrics::{DeliveryResult, ProviderErrorClass};
use crate::ports::{Claims, Deliveries, Sender};
use crate::records::{Address, Finish, SendResult, StoredDelivery, StoredMessage};
use crate::reminder::question_of;
use crate::service::Service;
use crate::state;

impl<St: Deliveries, Se: Sender, Sc, B> Service<St, Se, Sc, B> {
    /// Takes `row` (as read) for sending at `now`, sends it and records the result: only the
    /// worker whose take succeeded sends. `None` when the row was not there to take: another
    /// worker holds it, or it is final. A retryable failure hands the row back to `scheduled`
    /// before it is reported, so Lambda's retry takes it at once.
    pub(crate) async fn deliver(
        &self,
        row: &StoredDelivery,
        now: Timestamp,
    ) -> Result<Option<StoredDelivery>, FlowError> {
        let mine = state::taken(row, now, self.lease_seconds);
        if !self.store.take(&mine, now).await? {
            return Ok(None);
        }
        let done = match self.send_row(mine.clone()).await {
            Ok(done) => done,
            Err(e) => {
                let class = if e.retryable() {
                    ProviderErrorClass::Retryable
                } else {
                    ProviderErrorClass::Permanent
                };
                let service = match &e {
                    FlowError::Port { port, .. } => *port,
                    _ => self.sender.provider(mine.record.channel),
                };
                crate::metrics::provider_error(service, class);
                // If this write fails too, the lease runs out and a retry takes the row over.
                let _ = self
                    .store
                    .transition(&state::released(&mine), DeliveryStatus::Sending)
                    .await;
                return Err(e);
            }
        };
        let mut settled = done.clone();
        settled.lease_until = None;
        match settled.record.status {
            DeliveryStatus::Sent => crate::metrics::sent(settled.record.channel),
            _ => crate::metrics::delivery(settled.record.channel, DeliveryResult::Failed),
        }
        if !self.settle(&settled).await? {
            // Our lease ran out and another worker took the row over: it records the result.
            let mut late = done;
            late.reasons
                .push("sent after the send lease ran out; the worker that took over records the row".into());
            return Ok(Some(late));
        }
        Ok(Some(settled))
    }
}

impl<St: Deliveries, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Records a sent or failed row over the attempt that sent it. The message already went
    /// out and a retry of the invocation would send it again, so any error is tried again, up
    /// to `SETTLE_TRIES` times, before it is reported.
    async fn settle(&self, row: &StoredDelivery) -> Result<bool, FlowError> {
        let mut tries = 1;
        loop {
            match self.store.transition(row, DeliveryStatus::Sending).await {
                Err(_) if tries < SETTLE_TRIES => tries += 1,
                result => return result,
            }
        }
    }
}

/// How many times the record of a send is tried before the error is reported.
const SETTLE_TRIES: usize = 3;

impl<St: Deliveries + Claims, Se: Sender, Sc, B> Service<St, Se, Sc, B> {
    /// Sends due rows, each through `deliver`: a row that is no longer there to take
    /// (cancelled, or being sent by another worker) is skipped; one that an invocation which
    /// died before recording it sent or failed already is reported as it stands. When none
    /// got through, the channels that failed are taken out and the policy picks the next
    /// reachable one (e.g. push to a disabled endpoint → SMS), written as a row of its own
    /// before it is sent.
    pub(crate) async fn send_with_failover(
        &self,
        event: &Event,
        customer: Option<&Customer>,
        rows: Vec<StoredDelivery>,
        now: Timestamp,
    ) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut done = Vec::with_capacity(rows.len());
        for row in rows {
            match self.deliver(&row, now).await? {
                Some(d) => done.push(d),
                None if matches!(row.record.status, DeliveryStatus::Sent | DeliveryStatus::Failed) => done.push(row),
                None => {}
            }
        }
        let failed: Vec<&StoredDelivery> = done
            .iter()
            .filter(|r| r.record.status == DeliveryStatus::Failed)
            .collect();
        let (Some(customer), true) = (customer, !failed.is_empty() && failed.len() == done.len()) else {
            return Ok(done);
        };
        failed.iter().for_each(|r| crate::metrics::failover(r.record.channel));
        let more = self.fail_over(event, customer, &failed, now, None).await?;
        done.extend(more);
        Ok(done)
    }

    /// Writes and sends the rows the policy picks when every channel in `failed` failed,
    /// each with `note` among its reasons. A row an earlier attempt wrote already is taken
    /// as it stands, if nobody sent it yet.
    pub(crate) async fn fail_over(
        &self,
        event: &Event,
        customer: &Customer,
        failed: &[&StoredDelivery],
        now: Timestamp,
        note: Option<&str>,
    ) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut done = Vec::new();
        for mut row in self.failover_rows(event, customer, failed, now)? {
            row.reasons.extend(note.map(str::to_owned));
            if !self.store.insert(&row).await? {
                // Written by an earlier attempt, which may have died before sending it.
                if let Some(stored) = self.store.delivery(&row.key()).await? {
                    done.extend(self.deliver(&stored, now).await?);
                }
                continue;
            }
            if let Some(q) = question_of(&row) {
                self.store
                    .finish(&Finish {
                        questions: vec![q],
                        ..Finish::default()
                    })
                    .await?;
            }
            done.extend(self.deliver(&row, now).await?);
        }
        Ok(done)
    }

    /// The rows the policy picks when every channel in `failed` failed.
    fn failover_rows(
        &self,
        event: &Event,
        customer: &Customer,
        failed: &[&StoredDelivery],
        now: Timestamp,
    ) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut fallback = customer.clone();
        for r in failed {
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
        let ctx = Context {
            customer: Some(&fallback),
            history: &[],
            seen_before: false,
        };
        let retry = self
            .engine
            .decide(event, &ctx, now)
            .map_err(|e| FlowError::Render(e.to_string()))?;
        Ok(retry
            .deliveries
            .iter()
            .map(|d| {
                let mut row = failed[0].clone();
                row.record.channel = d.route.channel;
                row.record.status = DeliveryStatus::Scheduled;
                row.record.expects_reply = d.message.expects_reply;
                row.device_id = d.route.device_id.clone();
                row.address = Address::from_destination(&d.to);
                row.message = StoredMessage {
                    about: failed[0].message.about.clone(),
                    intrusion: d.route.intrusion,
                    ..StoredMessage::from(&d.message)
                };
                row.failure = None;
                row.provider_message_id = None;
                row.attempt = 0;
                row.lease_until = None;
                row.reasons.push(format!("failed over from {from}"));
                row
            })
            .collect())
    }
}

impl<St, Se: Sender, Sc, B> Service<St, Se, Sc, B> {
    /// Sends one row and returns it `sent` (with the provider's id) or `failed` (with why).
    pub(crate) async fn send_row(&self, mut row: StoredDelivery) -> Result<StoredDelivery, FlowError> {
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
                crate::metrics::provider_error(self.sender.provider(row.record.channel), ProviderErrorClass::Refused);
                row.record.status = DeliveryStatus::Failed;
                row.failure = Some(format!("{} unreachable: {why}", row.record.channel));
            }
        }
        Ok(row)
    }
}
