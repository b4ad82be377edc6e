//! SMS through AWS End User Messaging SMS (`pinpoint-sms-voice-v2` `SendTextMessage`), and its delivery events (a configuration set's SNS event destination) read into `SmsFeedback`.
//!
//! moto has no End User Messaging SMS: the tests here prove the adapter against AWS's
//! documented request shape (the API reference's `SendTextMessage`) and event payloads (the
//! user guide's "SMS example log"); the e2e test `tests/tests/sms.rs` runs the real functions
//! against a fake speaking the same awsJson1_0 protocol.

use aws_lambda_events::sns::SnsEvent;
use aws_sdk_pinpointsmsvoicev2::error::ProvideErrorMetadata;
use aws_sdk_pinpointsmsvoicev2::operation::send_text_message::SendTextMessageError;
use aws_sdk_pinpointsmsvoicev2::types::MessageType;
use aws_smithy_runtime_api::client::result::SdkError;
use forewarn_core::events::EventError;
use forewarn_core::messages::sms_use::SmsUse;
use forewarn_core::types::Id;
use forewarn_flows::records::{SendResult, StoredMessage};
use forewarn_flows::sms_feedback::SmsFeedback;
use forewarn_flows::{FlowError, Port};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{HasStatus, port_error};

/// The bounds of `SendTextMessage`'s `TimeToLive`, in seconds (5 s to 72 h).
pub const TTL_SECONDS: std::ops::RangeInclusive<i64> = 5..=259_200;

/// The `Context` key naming the customer whose row the text is; the provider hands the
/// context back on every event of the text. Ids only: never a number or a name.
pub const CONTEXT_CUSTOMER: &str = "customer_id";
/// The `Context` key naming what the text is about (the traits' subject, `transaction:tx-1`).
pub const CONTEXT_SUBJECT: &str = "subject";

/// One configuration set per use case (`SmsUse`): its event destination reports deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigurationSets {
    pub security: String,
    pub reminders: String,
}

impl ConfigurationSets {
    pub fn of(&self, u: SmsUse) -> &str {
        match u {
            SmsUse::Security => &self.security,
            SmsUse::Reminders => &self.reminders,
        }
    }
}

/// Sends texts through End User Messaging SMS.
#[derive(Clone, Debug)]
pub struct EumSender {
    pub client: aws_sdk_pinpointsmsvoicev2::Client,
    /// The origination identity: a phone number, its ARN, a sender id or a pool.
    pub origination: Option<String>,
    pub sets: ConfigurationSets,
    /// The most one part may cost (`FOREWARN_SMS_MAX_PRICE`, `0.00500` form).
    pub max_price: Option<String>,
}

/// The fields of one `SendTextMessage` apart from the client: what the adapter decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextRequest {
    pub configuration_set: String,
    pub time_to_live: Option<i32>,
    pub context: Vec<(&'static str, String)>,
}

/// What the message's traits, ttl and customer make of the request.
pub fn text_request(sets: &ConfigurationSets, m: &StoredMessage, customer: Option<&Id>, now: Timestamp) -> TextRequest {
    let time_to_live = m.ttl.map(|ttl| {
        let secs = ttl.duration_since(now).as_secs();
        i32::try_from(secs.clamp(*TTL_SECONDS.start(), *TTL_SECONDS.end())).unwrap_or(i32::MAX)
    });
    let mut context = Vec::new();
    if let Some(id) = customer {
        context.push((CONTEXT_CUSTOMER, id.to_string()));
    }
    if let Some(t) = &m.traits {
        context.push((CONTEXT_SUBJECT, t.subject.clone()));
    }
    TextRequest {
        configuration_set: sets.of(SmsUse::of(m.traits.as_ref())).to_owned(),
        time_to_live,
        context,
    }
}

impl EumSender {
    pub async fn sms(&self, phone: &str, m: &StoredMessage, customer: Option<&Id>) -> Result<SendResult, FlowError> {
        let r = text_request(&self.sets, m, customer, Timestamp::now());
        let mut req = self
            .client
            .send_text_message()
            .destination_phone_number(phone)
            .message_body(&m.body)
            .message_type(MessageType::Transactional)
            .configuration_set_name(r.configuration_set)
            .set_origination_identity(self.origination.clone())
            .set_max_price(self.max_price.clone())
            .set_time_to_live(r.time_to_live);
        for (k, v) in r.context {
            req = req.context(k, v);
        }
        match req.send().await {
            Ok(out) => Ok(SendResult::Sent {
                provider_message_id: out.message_id.unwrap_or_default(),
            }),
            Err(e) => refused_or_failed(e),
        }
    }
}

/// A `SendTextMessage` error as a failed channel when the service refused this text for
/// good, else as the port's error (throttling and 5xx retryable).
fn refused_or_failed<R>(e: SdkError<SendTextMessageError, R>) -> Result<SendResult, FlowError>
where
    R: std::fmt::Debug + HasStatus,
{
    let reason = e.as_service_error().and_then(|s| match s {
        SendTextMessageError::ValidationException(v) => v.reason().map(|r| r.as_str()),
        SendTextMessageError::ConflictException(c) => c.reason().map(|r| r.as_str()),
        _ => None,
    });
    match sms_refusal(e.code(), reason) {
        Some(why) => Ok(SendResult::Unreachable(why.into())),
        None => Err(port_error(Port::SmsVoice, e)),
    }
}

/// The one mapping from a `SendTextMessage` error (its code and `Reason`) to a permanent
/// refusal of this text on SMS, in plain words; none when a retry may help or the fault is
/// forewarn's own (access denied, a configuration set that does not exist).
pub fn sms_refusal(code: Option<&str>, reason: Option<&str>) -> Option<&'static str> {
    Some(match (code?, reason) {
        ("ConflictException", Some("DESTINATION_PHONE_NUMBER_OPTED_OUT")) => {
            "the number is on the origination's SMS opt-out list"
        }
        ("ConflictException", Some("DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION")) => {
            "the protect configuration blocks SMS to the number's country"
        }
        (
            "ValidationException",
            Some(
                "DESTINATION_COUNTRY_BLOCKED"
                | "COUNTRY_NOT_ENABLED"
                | "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"
                | "INTERNATIONAL_SENDING_NOT_SUPPORTED",
            ),
        ) => "the origination identity cannot send to the number's country",
        ("ValidationException", Some("PRICE_OVER_THRESHOLD")) => "the text would cost more than FOREWARN_SMS_MAX_PRICE",
        ("ValidationException", Some("INVALID_PARAMETER" | "CANNOT_PARSE" | "FIELD_VALIDATION_FAILED")) => {
            "the provider refused the destination as invalid"
        }
        ("ServiceQuotaExceededException", _) => "the SMS spend limit or sending quota is used up",
        _ => return None,
    })
}

/// The event End User Messaging SMS publishes for a text (the user guide's "SMS example
/// log": `eventType`, `eventTimestamp` in epoch ms, `isFinal`, `messageId`, `context`, and
/// the numbers, which forewarn never reads).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextEvent {
    event_type: String,
    event_timestamp: i64,
    #[serde(default = "yes")]
    is_final: bool,
    message_id: String,
    #[serde(default)]
    context: std::collections::HashMap<String, String>,
}

fn yes() -> bool {
    true
}

/// Whether an SNS message is an End User Messaging SMS event (its `eventType` is `TEXT_…`).
pub fn is_text_event(message: &str) -> bool {
    serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|v| v.get("eventType")?.as_str().map(|t| t.starts_with("TEXT_")))
        .unwrap_or(false)
}

/// Every record of an SNS event from the SMS events topic, each as `SmsFeedback`; a record
/// that is not a text event is refused naming its place and field.
pub fn parse_sms_feedback(payload: Value) -> Result<Vec<SmsFeedback>, EventError> {
    let sns: SnsEvent =
        serde_json::from_value(payload).map_err(|e| EventError::new("Records", format!("not an SNS event: {e}")))?;
    if sns.records.is_empty() {
        return Err(EventError::new("Records", "no notification"));
    }
    let mut all = Vec::with_capacity(sns.records.len());
    for (i, record) in sns.records.iter().enumerate() {
        let at = format!("Records[{i}].Sns.Message");
        let m: TextEvent = serde_json::from_str(&record.sns.message)
            .map_err(|e| EventError::new(&at, format!("not an End User Messaging SMS event: {e}")))?;
        let when = Timestamp::from_millisecond(m.event_timestamp)
            .map_err(|e| EventError::new(format!("{at}.eventTimestamp"), e.to_string()))?;
        let customer_id = match m.context.get(CONTEXT_CUSTOMER) {
            None => None,
            Some(v) => Some(
                Id::parse(v).map_err(|e| EventError::new(format!("{at}.context.{CONTEXT_CUSTOMER}"), e.to_string()))?,
            ),
        };
        all.push(SmsFeedback {
            event_type: m.event_type,
            is_final: m.is_final,
            message_id: m.message_id,
            customer_id,
            at: when,
        });
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    //! moto has no End User Messaging SMS: proved against AWS's documented request fields
    //! (`SendTextMessage`: `TimeToLive` 5 to 259200 s, `Context` a string map) and the user
    //! guide's documented SMS event payload.
    use super::*;
    use forewarn_core::kinds::{Category, Urgency};
    use forewarn_core::messages::Traits;
    use serde_json::json;

    fn sets() -> ConfigurationSets {
        ConfigurationSets {
            security: "fw-sms-security".into(),
            reminders: "fw-sms-reminders".into(),
        }
    }

    fn message(urgency: Urgency, ttl_secs: Option<i64>, now: Timestamp) -> StoredMessage {
        StoredMessage {
            traits: Some(Traits {
                kind: "SuspiciousTransaction".into(),
                category: Category::parse("security").unwrap(),
                urgency,
                subject: "transaction:tx-1".into(),
                question: true,
            }),
            ttl: ttl_secs.map(|s| now + jiff::SignedDuration::from_secs(s)),
            ..StoredMessage::text("Did you pay 12.00 EUR? Reply YES or NO")
        }
    }

    #[test]
    fn a_security_text_uses_the_security_set_its_alert_s_time_to_live_and_names_only_ids() {
        let now: Timestamp = "2026-12-02T09:00:00Z".parse().unwrap();
        let id = Id::parse("c-1").unwrap();
        let r = text_request(&sets(), &message(Urgency::Critical, Some(900), now), Some(&id), now);
        assert_eq!(r.configuration_set, "fw-sms-security");
        assert_eq!(r.time_to_live, Some(900));
        assert_eq!(
            r.context,
            [
                (CONTEXT_CUSTOMER, "c-1".to_owned()),
                (CONTEXT_SUBJECT, "transaction:tx-1".to_owned())
            ]
        );
        let late = text_request(&sets(), &message(Urgency::Critical, Some(-60), now), None, now);
        assert_eq!(late.time_to_live, Some(5), "never below the API's 5 s");
        let far = text_request(&sets(), &message(Urgency::Critical, Some(9_000_000), now), None, now);
        assert_eq!(far.time_to_live, Some(259_200), "never above the API's 72 h");
        let plain = text_request(&sets(), &StoredMessage::text("Your balance is low"), None, now);
        assert_eq!(
            (plain.configuration_set.as_str(), plain.time_to_live),
            ("fw-sms-reminders", None)
        );
    }

    #[test]
    fn opt_outs_blocked_countries_and_spend_limits_refuse_the_channel_and_throttling_does_not() {
        let refused = [
            ("ConflictException", Some("DESTINATION_PHONE_NUMBER_OPTED_OUT")),
            (
                "ConflictException",
                Some("DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION"),
            ),
            ("ValidationException", Some("DESTINATION_COUNTRY_BLOCKED")),
            ("ValidationException", Some("PRICE_OVER_THRESHOLD")),
            ("ValidationException", Some("INVALID_PARAMETER")),
            ("ServiceQuotaExceededException", None),
        ];
        for (code, reason) in refused {
            assert!(sms_refusal(Some(code), reason).is_some(), "{code} {reason:?}");
        }
        for (code, reason) in [
            ("ThrottlingException", None),
            ("InternalServerException", None),
            ("AccessDeniedException", Some("ACCOUNT_DISABLED")),
            ("ResourceNotFoundException", None),
            ("ConflictException", Some("RESOURCE_NOT_ACTIVE")),
        ] {
            assert_eq!(sms_refusal(Some(code), reason), None, "{code} {reason:?}");
        }
    }

    /// The user guide's "SMS example log", with forewarn's context, inside the SNS
    /// notification Lambda hands `feedback`.
    fn notification(message: Value) -> Value {
        json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:sms-events:1",
            "Sns": {"Type": "Notification", "MessageId": "n-1",
                "TopicArn": "arn:aws:sns:eu-west-1:123456789012:sms-events",
                "Message": message.to_string(), "Timestamp": "2026-12-02T09:00:00.100Z",
                "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example.com/c",
                "UnsubscribeUrl": "https://sns.example.com/u", "MessageAttributes": {}}}]})
    }

    fn documented(event_type: &str) -> Value {
        json!({"eventType": event_type, "eventVersion": "1.0", "eventTimestamp": 1686975103470_i64,
            "isFinal": true, "originationPhoneNumber": "+15555550152", "destinationPhoneNumber": "+15555550156",
            "isInternationalSend": false, "mcc": "310", "mnc": "800",
            "messageId": "862a8790-60c0-4430-9b2b-658bdexample", "messageRequestTimestamp": 1686975103170_i64,
            "messageEncoding": "GSM", "messageType": "TRANSACTIONAL", "messageStatus": "SUCCESSFUL",
            "messageStatusDescription": "Message has been accepted by phone carrier",
            "context": {"customer_id": "c-1", "subject": "transaction:tx-1"},
            "totalMessageParts": 1, "totalMessagePrice": 0.09582, "totalCarrierFee": 0.0})
    }

    #[test]
    fn a_documented_text_event_reads_as_feedback_on_the_customer_s_text() {
        let payload = notification(documented("TEXT_SUCCESSFUL"));
        let message = payload["Records"][0]["Sns"]["Message"].as_str().unwrap().to_owned();
        assert!(is_text_event(&message));
        let all = parse_sms_feedback(payload).unwrap();
        assert_eq!(all.len(), 1);
        let fb = &all[0];
        assert_eq!(fb.event_type, "TEXT_SUCCESSFUL");
        assert!(fb.is_final);
        assert_eq!(fb.message_id, "862a8790-60c0-4430-9b2b-658bdexample");
        assert_eq!(fb.customer_id.as_ref().map(Id::as_str), Some("c-1"));
        assert_eq!(fb.at, Timestamp::from_millisecond(1686975103470).unwrap());
        let push = json!({"EventType": "DeliveryFailure", "EndpointArn": "arn:x"}).to_string();
        assert!(!is_text_event(&push), "push feedback is not a text event");
    }

    #[test]
    fn a_text_event_without_its_message_id_is_refused_naming_the_place() {
        let mut m = documented("TEXT_BLOCKED");
        m.as_object_mut().unwrap().remove("messageId");
        let err = parse_sms_feedback(notification(m)).unwrap_err();
        assert!(err.to_string().contains("Records[0].Sns.Message"), "{err}");
    }
}
