//! sms feedback: what the SMS provider's delivery events say about one text (delivered, on its way, failed), settling its row; a critical alert whose text failed falls over once (`reroute`).

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
use crate::reroute::SMS_REROUTED;
use crate::service::Service;

/// One delivery event of one text, already parsed from the provider's format.
#[derive(Clone, Debug, PartialEq)]
pub struct SmsFeedback {
    /// The provider's event type (`TEXT_DELIVERED`, `TEXT_BLOCKED`, …).
    pub event_type: String,
    /// False when the provider says more events of this text will follow.
    pub is_final: bool,
    /// The provider's message id, which the row recorded when the text was sent.
    pub message_id: String,
    /// The customer, from the context forewarn set when sending.
    pub customer_id: Option<Id>,
    pub at: Timestamp,
}

/// What an event type means for the row: the one mapping from End User Messaging SMS's
/// event types (its user guide's "Event types for SMS, MMS, and voice").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsMeaning {
    /// `TEXT_DELIVERED`, `TEXT_SUCCESSFUL` (used interchangeably by country).
    Delivered,
    /// `TEXT_QUEUED`, `TEXT_PENDING`, a failure the provider says is not final, or an event
    /// type this version does not know: nothing to settle yet.
    Pending,
    /// Failed for good. `number_unusable`: the number itself cannot take texts
    /// (`TEXT_BLOCKED`, `TEXT_INVALID`), so later decisions skip it; otherwise the message was
    /// refused (`TEXT_CARRIER_BLOCKED`, `TEXT_SPAM`, `TEXT_INVALID_MESSAGE`,
    /// `TEXT_PROTECT_BLOCKED`) and the number stays usable.
    FailedForGood { number_unusable: bool },
    /// This text will not arrive but the number may take the next one: `TEXT_TTL_EXPIRED`,
    /// `TEXT_CARRIER_UNREACHABLE`, `TEXT_UNREACHABLE`, `TEXT_UNKNOWN`.
    FailedForNow,
}

impl SmsMeaning {
    /// The meaning of `event_type`; a failure not final (`is_final` false) is still pending.
    pub fn of(event_type: &str, is_final: bool) -> SmsMeaning {
        let failed = match event_type {
            "TEXT_DELIVERED" | "TEXT_SUCCESSFUL" => return SmsMeaning::Delivered,
            "TEXT_BLOCKED" | "TEXT_INVALID" => SmsMeaning::FailedForGood { number_unusable: true },
            "TEXT_CARRIER_BLOCKED" | "TEXT_SPAM" | "TEXT_INVALID_MESSAGE" | "TEXT_PROTECT_BLOCKED" => {
                SmsMeaning::FailedForGood { number_unusable: false }
            }
            "TEXT_TTL_EXPIRED" | "TEXT_CARRIER_UNREACHABLE" | "TEXT_UNREACHABLE" | "TEXT_UNKNOWN" => {
                SmsMeaning::FailedForNow
            }
            _ => return SmsMeaning::Pending,
        };
        if is_final { failed } else { SmsMeaning::Pending }
    }

    /// The `Deliveries` metric's result.
    fn result(self) -> DeliveryResult {
        match self {
            SmsMeaning::Delivered => DeliveryResult::Delivered,
            _ => DeliveryResult::Failed,
        }
    }
}

/// Why the row settled as it did, in words without the number.
fn reason(fb: &SmsFeedback, meaning: SmsMeaning) -> String {
    let (code, day) = (&fb.event_type, fb.at.strftime("%Y-%m-%d"));
    match meaning {
        SmsMeaning::Delivered => format!("delivered to the phone ({code})"),
        SmsMeaning::Pending => format!("{code}: the text is on its way, nothing to settle"),
        SmsMeaning::FailedForGood { number_unusable: true } => {
            format!("the text failed ({code}) on {day}: SMS to this number will not be tried again")
        }
        SmsMeaning::FailedForGood { number_unusable: false } => {
            format!("the text was refused ({code}) on {day}: the number stays usable")
        }
        SmsMeaning::FailedForNow => format!("the text did not arrive ({code}) on {day}: the number stays usable"),
    }
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Claims + Deliveries + Contacts,
    Se: Sender,
    B: Bus,
{
    /// Settles the text's row from one delivery event: delivered, or failed with the reason
    /// (the number marked unusable when it is the number's fault); a critical alert whose text
    /// failed goes out once on the next channel. An event for an unknown row, or one no longer
    /// sent (already failed, cancelled), changes nothing and says why.
    pub async fn sms_feedback(&self, fb: &SmsFeedback, now: Timestamp) -> Result<Report, FlowError> {
        let said = |outcome, why: String| Ok(Report::of(outcome, vec![why]));
        let meaning = SmsMeaning::of(&fb.event_type, fb.is_final);
        if meaning == SmsMeaning::Pending {
            return said(Outcome::Suppressed, reason(fb, meaning));
        }
        let Some(cid) = &fb.customer_id else {
            return said(Outcome::Unmatched, "the text carries no customer context".into());
        };
        let part = self.store.load(cid, None).await?;
        let Some(row) = part.deliveries.iter().find(|r| {
            r.record.channel == Channel::Sms && r.provider_message_id.as_deref() == Some(fb.message_id.as_str())
        }) else {
            return said(Outcome::Unmatched, "no SMS of this customer has that message id".into());
        };
        let Address::Phone(number) = &row.address else {
            return said(Outcome::Unmatched, "the SMS with that message id has no number".into());
        };
        let mut updated = row.clone();
        let why = reason(fb, meaning);
        let kind = match meaning {
            SmsMeaning::Delivered => {
                updated.delivered_at = updated.delivered_at.or(Some(fb.at));
                OutcomeType::NotificationDelivered
            }
            _ => {
                updated.record.status = DeliveryStatus::Failed;
                updated.failure = Some(why.clone());
                OutcomeType::NotificationFailed
            }
        };
        // A row showing this event already had it recorded by an earlier attempt, which may
        // have died before putting its events: put them again (outcome events are at least once).
        let again = updated == *row;
        let mut report = Report::of(outcome_of(meaning), vec![why.clone()]);
        report.customer_id = Some(cid.clone());
        if !again && row.record.status != DeliveryStatus::Sent {
            return Ok(settled_already(row, fb, cid));
        }
        if let SmsMeaning::FailedForGood { number_unusable: true } = meaning {
            let contact = UnusableContact {
                channel: Channel::Sms,
                address: number.clone(),
                reason: why.clone(),
            };
            self.store.suppress_contact(cid, &contact).await?;
        }
        let recorded = again || self.store.transition(&updated, row.record.status).await?;
        if !recorded {
            report.reasons = vec!["the SMS row changed meanwhile: nothing recorded".into()];
            return Ok(report);
        }
        if !again {
            crate::metrics::delivery(Channel::Sms, meaning.result());
        }
        let mut o = row_outcome(kind, &updated, now);
        o.reasons = vec![why];
        let mut outcomes = vec![o];
        if kind == OutcomeType::NotificationFailed {
            let rerouted = self.reroute_as(&updated, now, SMS_REROUTED).await?;
            report.sent = rerouted
                .outcomes
                .iter()
                .filter(|o| o.detail_type == OutcomeType::NotificationSent)
                .count();
            report.reasons.extend(rerouted.reasons);
            outcomes.extend(rerouted.outcomes);
        }
        self.bus.publish(&outcomes).await?;
        Ok(report)
    }
}

/// The report for an event about a row that is no longer sent (failed, cancelled): it changes nothing.
fn settled_already(row: &StoredDelivery, fb: &SmsFeedback, cid: &Id) -> Report {
    let mut r = Report::of(
        Outcome::Suppressed,
        vec![format!(
            "the SMS row is {} already: {} changes nothing",
            format!("{:?}", row.record.status).to_lowercase(),
            fb.event_type
        )],
    );
    r.customer_id = Some(cid.clone());
    r.duplicate = true;
    r
}

/// The report's outcome for a settled text.
fn outcome_of(meaning: SmsMeaning) -> Outcome {
    match meaning {
        SmsMeaning::Delivered => Outcome::Delivered,
        SmsMeaning::Pending => Outcome::Suppressed,
        _ => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_documented_event_type_has_one_meaning_and_a_failure_not_final_is_pending() {
        for t in ["TEXT_DELIVERED", "TEXT_SUCCESSFUL"] {
            assert_eq!(SmsMeaning::of(t, true), SmsMeaning::Delivered, "{t}");
        }
        for t in ["TEXT_QUEUED", "TEXT_PENDING", "TEXT_SOMETHING_NEW"] {
            assert_eq!(SmsMeaning::of(t, false), SmsMeaning::Pending, "{t}");
        }
        for t in ["TEXT_BLOCKED", "TEXT_INVALID"] {
            assert_eq!(
                SmsMeaning::of(t, true),
                SmsMeaning::FailedForGood { number_unusable: true }
            );
        }
        for t in [
            "TEXT_CARRIER_BLOCKED",
            "TEXT_SPAM",
            "TEXT_INVALID_MESSAGE",
            "TEXT_PROTECT_BLOCKED",
        ] {
            assert_eq!(
                SmsMeaning::of(t, true),
                SmsMeaning::FailedForGood { number_unusable: false }
            );
        }
        for t in [
            "TEXT_TTL_EXPIRED",
            "TEXT_CARRIER_UNREACHABLE",
            "TEXT_UNREACHABLE",
            "TEXT_UNKNOWN",
        ] {
            assert_eq!(SmsMeaning::of(t, true), SmsMeaning::FailedForNow, "{t}");
            assert_eq!(SmsMeaning::of(t, false), SmsMeaning::Pending, "{t}");
        }
    }
}
