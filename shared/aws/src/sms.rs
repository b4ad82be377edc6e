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
        None => Err(port_error(Port::Sns, e)),
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
