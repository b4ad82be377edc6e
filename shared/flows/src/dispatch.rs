//! dispatch: a schedule fired. The row is sent if it is still scheduled and its channel is
//! still allowed; only the dispatch that moves it out of `scheduled` sends it.

use forewarn_core::customer::{Channel, Customer};
use forewarn_core::outcomes::{DispatchRequest, Outcome, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use jiff::Timestamp;

use crate::error::PortError;
use crate::ports::{Bus, Claims, Deliveries, Partitions, Sender};
use crate::records::{Finish, StoredDelivery};
use crate::reminder::{disabled_of, questions_of};
use crate::report::{Report, device_disabled, row_outcome};
use crate::service::Service;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries,
    Se: Sender,
    B: Bus,
{
    /// Sends the row `request` names, at `now`, if it is still due and allowed.
    pub async fn dispatch(&self, request: &DispatchRequest, now: Timestamp) -> Result<Report, PortError> {
        let cid = &request.customer_id;
        let Some(row) = self.store.delivery(request).await? else {
            return Ok(Report::of(
                Outcome::Missing,
                vec!["the schedule names a delivery that does not exist".into()],
            ));
        };
        if row.record.status != DeliveryStatus::Scheduled {
            return Ok(Report::duplicate(format!(
                "the delivery is {:?} already: nothing to send",
                row.record.status
            )));
        }
        let part = self.store.load(cid, None).await?;
        let customer = part.profile.as_ref().and_then(|p| Customer::from_profile(p).ok());
        if let Some(why) = blocked(customer.as_ref(), &row) {
            let reason = format!("not sent: {why}");
            let cancelled = self.cancel_row(&row, reason.clone(), None, now).await?;
            if let Some(o) = &cancelled {
                self.bus.publish(std::slice::from_ref(o)).await?;
            }
            let mut r = Report::of(Outcome::Cancelled, vec![reason]);
            r.cancelled = usize::from(cancelled.is_some());
            return Ok(r);
        }
        // Only one dispatch may move the row out of `scheduled`: that one sends.
        let mut sending = row.clone();
        sending.record.status = DeliveryStatus::Sent;
        if !self.store.transition(&sending, DeliveryStatus::Scheduled).await? {
            return Ok(Report::duplicate(
                "another dispatch or a cancellation got to the delivery first".into(),
            ));
        }
        let done = self.send_row(row).await?;
        self.store.transition(&done, DeliveryStatus::Sent).await?;
        self.after_dispatch(done, now).await
    }

    /// Records what the send taught and puts its outcome events on the bus.
    async fn after_dispatch(&self, done: StoredDelivery, now: Timestamp) -> Result<Report, PortError> {
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

/// Why a scheduled row may no longer go out, if it may not.
fn blocked(customer: Option<&Customer>, row: &StoredDelivery) -> Option<String> {
    match customer {
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
    }
}
