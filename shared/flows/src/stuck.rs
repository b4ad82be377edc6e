//! Rows stuck pending: a row still `scheduled` (or `sending` under a lapsed lease) hours after
//! its time had every retry of its schedule fail. Left alone it would look pending for 30
//! days, suppress later notices of its subject and count against the daily cap; instead the
//! next decision for the customer fails it, with a reason and a `NotificationFailed`, and so
//! does the periodic sweep, for customers no later decision touches.

use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use jiff::{Timestamp, ToSpan};

use crate::error::FlowError;
use crate::ports::{Bus, Deliveries, Overdue};
use crate::records::{Partition, StoredDelivery};
use crate::report::{Report, row_outcome};
use crate::service::Service;
use crate::state;

/// How long after its time a pending row is given up: past Scheduler's hour of retries and
/// Lambda's hour of event age, with room to spare.
pub const STUCK_AFTER_HOURS: i64 = 3;

/// Whether `row` is still pending at `now` long after it should have gone out.
pub fn is_stuck(row: &StoredDelivery, now: Timestamp) -> bool {
    row.record.is_pending() && state::takeable(row, now) && row.record.send_at + STUCK_AFTER_HOURS.hours() < now
}

/// How many overdue rows one sweep looks at; the next sweep takes the rest.
pub const SWEEP_LIMIT: usize = 200;

impl<St: Deliveries, Se, Sc, B> Service<St, Se, Sc, B> {
    /// Fails the stuck rows of `part`, and marks them failed in `part` so the decision that
    /// follows does not count them as pending. Returns them, still `unreported`.
    pub(crate) async fn fail_stuck(
        &self,
        part: &mut Partition,
        now: Timestamp,
    ) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut failed = Vec::new();
        for row in part.deliveries.iter_mut().filter(|r| is_stuck(r, now)) {
            if let Some(f) = self.fail_row(row, now).await? {
                *row = f.clone();
                failed.push(f);
            }
        }
        crate::metrics::stuck(failed.len());
        Ok(failed)
    }

    /// Fails one stuck row by a conditional write on the state it was read in (a row left
    /// `sending` is taken first), `unreported` until its event is on the bus; `None` if it
    /// moved on meanwhile.
    async fn fail_row(&self, row: &StoredDelivery, now: Timestamp) -> Result<Option<StoredDelivery>, FlowError> {
        let mut failed = if row.record.status == DeliveryStatus::Sending {
            let mine = state::taken(row, now, self.lease_seconds);
            if !self.store.take(&mine, now).await? {
                return Ok(None);
            }
            mine
        } else {
            row.clone()
        };
        let from = failed.record.status;
        failed.record.status = DeliveryStatus::Failed;
        failed.lease_until = None;
        failed.unreported = true;
        failed.failure = Some(format!(
            "stuck: still {} {STUCK_AFTER_HOURS} h after {}; every retry of its schedule failed",
            if from == DeliveryStatus::Sending {
                "being sent"
            } else {
                "scheduled"
            },
            failed.record.send_at
        ));
        if !self.store.transition(&failed, from).await? {
            return Ok(None);
        }
        crate::metrics::delivery(failed.record.channel, crate::metrics::DeliveryResult::Failed);
        Ok(Some(failed))
    }

    /// Records that the `NotificationFailed` of each stuck row is on the bus. A write that
    /// fails leaves the row to the next sweep, which puts the event again: no error here.
    pub(crate) async fn mark_reported(&self, rows: &[StoredDelivery]) {
        for row in rows {
            let mut reported = row.clone();
            reported.unreported = false;
            let _ = self.store.transition(&reported, DeliveryStatus::Failed).await;
        }
    }
}

impl<St: Deliveries + Overdue, Se, Sc, B: Bus> Service<St, Se, Sc, B> {
    /// The periodic sweep: fails every row stuck past its horizon, whoever its customer, and
    /// puts a `NotificationFailed` for each, so a row no later decision would touch is
    /// accounted for too. A row an earlier sweep failed without reporting is reported now.
    pub async fn sweep(&self, now: Timestamp) -> Result<Report, FlowError> {
        let overdue = self.store.overdue(now - STUCK_AFTER_HOURS.hours(), SWEEP_LIMIT).await?;
        let mut failed = Vec::new();
        let mut newly = 0;
        for row in &overdue {
            if is_stuck(row, now) {
                let f = self.fail_row(row, now).await?;
                newly += usize::from(f.is_some());
                failed.extend(f);
            } else if row.unreported && row.record.status == DeliveryStatus::Failed {
                failed.push(row.clone());
            }
        }
        crate::metrics::stuck(newly);
        let outcomes: Vec<OutcomeEvent> = failed
            .iter()
            .map(|r| row_outcome(OutcomeType::NotificationFailed, r, now))
            .collect();
        self.bus.publish(&outcomes).await?;
        self.mark_reported(&failed).await;
        let mut reasons = vec![format!(
            "{} row(s) stuck past {STUCK_AFTER_HOURS} h failed and reported",
            failed.len()
        )];
        if overdue.len() == SWEEP_LIMIT {
            reasons.push(format!(
                "looked at the {SWEEP_LIMIT} oldest overdue rows; the next sweep takes the rest"
            ));
        }
        Ok(Report::of(Outcome::Swept, reasons))
    }
}
