//! SMS and mobile push through SNS.

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::MessageAttributeValue;
use forewarn_core::engine::Destination;
use forewarn_core::policy::Intrusion;
use forewarn_core::types::Id;
use forewarn_flows::ports::Sender;
use forewarn_flows::push_feedback::PushRefusal;
use forewarn_flows::records::{SendResult, StoredMessage};
use forewarn_flows::{FlowError, Port};
use jiff::Timestamp;
use serde_json::json;

use aws_sdk_sns::operation::publish::PublishError;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::error::{channel_refusal, port_error, unbuilt};

/// Sends SMS and push; a function that answers texts needs nothing else.
#[derive(Clone, Debug)]
pub struct SnsSender {
    pub client: aws_sdk_sns::Client,
    /// An origination number (`+1…`) or an alphanumeric sender id.
    pub origination: Option<String>,
}

fn attr(v: impl Into<String>) -> Result<MessageAttributeValue, FlowError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(unbuilt(Port::Sns))
}

/// The SNS `MessageStructure = json` body: a default text plus APNS and FCM payloads.
/// A passive push (`Intrusion::Passive`) asks APNs for `interruption-level: passive` without
/// a sound, and FCM for normal priority and a low-priority notification.
pub fn push_payload(m: &StoredMessage) -> String {
    let title = m.title.clone().unwrap_or_default();
    let mut apns =
        json!({"aps": {"alert": {"title": title, "body": m.body}, "sound": "default"}, "deep_link": m.deep_link});
    let mut fcm = json!({"fcmV1Message": {"message": {
        "notification": {"title": title, "body": m.body},
        "data": {"deep_link": m.deep_link.clone().unwrap_or_default()}}}});
    if m.intrusion == Intrusion::Passive {
        let aps = &mut apns["aps"];
        aps.as_object_mut().expect("aps is an object").remove("sound");
        aps["interruption-level"] = json!("passive");
        fcm["fcmV1Message"]["message"]["android"] =
            json!({"priority": "normal", "notification": {"notification_priority": "PRIORITY_LOW"}});
    }
    json!({
        "default": m.body,
        "APNS": apns.to_string(),
        "APNS_SANDBOX": apns.to_string(),
        "GCM": fcm.to_string(),
    })
    .to_string()
}

impl SnsSender {
    pub async fn sms(&self, phone: &str, m: &StoredMessage) -> Result<SendResult, FlowError> {
        let mut req = self
            .client
            .publish()
            .phone_number(phone)
            .message(&m.body)
            .message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional")?);
        if let Some(o) = &self.origination {
            let key = if o.starts_with('+') {
                "AWS.MM.SMS.OriginationNumber"
            } else {
                "AWS.SNS.SMS.SenderID"
            };
            req = req.message_attributes(key, attr(o)?);
        }
        match req.send().await {
            Ok(out) => Ok(SendResult::Sent {
                provider_message_id: out.message_id.unwrap_or_default(),
            }),
            Err(e) => refused_or_failed(e),
        }
    }

    pub async fn push(&self, endpoint: &str, m: &StoredMessage) -> Result<SendResult, FlowError> {
        let mut req = self
            .client
            .publish()
            .target_arn(endpoint)
            .message_structure("json")
            .message(push_payload(m));
        if m.intrusion == Intrusion::Passive {
            // 5: delivered when the device is awake anyway, not woken for it.
            req = req.message_attributes("AWS.SNS.MOBILE.APNS.PRIORITY", attr("5")?);
        }
        if let Some(ttl) = m.ttl {
            let secs = ttl.duration_since(Timestamp::now()).as_secs().max(0).to_string();
            req = req
                .message_attributes("AWS.SNS.MOBILE.APNS.TTL", attr(&secs)?)
                .message_attributes("AWS.SNS.MOBILE.FCM.TTL", attr(&secs)?);
        }
        match req.send().await {
            Ok(out) => Ok(SendResult::Sent {
                provider_message_id: out.message_id.unwrap_or_default(),
            }),
            // A dead token gets the words the device keeps, from the one mapping push
            // feedback uses too (`PushRefusal`).
            Err(e) => match e
                .code()
                .map(PushRefusal::from_code)
                .and_then(|r| r.disabled_reason(Timestamp::now()))
            {
                Some(why) => Ok(SendResult::Unreachable(why)),
                None => refused_or_failed(e),
            },
        }
    }
}

/// A Publish error as a failed channel when SNS refused for good, else as the port's error.
fn refused_or_failed<R>(e: SdkError<PublishError, R>) -> Result<SendResult, FlowError>
where
    R: std::fmt::Debug + crate::error::HasStatus,
{
    match channel_refusal(e.code()) {
        Some(why) => Ok(SendResult::Unreachable(why.into())),
        None => Err(port_error(Port::Sns, e)),
    }
}

impl Sender for SnsSender {
    async fn send(&self, to: &Destination, message: &StoredMessage, _: Option<&Id>) -> Result<SendResult, FlowError> {
        match to {
            Destination::Phone(p) => self.sms(p.e164(), message).await,
            Destination::Endpoint(arn) => self.push(arn, message).await,
            Destination::Email(_) => Err(FlowError::permanent(Port::Ses, "this function sends no email")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_push_payload_carries_apns_and_fcm_with_the_deep_link() {
        let m = StoredMessage {
            subject: None,
            title: Some("Flight TP1 delayed".into()),
            body: "Now leaving 14:30".into(),
            html: None,
            deep_link: Some("https://airline.example/b/1".into()),
            ttl: None,
            expects_reply: false,
            about: None,
            intrusion: Intrusion::Normal,
            traits: None,
        };
        let v: serde_json::Value = serde_json::from_str(&push_payload(&m)).unwrap();
        assert_eq!(v["default"], "Now leaving 14:30");
        let apns: serde_json::Value = serde_json::from_str(v["APNS"].as_str().unwrap()).unwrap();
        assert_eq!(apns["aps"]["alert"]["title"], "Flight TP1 delayed");
        let fcm: serde_json::Value = serde_json::from_str(v["GCM"].as_str().unwrap()).unwrap();
        assert_eq!(
            fcm["fcmV1Message"]["message"]["data"]["deep_link"],
            "https://airline.example/b/1"
        );
    }

    #[test]
    fn a_passive_push_asks_apns_and_fcm_not_to_interrupt_and_a_normal_one_rings() {
        let normal = StoredMessage::text("Your balance is low");
        let passive = StoredMessage {
            intrusion: Intrusion::Passive,
            ..normal.clone()
        };
        let payload = |m: &StoredMessage| -> (serde_json::Value, serde_json::Value) {
            let v: serde_json::Value = serde_json::from_str(&push_payload(m)).unwrap();
            (
                serde_json::from_str(v["APNS"].as_str().unwrap()).unwrap(),
                serde_json::from_str(v["GCM"].as_str().unwrap()).unwrap(),
            )
        };
        let (apns, fcm) = payload(&passive);
        assert_eq!(apns["aps"]["interruption-level"], "passive");
        assert!(apns["aps"].get("sound").is_none(), "{apns}");
        let android = &fcm["fcmV1Message"]["message"]["android"];
        assert_eq!(android["priority"], "normal");
        assert_eq!(android["notification"]["notification_priority"], "PRIORITY_LOW");
        let (apns, fcm) = payload(&normal);
        assert!(apns["aps"].get("interruption-level").is_none(), "{apns}");
        assert_eq!(apns["aps"]["sound"], "default");
        assert!(fcm["fcmV1Message"]["message"].get("android").is_none(), "{fcm}");
    }
}
