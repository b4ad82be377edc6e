//! rejection: a producer's event forewarn cannot read ends as one `EventRejected` outcome on the bus, naming the field and the reason, instead of a retried failure in an on-failure queue.

use forewarn_core::error::EventError;
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType, Rejection};
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::Bus;
use crate::report::Report;
use crate::service::Service;

/// What could be read of a refused event's envelope: enough for its producer to find it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub id: Option<String>,
    pub source: Option<String>,
    pub detail_type: Option<String>,
    pub customer_id: Option<String>,
}

impl<St, Se, Sc, B: Bus> Service<St, Se, Sc, B> {
    /// Tells the producer their event was refused: one `EventRejected` with its source, id,
    /// the field at fault and the reason; counted apart from failures. Only the bus failing
    /// makes this an error (then a retry reports it again).
    pub async fn reject(&self, envelope: &Envelope, error: &EventError, now: Timestamp) -> Result<Report, FlowError> {
        let id = envelope.id.as_deref().unwrap_or("");
        let mut o = OutcomeEvent::new(
            OutcomeType::EventRejected,
            id,
            envelope.customer_id.as_deref().unwrap_or(""),
            now,
        );
        o.source_detail_type.clone_from(&envelope.detail_type);
        o.reasons = vec![error.to_string()];
        o.rejection = Some(Rejection {
            source: envelope.source.clone().unwrap_or_default(),
            field: error.path.clone(),
            reason: error.reason.clone(),
        });
        self.bus.publish(std::slice::from_ref(&o)).await?;
        crate::metrics::event_rejected();
        let mut r = Report::of(Outcome::Rejected, vec![error.to_string()]);
        r.customer_id = envelope
            .customer_id
            .as_deref()
            .and_then(|c| forewarn_core::types::Id::parse(c).ok());
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::memory::{Memory, run_ready};

    #[test]
    fn a_refused_event_is_one_event_rejected_naming_its_source_field_and_reason() {
        let memory = Rc::new(Memory::default());
        let service = Service::new(forewarn_core::engine::Engine::default(), (), (), (), memory.clone());
        let envelope = Envelope {
            id: Some("lb-1".into()),
            source: Some("bank.core".into()),
            detail_type: Some("LowBalance".into()),
            customer_id: Some("c-1".into()),
        };
        let err = EventError::new("detail.balance.currency", "not an ISO 4217 currency code");
        let now: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let r = run_ready(service.reject(&envelope, &err, now)).unwrap();
        assert_eq!(r.outcome, Outcome::Rejected);
        let put = memory.outcomes.borrow();
        assert_eq!(put.len(), 1, "{put:?}");
        assert_eq!(put[0].detail_type, OutcomeType::EventRejected);
        let why = put[0].rejection.as_ref().unwrap();
        assert_eq!(
            (why.source.as_str(), why.field.as_str()),
            ("bank.core", "detail.balance.currency")
        );
        assert_eq!(put[0].event_id, "lb-1");
    }
}
