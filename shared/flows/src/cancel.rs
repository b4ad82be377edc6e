//! Withdrawing a pending row: one conditional move from `scheduled` to `cancelled`, its
//! schedule deleted, and the `NotificationCancelled` event. Every flow that cancels uses this.

use forewarn_core::outcomes::{OutcomeEvent, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use jiff::Timestamp;

use crate::error::FlowError;
use crate::metrics::DeliveryResult;
use crate::ports::{Deliveries, Scheduler};
use crate::records::StoredDelivery;
use crate::report::row_outcome;
use crate::service::Service;

/// The `NotificationCancelled` event of a row, cancelled because of `by_event_id` if another event did it.
pub(crate) fn cancelled_outcome(row: &StoredDelivery, by_event_id: Option<&Id>, now: Timestamp) -> OutcomeEvent {
    let mut o = row_outcome(OutcomeType::NotificationCancelled, row, now);
    o.by_event_id = by_event_id.map(Id::to_string);
    o
}

impl<St: Deliveries, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Cancels `row` if it is still scheduled: the cancellation's event, or `None` when
    /// another step (a dispatch, another cancellation) got there first.
    pub(crate) async fn cancel_row(
        &self,
        row: &StoredDelivery,
        reason: String,
        by_event_id: Option<&Id>,
        now: Timestamp,
    ) -> Result<Option<OutcomeEvent>, FlowError> {
        self.end_row(row, DeliveryStatus::Cancelled, reason, by_event_id, now)
            .await
    }

    /// Moves `row` from `scheduled` to `to` (cancelled or expired) with its
    /// `NotificationCancelled` event, or `None` when another step got there first.
    pub(crate) async fn end_row(
        &self,
        row: &StoredDelivery,
        to: DeliveryStatus,
        reason: String,
        by_event_id: Option<&Id>,
        now: Timestamp,
    ) -> Result<Option<OutcomeEvent>, FlowError> {
        let mut r = row.clone();
        r.record.status = to;
        r.failure = Some(reason);
        r.cancelled_by = by_event_id.cloned();
        if !self.store.transition(&r, DeliveryStatus::Scheduled).await? {
            return Ok(None);
        }
        crate::metrics::delivery(r.record.channel, DeliveryResult::withdrawn(to));
        Ok(Some(cancelled_outcome(&r, by_event_id, now)))
    }
}

/// The `NotificationCancelled` events of rows that `by` cancelled on an earlier attempt that
/// died before putting them: a retry puts them again (outcome events are at least once).
pub(crate) fn cancelled_before<'a>(
    rows: impl IntoIterator<Item = &'a StoredDelivery>,
    by: &Id,
    now: Timestamp,
) -> Vec<OutcomeEvent> {
    rows.into_iter()
        .filter(|r| r.record.status == DeliveryStatus::Cancelled && r.cancelled_by.as_ref() == Some(by))
        .map(|r| cancelled_outcome(r, Some(by), now))
        .collect()
}

impl<St: Deliveries, Se, Sc: Scheduler, B> Service<St, Se, Sc, B> {
    /// Deletes the schedules of rows that `by` cancelled on an earlier attempt, which may have
    /// died between the cancellation and the delete (a missing schedule counts as deleted).
    pub(crate) async fn delete_schedules_of(&self, rows: &[StoredDelivery], by: &Id) -> Result<(), FlowError> {
        for r in rows.iter().filter(|r| r.cancelled_by.as_ref() == Some(by)) {
            self.scheduler.delete(&r.key()).await?;
        }
        Ok(())
    }

    /// Cancels `row` if it is still scheduled and deletes its schedule.
    pub(crate) async fn cancel_pending(
        &self,
        row: &StoredDelivery,
        reason: String,
        by_event_id: Option<&Id>,
        now: Timestamp,
    ) -> Result<Option<OutcomeEvent>, FlowError> {
        let cancelled = self.cancel_row(row, reason, by_event_id, now).await?;
        if cancelled.is_some() {
            self.scheduler.delete(&row.key()).await?;
        }
        Ok(cancelled)
    }
}
