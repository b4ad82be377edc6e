//! feedback: what the email provider said about one email (delivered, bounced, complained).
//! A hard bounce or a complaint makes the address unusable for later decisions; a hard
//! bounce of a critical alert re-routes it (`reroute`).

use forewarn_core::customer::{Channel, UnusableContact};
use forewarn_core::outcomes::{Outcome, OutcomeType};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use jiff::Timestamp;

use crate::error::FlowError;
use crate::metrics::DeliveryResult;
use crate::ports::{Bus, Claims, Contacts, Deliveries, Partitions, Sender};
use crate::records::{Address, StoredDelivery};
use crate::report::{Report, row_outcome};
use crate::service::Service;

/// What the provider says about one email, already parsed from its own format.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailFeedback {
    pub kind: FeedbackKind,
    pub message_id: String,
    /// The customer, from the tag forewarn set when sending.
    pub customer_id: Option<Id>,
    pub recipients: Vec<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FeedbackKind {
    Delivered,
    Bounced { permanent: bool, sub_type: String },
    Complained { feedback_type: String },
}

impl FeedbackKind {
    /// The `Deliveries` metric's result for this feedback.
    fn result(&self) -> DeliveryResult {
        match self {
            FeedbackKind::Delivered => DeliveryResult::Delivered,
            FeedbackKind::Bounced { permanent: true, .. } => DeliveryResult::Bounced,
            FeedbackKind::Bounced { permanent: false, .. } => DeliveryResult::SoftBounce,
            FeedbackKind::Complained { .. } => DeliveryResult::Complained,
        }
    }
}

/// What a piece of feedback means for the row: its outcome, event, reason and whether the
/// address must not be used again.
fn meaning(fb: &EmailFeedback, row: &mut StoredDelivery) -> (OutcomeType, Outcome, String, bool) {
    let day = fb.at.strftime("%Y-%m-%d");
    match &fb.kind {
        FeedbackKind::Delivered => {
            row.delivered_at = Some(fb.at);
            let why = "delivered to the mailbox".to_owned();
            (OutcomeType::NotificationDelivered, Outcome::Delivered, why, false)
        }
        FeedbackKind::Bounced {
            permanent: true,
            sub_type,
        } => {
            row.record.status = DeliveryStatus::Failed;
            let why = format!("hard bounce ({sub_type}) on {day}: email to this address will not be tried again");
            (OutcomeType::NotificationBounced, Outcome::Bounced, why, true)
        }
        FeedbackKind::Bounced {
            permanent: false,
            sub_type,
        } => {
            let why = format!("soft bounce ({sub_type}): the address stays usable");
            (OutcomeType::NotificationBounced, Outcome::SoftBounce, why, false)
        }
        FeedbackKind::Complained { feedback_type } => {
            let why = format!("complaint ({feedback_type}) on {day}: email to this address will not be tried again");
            (OutcomeType::NotificationComplained, Outcome::Complained, why, true)
        }
    }
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries + Contacts,
    Se: Sender,
    B: Bus,
{
    /// Records the feedback on the email's row and, for a hard bounce or a complaint, marks
    /// the address unusable; a critical alert that bounced hard goes out on another channel.
    pub async fn feedback(&self, fb: &EmailFeedback, now: Timestamp) -> Result<Report, FlowError> {
        let unmatched = |why: &str| Ok(Report::of(Outcome::Unmatched, vec![why.to_owned()]));
        let Some(cid) = &fb.customer_id else {
            return unmatched("the email carries no customer tag");
        };
        let part = self.store.load(cid, None).await?;
        let Some(row) = part
            .deliveries
            .iter()
            .find(|r| r.provider_message_id.as_deref() == Some(fb.message_id.as_str()))
        else {
            return unmatched("no delivery of this customer has that message id");
        };
        let Address::Email(address) = &row.address else {
            return unmatched("the delivery with that message id is not an email");
        };
        let mut updated = row.clone();
        let (kind, outcome, reason, suppress) = meaning(fb, &mut updated);
        if suppress {
            let contact = UnusableContact {
                channel: Channel::Email,
                address: address.clone(),
                reason: reason.clone(),
            };
            self.store.suppress_contact(cid, &contact).await?;
        }
        // A delivery report never clears what a bounce or a complaint said, whatever order
        // the provider's events arrive in.
        if kind != OutcomeType::NotificationDelivered {
            updated.failure = Some(reason.clone());
        }
        // A row that already shows this feedback had it recorded by an earlier attempt, which
        // may have died before putting its event: put it again (outcome events are at least once).
        let again = updated == *row;
        let recorded = again || self.store.transition(&updated, row.record.status).await?;
        if recorded && !again {
            crate::metrics::delivery(Channel::Email, fb.kind.result());
        }
        let mut report = Report::of(outcome, vec![reason.clone()]);
        report.customer_id = Some(cid.clone());
        if recorded {
            let mut o = row_outcome(kind, &updated, now);
            o.reasons = vec![reason];
            let mut outcomes = vec![o];
            if matches!(fb.kind, FeedbackKind::Bounced { permanent: true, .. }) {
                let rerouted = self.reroute(&updated, now).await?;
                report.sent = rerouted
                    .outcomes
                    .iter()
                    .filter(|o| o.detail_type == OutcomeType::NotificationSent)
                    .count();
                report.reasons.extend(rerouted.reasons);
                outcomes.extend(rerouted.outcomes);
            }
            self.bus.publish(&outcomes).await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_feedback_is_counted_as_its_own_result() {
        let bounce = |permanent| FeedbackKind::Bounced {
            permanent,
            sub_type: "General".into(),
        };
        let complaint = FeedbackKind::Complained {
            feedback_type: "abuse".into(),
        };
        assert_eq!(FeedbackKind::Delivered.result(), DeliveryResult::Delivered);
        assert_eq!(bounce(true).result(), DeliveryResult::Bounced);
        assert_eq!(bounce(false).result(), DeliveryResult::SoftBounce);
        assert_eq!(complaint.result(), DeliveryResult::Complained);
    }
}
