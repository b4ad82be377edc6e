//! push feedback: what SNS says about a platform endpoint (a permanent delivery failure, the endpoint disabled or deleted) marks the device holding it unusable, with the reason, until a new registration.

use forewarn_core::customer::Channel;
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::{Bus, Partitions, PushDevices};
use crate::report::Report;
use crate::service::Service;

/// What SNS said about one platform endpoint, already parsed from its notification.
#[derive(Clone, Debug, PartialEq)]
pub struct PushFeedback {
    /// The platform endpoint ARN (never logged or reported: it names the account).
    pub endpoint: String,
    pub event: PushEvent,
    /// The SNS notification's id: the outcome event's id, so a redelivery is recognisable.
    pub message_id: String,
    /// When SNS says it happened.
    pub at: Timestamp,
}

/// The application event SNS sent, as far as it concerns the device.
#[derive(Clone, Debug, PartialEq)]
pub enum PushEvent {
    /// `EventDeliveryFailure`: a delivery failed for good, with SNS's `FailureType`.
    DeliveryFailure(PushRefusal),
    /// `EventEndpointUpdated` with `Enabled` false: SNS disabled the endpoint.
    EndpointDisabled,
    /// `EventEndpointUpdated` that leaves the endpoint enabled (a token or user data change).
    EndpointUpdated,
    /// `EventEndpointDeleted`.
    EndpointDeleted,
}

/// Why the push service will not take messages for a device: the one mapping from SNS's
/// codes (a Publish refused with `EndpointDisabled`, a delivery failure's `FailureType`) to
/// the words a device's `disabled_reason` keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushRefusal {
    /// The token is dead: `EndpointDisabled`, `InvalidPlatformToken`, `EndpointNotFound`.
    Token(String),
    /// A failure that is not the device's (the message, the platform application's
    /// credentials, a code this version does not know): the device stays usable.
    NotTheDevice(String),
}

impl PushRefusal {
    /// The codes that say the device's token can no longer be reached.
    const DEAD_TOKEN: [&str; 3] = ["EndpointDisabled", "InvalidPlatformToken", "EndpointNotFound"];

    /// Reads SNS's code, from a Publish error or a delivery failure's `FailureType`.
    pub fn from_code(code: &str) -> PushRefusal {
        if Self::DEAD_TOKEN.contains(&code) {
            PushRefusal::Token(code.to_owned())
        } else {
            PushRefusal::NotTheDevice(code.to_owned())
        }
    }

    /// The device's `disabled_reason` when the token is dead; none when the device stays usable.
    pub fn disabled_reason(&self, at: Timestamp) -> Option<String> {
        match self {
            PushRefusal::Token(code) => Some(format!(
                "the push service rejected the token ({code}) on {}",
                at.strftime("%Y-%m-%d")
            )),
            PushRefusal::NotTheDevice(_) => None,
        }
    }
}

impl PushEvent {
    /// The device's `disabled_reason`, or why the device stays usable.
    fn meaning(&self, at: Timestamp) -> Result<String, String> {
        let day = at.strftime("%Y-%m-%d");
        match self {
            PushEvent::DeliveryFailure(r) => r.disabled_reason(at).ok_or_else(|| match r {
                PushRefusal::NotTheDevice(code) | PushRefusal::Token(code) => {
                    format!("a delivery failed ({code}), which is not the device's fault: it stays usable")
                }
            }),
            PushEvent::EndpointDisabled => Ok(format!("SNS disabled the push endpoint (EndpointUpdated) on {day}")),
            PushEvent::EndpointDeleted => Ok(format!("the push endpoint was deleted (EndpointDeleted) on {day}")),
            PushEvent::EndpointUpdated => {
                Err("the endpoint's attributes changed and it is still enabled: nothing to do".into())
            }
        }
    }
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + PushDevices,
    B: Bus,
{
    /// Marks the device holding the endpoint unusable, if what SNS says makes it so. A device
    /// already unusable keeps its first reason; only a new registration makes it usable again.
    pub async fn push_feedback(&self, fb: &PushFeedback, now: Timestamp) -> Result<Report, FlowError> {
        let report = |outcome, why: String| Ok(Report::of(outcome, vec![why]));
        let why = match fb.event.meaning(fb.at) {
            Ok(why) => why,
            Err(nothing) => return report(Outcome::Suppressed, nothing),
        };
        let Some((cid, device_id)) = self.store.endpoint_owner(&fb.endpoint).await? else {
            return report(Outcome::Unmatched, "no device holds that push endpoint".into());
        };
        let part = self.store.load(&cid, None).await?;
        let device = part.profile.as_ref().and_then(|p| {
            p.devices
                .iter()
                .find(|d| d.device_id == device_id && d.push_endpoint.as_deref() == Some(fb.endpoint.as_str()))
        });
        let mut r = match device {
            None => Report::of(
                Outcome::Unmatched,
                vec![format!(
                    "device {device_id} no longer holds that push endpoint (re-registered or removed)"
                )],
            ),
            Some(d) if d.disabled_reason.is_some() => {
                let mut r = Report::of(
                    Outcome::Suppressed,
                    vec![format!(
                        "device {device_id} is already unusable: {}",
                        d.disabled_reason.as_deref().unwrap_or_default()
                    )],
                );
                r.duplicate = true;
                r
            }
            Some(_) if !self.store.disable_device(&cid, &device_id, &fb.endpoint, &why).await? => Report::of(
                Outcome::Unmatched,
                vec![format!("device {device_id} changed its push endpoint meanwhile")],
            ),
            Some(_) => {
                let mut o = OutcomeEvent::new(OutcomeType::DeviceDisabled, &fb.message_id, cid.as_str(), now);
                o.device_id = Some(device_id.to_string());
                o.channel = Some(Channel::Push);
                o.reasons = vec![format!("push to this device stops: {why}")];
                self.bus.publish(&[o]).await?;
                Report::of(
                    Outcome::Recorded,
                    vec![format!("device {device_id} marked unusable: {why}")],
                )
            }
        };
        r.customer_id = Some(cid);
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Timestamp {
        "2026-12-02T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_dead_token_is_the_devices_fault_and_a_bad_message_is_not() {
        for code in ["EndpointDisabled", "InvalidPlatformToken", "EndpointNotFound"] {
            let why = PushRefusal::from_code(code).disabled_reason(day()).unwrap();
            assert_eq!(
                why,
                format!("the push service rejected the token ({code}) on 2026-12-02")
            );
        }
        for code in [
            "InvalidNotificationLength",
            "PlatformApplicationDisabled",
            "SomethingNew",
        ] {
            assert_eq!(PushRefusal::from_code(code).disabled_reason(day()), None, "{code}");
        }
    }

    #[test]
    fn an_update_that_leaves_the_endpoint_enabled_changes_nothing() {
        assert!(PushEvent::EndpointUpdated.meaning(day()).is_err());
        assert!(
            PushEvent::EndpointDisabled
                .meaning(day())
                .unwrap()
                .contains("2026-12-02")
        );
        assert!(PushEvent::EndpointDeleted.meaning(day()).unwrap().contains("deleted"));
    }
}
