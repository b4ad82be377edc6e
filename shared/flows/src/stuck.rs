//! Rows stuck pending: a row still `scheduled` (or `sending` under a lapsed lease) hours after
//! its time had every retry of its schedule fail. Left alone it would look pending for 30
//! days, suppress later notices of its subject and count against the daily cap; instead the
//! next decision for the customer fails it, with a reason and a `NotificationFailed`.

use forewarn_core::outcomes::{OutcomeEvent, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use jiff::{Timestamp, ToSpan};

use crate::error::PortError;
use crate::ports::Deliveries;
use crate::records::{Partition, StoredDelivery};
use crate::report::row_outcome;
use crate::service::Service;
use crate::state;

/// How long after its time a pending row is given up: past Scheduler's hour of retries and
/// Lambda's hour of event age, with room to spare.
pub const STUCK_AFTER_HOURS: i64 = 3;

/// Whether `row` is still pending at `now` long after it should have gone out.
pub fn is_stuck(row: &StoredDelivery, now: Timestamp) -> bool {
    row.record.is_pending() && state::takeable(row, now) && row.record.send_at + STUCK_AFTER_HOURS.hours() < now
}

impl<St: Deliveries, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Fails the stuck rows of `part`, each by a conditional write on the state it was read
    /// in, and marks them failed in `part` so the decision that follows does not count them
    /// as pending. Returns their `NotificationFailed` events.
    pub(crate) async fn fail_stuck(
        &self,
        part: &mut Partition,
        now: Timestamp,
    ) -> Result<Vec<OutcomeEvent>, PortError> {
        let mut outcomes = Vec::new();
        for row in part.deliveries.iter_mut().filter(|r| is_stuck(r, now)) {
            let mut failed = if row.record.status == DeliveryStatus::Sending {
                let mine = state::taken(row, now, self.lease_seconds);
                if !self.store.take(&mine, now).await? {
                    continue;
                }
                mine
            } else {
                row.clone()
            };
            let from = failed.record.status;
            failed.record.status = DeliveryStatus::Failed;
            failed.lease_until = None;
            failed.failure = Some(format!(
                "stuck: still {} {STUCK_AFTER_HOURS} h after {}; every retry of its schedule failed",
                if from == DeliveryStatus::Sending {
                    "being sent"
                } else {
                    "scheduled"
                },
                failed.record.send_at
            ));
            if self.store.transition(&failed, from).await? {
                outcomes.push(row_outcome(OutcomeType::NotificationFailed, &failed, now));
                *row = failed;
            }
        }
        Ok(outcomes)
    }
}
