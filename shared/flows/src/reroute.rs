//! Re-routing a critical alert whose email bounced hard after it was sent: SES accepts mail
//! to an address on its suppression list and bounces it minutes later, so the send looked
//! fine and no failover ran. The alert goes to the next reachable channel, decided on the
//! same event (kept with its claim), as if the send had failed then.

use forewarn_core::events::{Event, parse_event_value};
use forewarn_core::outcomes::{OutcomeEvent, OutcomeType};
use forewarn_core::policy::{DeliveryStatus, Urgency};
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::{Claims, Deliveries, Partitions, Sender};
use crate::records::{Finish, Partition, StoredDelivery};
use crate::reminder::{disabled_of, questions_of};
use crate::report::{device_disabled, row_outcome};
use crate::service::Service;

/// The reason every re-routed row carries, which also tells a retry which rows it sent.
pub const REROUTED: &str = "re-routed: the critical email bounced hard after it was sent";

/// The reason of a row re-routed because the critical text failed after it was sent.
pub const SMS_REROUTED: &str = "re-routed: the critical SMS failed after it was sent";

/// The reason of a row re-routed because the critical text was not reported delivered
/// within its kind's `receipt_within_minutes` (`receipt`).
pub const UNCONFIRMED_REROUTED: &str = "re-routed: the critical SMS was not reported delivered in time";

/// Every reason a re-routed row carries: a retry finds the rows an earlier attempt sent by them.
const REROUTES: [&str; 3] = [REROUTED, SMS_REROUTED, UNCONFIRMED_REROUTED];

/// Whether `row` was sent by a re-route (it carries one of `REROUTES`).
pub(crate) fn is_rerouted(row: &StoredDelivery) -> bool {
    row.reasons.iter().any(|w| REROUTES.contains(&w.as_str()))
}

/// What re-routing did: the outcome events of the rows it sent or failed, and why not when
/// it did not.
#[derive(Debug, Default)]
pub struct Rerouted {
    pub outcomes: Vec<OutcomeEvent>,
    pub reasons: Vec<String>,
}

impl Rerouted {
    fn not(why: impl Into<String>) -> Rerouted {
        Rerouted {
            outcomes: vec![],
            reasons: vec![format!("not re-routed: {}", why.into())],
        }
    }
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries,
    Se: Sender,
{
    /// Sends the alert of `bounced` (an email row just failed by a hard bounce) on the next
    /// reachable channel, unless it is not critical, is too late to matter, or reached the
    /// customer on another channel. A retry finds the rows it wrote by their reason and
    /// reports them again instead of sending anything twice.
    pub(crate) async fn reroute(&self, bounced: &StoredDelivery, now: Timestamp) -> Result<Rerouted, FlowError> {
        self.reroute_as(bounced, now, REROUTED).await
    }

    /// `reroute`, with the reason (one of `REROUTES`) the re-routed rows carry. `bounced` is
    /// failed, or (`UNCONFIRMED_REROUTED`) sent but not reported delivered. Nothing is sent
    /// once the alert's subject was resolved (the customer answered, the bank closed it).
    pub(crate) async fn reroute_as(
        &self,
        bounced: &StoredDelivery,
        now: Timestamp,
        why: &'static str,
    ) -> Result<Rerouted, FlowError> {
        if bounced.record.urgency != Urgency::Critical || bounced.reminder {
            return Ok(Rerouted::default());
        }
        if bounced.message.ttl.is_some_and(|ttl| ttl <= now) {
            return Ok(Rerouted::not(
                "the alert stopped mattering before its failure was reported",
            ));
        }
        let cid = &bounced.customer_id;
        let part = self.store.load(cid, Some(&bounced.record.event_id)).await?;
        let Some(customer) = part.customer()? else {
            return Ok(Rerouted::not("the customer's profile is gone"));
        };
        let Some(envelope) = part.claim.as_ref().and_then(|c| c.event.clone()) else {
            return Ok(Rerouted::not("the event it alerted about is no longer kept"));
        };
        let event = parse_event_value(envelope).map_err(|e| FlowError::corrupt("event kept with a claim", e))?;
        let rows: Vec<&StoredDelivery> = part
            .deliveries
            .iter()
            .filter(|r| r.record.event_id == event.id && !r.reminder)
            .collect();
        let rerouted: Vec<StoredDelivery> = rows
            .iter()
            .filter(|r| is_rerouted(r) && r.record.status == DeliveryStatus::Sent)
            .map(|r| (*r).clone())
            .collect();
        if !rerouted.is_empty() {
            let again = sent_or_failed(&rerouted, now);
            // An earlier attempt re-routed it and died before putting the events.
            return Ok(Rerouted {
                outcomes: again,
                reasons: vec![why.to_owned()],
            });
        }
        if let Some(why) = moot(&part, &rows, bounced, &event) {
            return Ok(Rerouted::not(why));
        }
        let failed: Vec<&StoredDelivery> = rows
            .iter()
            .copied()
            .filter(|r| r.record.status == DeliveryStatus::Failed || r.is(&bounced.key()))
            .collect();
        crate::metrics::failover(bounced.record.channel);
        let done = self.fail_over(&event, &customer, &failed, now, Some(why)).await?;
        let disabled = disabled_of(&done);
        let finish = Finish {
            customer_id: Some(cid.clone()),
            questions: questions_of(&done),
            disabled_devices: disabled.clone(),
            ..Finish::default()
        };
        if !finish.is_empty() {
            self.store.finish(&finish).await?;
        }
        let mut outcomes = sent_or_failed(&done, now);
        let (source, event_id) = (event.detail_type(), &event.id);
        outcomes.extend(
            disabled
                .iter()
                .map(|(id, why)| device_disabled(event_id, source, cid, id, why, now)),
        );
        let reasons = match done.iter().find(|r| r.record.status == DeliveryStatus::Sent) {
            Some(r) => vec![format!("{why}: sent by {}", r.record.channel)],
            None => vec!["not re-routed: no other channel could take the alert".to_owned()],
        };
        Ok(Rerouted { outcomes, reasons })
    }
}

/// Why the alert of `bounced` needs no other channel: its subject was resolved (the customer
/// answered, the bank closed it), or another of its rows went out.
fn moot(part: &Partition, rows: &[&StoredDelivery], bounced: &StoredDelivery, event: &Event) -> Option<String> {
    let subject = &bounced.record.subject;
    if let Some(r) = part
        .resolutions
        .iter()
        .find(|r| r.subject.matches(subject) && r.at >= event.time.0)
    {
        return Some(format!("{} ({}) resolved the alert first", r.detail_type, r.event_id));
    }
    rows.iter()
        .find(|r| r.record.status == DeliveryStatus::Sent && !r.is(&bounced.key()))
        .map(|other| format!("the alert went out by {} too", other.record.channel))
}

/// The `NotificationSent` or `NotificationFailed` of each row.
fn sent_or_failed(rows: &[StoredDelivery], now: Timestamp) -> Vec<OutcomeEvent> {
    rows.iter()
        .map(|r| {
            let kind = match r.record.status {
                DeliveryStatus::Sent => OutcomeType::NotificationSent,
                _ => OutcomeType::NotificationFailed,
            };
            row_outcome(kind, r, now)
        })
        .collect()
}
