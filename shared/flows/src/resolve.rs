//! resolve: a resolving event (`BalanceRestored`, `ApplicationCompleted`,
//! `TransactionConfirmed`, `TransactionDisputed`). The policy says which pending notices it
//! cancels and which open questions it closes; this flow does it.

use forewarn_core::catalog::catalog;
use forewarn_core::events::Event;
use forewarn_core::policy::{Context, DeliveryRecord};
use jiff::Timestamp;

use crate::cancel::cancelled_before;
use crate::error::FlowError;
use crate::ports::{Bus, Deliveries, Partitions, Phones, Resolutions, Scheduler};
use crate::records::{Answer, AnswerKind, Resolution};
use crate::reminder::question_of;
use crate::report::Report;
use crate::service::Service;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Deliveries + Phones + Resolutions,
    Sc: Scheduler,
    B: Bus,
{
    /// Cancels the pending rows of the resolved subject (deleting their schedules) and
    /// closes the questions it answers.
    pub async fn resolve(&self, event: &Event, now: Timestamp) -> Result<Report, FlowError> {
        let cid = event.detail.customer_id().clone();
        let part = self.store.load(&cid, None).await?;
        let customer = part.customer()?;
        let history: Vec<DeliveryRecord> = part.deliveries.iter().map(|d| d.record.clone()).collect();
        let ctx = Context {
            customer: customer.as_ref(),
            history: &history,
            seen_before: false,
        };
        let plan = forewarn_core::policy::decide(&self.engine.policy, event, &ctx, now);
        // Kept first, so a notice of these subjects that arrives later is not sent. A subject
        // matched on its leading fields only is kept as a prefix (`Subject::is_prefix`).
        let settled = catalog().resolved_subjects(event.detail_type().as_str(), &event.detail.to_json());
        for subject in settled {
            let resolution = Resolution {
                subject,
                event_id: event.id.clone(),
                detail_type: event.detail_type().to_string(),
                at: event.time.0,
            };
            self.store.resolved(&cid, &resolution).await?;
        }
        let mut outcomes = cancelled_before(&part.deliveries, &event.id, now);
        self.delete_schedules_of(&part.deliveries, &event.id).await?;
        for c in &plan.cancellations {
            for row in part
                .deliveries
                .iter()
                .filter(|d| d.record.event_id == c.event_id && d.record.subject == c.subject && d.record.is_pending())
            {
                if let Some(o) = self.cancel_pending(row, c.reason.clone(), Some(&event.id), now).await? {
                    outcomes.push(o);
                }
            }
        }
        for closed in &plan.closes {
            for mut q in part
                .deliveries
                .iter()
                .filter(|d| &d.record.event_id == closed)
                .filter_map(question_of)
            {
                q.answer = Some(Answer {
                    intent: AnswerKind::Closed,
                    at: now,
                    inbound_message_id: event.id.to_string(),
                });
                self.store.answer(&q).await?;
            }
        }
        self.bus.publish(&outcomes).await?;
        Ok(Report {
            outcome: plan.outcome,
            customer_id: Some(cid),
            reasons: plan.reasons,
            cancelled: outcomes.len(),
            ..Report::default()
        })
    }
}
