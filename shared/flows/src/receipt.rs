//! receipt: a critical text its provider has not reported delivered within the kind's `receipt_within_minutes` falls over once to the next channel (`reroute`), as if it had failed.

use forewarn_core::customer::Channel;
use forewarn_core::outcomes::{DispatchRequest, Outcome, OutcomeType};
use forewarn_core::policy::{DeliveryStatus, Suppression, Urgency};
use jiff::{SignedDuration, Timestamp};

use crate::error::FlowError;
use crate::metrics::DeliveryResult;
use crate::ports::{Bus, Claims, Deliveries, Partitions, Scheduler, Sender};
use crate::records::StoredDelivery;
use crate::report::Report;
use crate::reroute::{UNCONFIRMED_REROUTED, is_rerouted};
use crate::service::Service;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    Se: Sender,
    Sc: Scheduler,
{
    /// Schedules, at `now` plus the kind's window, the receipt check of each row of `done`
    /// that awaits one ([`receipt_window`]) when the sender reports texts delivered. An
    /// existing check counts as scheduled, so a retry may schedule again.
    pub(crate) async fn await_receipts(&self, done: &[StoredDelivery], now: Timestamp) -> Result<usize, FlowError> {
        let mut scheduled = 0;
        for row in done {
            let Some(window) = receipt_window(row).filter(|_| self.sender.reports_delivery(row.record.channel)) else {
                continue;
            };
            self.scheduler.create(now + window, &receipt_check(row)).await?;
            scheduled += 1;
        }
        Ok(scheduled)
    }
}

/// The request of `row`'s receipt check: the row's key, marked.
pub fn receipt_check(row: &StoredDelivery) -> DispatchRequest {
    DispatchRequest {
        receipt_check: true,
        ..row.key()
    }
}

/// How long `row`'s text has to be reported delivered: a critical text just sent, of a kind
/// that gives a window. Reminders and re-routed texts await none (an alert falls over once).
pub fn receipt_window(row: &StoredDelivery) -> Option<SignedDuration> {
    let r = &row.record;
    let awaits = r.channel == Channel::Sms
        && r.status == DeliveryStatus::Sent
        && r.urgency == Urgency::Critical
        && !row.reminder
        && !is_rerouted(row);
    if !awaits {
        return None;
    }
    r.detail_type.kind()?.receipt_window()
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries,
    Se: Sender,
    B: Bus,
{
    /// The receipt check `request` names, at `now`: a text still sent and not reported
    /// delivered falls over once (`reroute_as`, which sends nothing once the subject was
    /// resolved or another channel reached the customer). The text's row stays `sent`: a
    /// late receipt still settles it. A text reported delivered, or a row no longer sent
    /// (failed and re-routed by its delivery event, withdrawn), changes nothing.
    pub(crate) async fn check_receipt(&self, request: &DispatchRequest, now: Timestamp) -> Result<Report, FlowError> {
        let said = |outcome, why: String| Ok(Report::of(outcome, vec![why]));
        let Some(row) = self.store.delivery(request).await? else {
            return said(
                Outcome::Missing,
                "the receipt check names a delivery that does not exist".into(),
            );
        };
        if let Some(at) = row.delivered_at {
            return said(Outcome::Delivered, format!("the text was reported delivered at {at}"));
        }
        if row.record.status != DeliveryStatus::Sent {
            let status = row.record.status;
            return Ok(Report::duplicate(Suppression::DeliveryDone { status }));
        }
        let minutes = receipt_window(&row).map_or(0, |w| w.as_mins());
        let unconfirmed = format!("the text was not reported delivered within {minutes} min of sending");
        crate::metrics::delivery(Channel::Sms, DeliveryResult::Unconfirmed);
        let rerouted = self.reroute_as(&row, now, UNCONFIRMED_REROUTED).await?;
        if !rerouted.outcomes.is_empty() {
            self.bus.publish(&rerouted.outcomes).await?;
        }
        let sent = rerouted
            .outcomes
            .iter()
            .filter(|o| o.detail_type == OutcomeType::NotificationSent)
            .count();
        let mut report = Report::of(
            if sent > 0 { Outcome::Sent } else { Outcome::Suppressed },
            std::iter::once(unconfirmed).chain(rerouted.reasons).collect(),
        );
        report.customer_id = Some(row.customer_id.clone());
        report.sent = sent;
        Ok(report)
    }
}
