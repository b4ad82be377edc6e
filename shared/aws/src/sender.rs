//! Sends messages: SMS and mobile push through SNS, email through SES v2.

use aws_sdk_sesv2::types::{
    Body, Content, Destination as EmailDestination, EmailContent, Message as EmailMessage, MessageTag,
};
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::MessageAttributeValue;
use forewarn_core::engine::Destination;
use forewarn_core::loops::customer_tag;
use forewarn_core::service::{PortError, SendResult, Sender, StoredMessage};
use forewarn_core::types::Id;
use jiff::Timestamp;
use serde_json::json;

use crate::error::port_error;

#[derive(Clone, Debug)]
pub struct AwsSender {
    pub sns: aws_sdk_sns::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub from_email: String,
    pub configuration_set: Option<String>,
    /// An origination number (`+1…`) or an alphanumeric sender id.
    pub sms_origination: Option<String>,
}

fn attr(v: impl Into<String>) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(|e| PortError::permanent("sns", e.to_string()))
}

/// The SNS `MessageStructure = json` body: a default text plus APNS and FCM payloads.
pub fn push_payload(m: &StoredMessage) -> String {
    let title = m.title.clone().unwrap_or_default();
    let apns =
        json!({"aps": {"alert": {"title": title, "body": m.body}, "sound": "default"}, "deep_link": m.deep_link});
    let fcm = json!({"fcmV1Message": {"message": {
        "notification": {"title": title, "body": m.body},
        "data": {"deep_link": m.deep_link.clone().unwrap_or_default()}}}});
    json!({
        "default": m.body,
        "APNS": apns.to_string(),
        "APNS_SANDBOX": apns.to_string(),
        "GCM": fcm.to_string(),
    })
    .to_string()
}

impl AwsSender {
    async fn sms(&self, phone: &str, m: &StoredMessage) -> Result<SendResult, PortError> {
        let mut req = self
            .sns
            .publish()
            .phone_number(phone)
            .message(&m.body)
            .message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional")?);
        if let Some(o) = &self.sms_origination {
            let key = if o.starts_with('+') {
                "AWS.MM.SMS.OriginationNumber"
            } else {
                "AWS.SNS.SMS.SenderID"
            };
            req = req.message_attributes(key, attr(o)?);
        }
        let out = req.send().await.map_err(|e| port_error("sns", e))?;
        Ok(SendResult::Sent {
            provider_message_id: out.message_id.unwrap_or_default(),
        })
    }

    async fn push(&self, endpoint: &str, m: &StoredMessage) -> Result<SendResult, PortError> {
        let mut req = self
            .sns
            .publish()
            .target_arn(endpoint)
            .message_structure("json")
            .message(push_payload(m));
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
            Err(e) if matches!(e.code(), Some("EndpointDisabled" | "EndpointDisabledException")) => {
                Ok(SendResult::Unreachable("the push endpoint is disabled".into()))
            }
            Err(e) => Err(port_error("sns", e)),
        }
    }

    async fn email(&self, to: &str, m: &StoredMessage, customer: Option<&Id>) -> Result<SendResult, PortError> {
        let content = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(|e| PortError::permanent("ses", e.to_string()))
        };
        let mut body = Body::builder().text(content(&m.body)?);
        if let Some(html) = &m.html {
            body = body.html(content(html)?);
        }
        let message = EmailMessage::builder()
            .subject(content(m.subject.as_deref().unwrap_or_default())?)
            .body(body.build())
            .build();
        let out = self
            .ses
            .send_email()
            .from_email_address(&self.from_email)
            .destination(EmailDestination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .set_email_tags(match customer {
                Some(id) => {
                    let (name, value) = customer_tag(id);
                    Some(vec![
                        MessageTag::builder()
                            .name(name)
                            .value(value)
                            .build()
                            .map_err(|e| PortError::permanent("ses", e.to_string()))?,
                    ])
                }
                None => None,
            })
            .send()
            .await
            .map_err(|e| port_error("ses", e))?;
        Ok(SendResult::Sent {
            provider_message_id: out.message_id.unwrap_or_default(),
        })
    }
}

impl Sender for AwsSender {
    async fn send(
        &self,
        to: &Destination,
        message: &StoredMessage,
        customer: Option<&Id>,
    ) -> Result<SendResult, PortError> {
        match to {
            Destination::Phone(p) => self.sms(p.e164(), message).await,
            Destination::Endpoint(arn) => self.push(arn, message).await,
            Destination::Email(e) => self.email(e.as_str(), message, customer).await,
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
}
