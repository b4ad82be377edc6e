//! Read-only: everything the table holds about one customer, every claim included, for `forewarn explain`.

use forewarn_core::customer::Channel;
use forewarn_core::types::Id;
use forewarn_flows::FlowError;
use forewarn_flows::context::Erasure;
use forewarn_flows::records::{Claim, Partition};

use super::{DynamoStore, Item, KeyError, Pk, Sk, get_s};

/// What a support agent is shown about one customer, as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerRecord {
    /// The partition as the flows read it: the profile with what forewarn learned merged in
    /// (opt-outs, unusable addresses, disabled devices, habits), the delivery rows, the
    /// learned habits and the resolutions.
    pub partition: Partition,
    /// Every idempotency claim kept for the customer (each with its decision), in key order.
    pub claims: Vec<Claim>,
    /// The opt-outs forewarn recorded (a STOP reply), with why; the profile's own are not here.
    pub opt_outs: Vec<(Channel, String)>,
    /// How many items the partition holds: none means the customer is unknown to the table.
    pub items: usize,
    /// The marker an erasure left (`ERASED`): when, by which event, what it removed.
    pub erasure: Option<Erasure>,
}

impl DynamoStore {
    /// Reads the customer's whole partition (one paged, consistent `Query`) without writing.
    pub async fn customer_record(&self, customer_id: &Id) -> Result<CustomerRecord, FlowError> {
        let items = self.partition(&Pk::customer(customer_id)).await?;
        let mut record = claims_and_opt_outs(&items)?;
        record.items = items.len();
        record.partition = self.parse(items, None)?;
        Ok(record)
    }
}

/// The claims (`EVENT#…`) and the recorded opt-outs (`OPTOUT#…`, with their `reason`) of a
/// partition's items.
fn claims_and_opt_outs(items: &[Item]) -> Result<CustomerRecord, FlowError> {
    let mut claims = Vec::new();
    let mut opt_outs = Vec::new();
    let mut erasure = None;
    for item in items {
        match Sk::parse(get_s(item, "SK").unwrap_or_default()) {
            Ok(Sk::Erased) => {
                let json = get_s(item, "erasure").ok_or_else(|| FlowError::corrupt("erasure", "no erasure"))?;
                erasure = Some(serde_json::from_str(json).map_err(|e| FlowError::corrupt("erasure", e))?);
            }
            Ok(Sk::Event(_)) => {
                let json = get_s(item, "data").ok_or_else(|| FlowError::corrupt("claim", "no data attribute"))?;
                claims.push(serde_json::from_str(json).map_err(|e| FlowError::corrupt("claim", e))?);
            }
            Ok(Sk::OptOut(channel)) => {
                let reason = get_s(item, "reason").unwrap_or("recorded by forewarn");
                opt_outs.push((channel, reason.to_owned()));
            }
            Ok(_) | Err(KeyError::Unknown) => {}
            Err(e) => return Err(FlowError::corrupt("key", e)),
        }
    }
    Ok(CustomerRecord {
        claims,
        opt_outs,
        erasure,
        ..CustomerRecord::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::s;

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn item(sk: Sk, extra: &[(&str, &str)]) -> Item {
        let mut i = Item::from(crate::dynamo::key(&Pk::customer(&id("c-1")), &sk));
        for (k, v) in extra {
            i.insert((*k).into(), s(*v));
        }
        i
    }

    #[test]
    fn every_claim_and_each_recorded_opt_out_with_its_reason_are_read() {
        let claim = r#"{"event_id": "e-1", "completed": true, "lease_until": "2026-11-23T10:00:00Z",
            "outcome": "send_now", "reasons": ["security alert, critical urgency"]}"#;
        let items = [
            item(Sk::Event(id("e-1")), &[("data", claim)]),
            item(
                Sk::OptOut(Channel::Sms),
                &[("reason", "replied STOP on 2026-11-23T10:00:00Z")],
            ),
            item(Sk::Profile, &[]),
        ];
        let CustomerRecord { claims, opt_outs, .. } = claims_and_opt_outs(&items).unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].event_id.as_str(), "e-1");
        assert_eq!(claims[0].reasons, ["security alert, critical urgency"]);
        assert_eq!(
            opt_outs,
            [(Channel::Sms, "replied STOP on 2026-11-23T10:00:00Z".to_owned())]
        );
    }

    #[test]
    fn a_claim_without_its_data_is_reported_as_unreadable() {
        let err = claims_and_opt_outs(&[item(Sk::Event(id("e-1")), &[])]).unwrap_err();
        assert!(err.to_string().contains("unreadable claim"), "{err}");
    }
}
