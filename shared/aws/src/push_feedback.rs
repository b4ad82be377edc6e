//! SNS application event notifications (a platform application's `EventDeliveryFailure`, `EventEndpointUpdated`, `EventEndpointDeleted` topic) read into `PushFeedback`.

use aws_lambda_events::sns::SnsEvent;
use forewarn_core::events::EventError;
use forewarn_core::time_fault::why_not_a_time;
use forewarn_flows::push_feedback::{PushEvent, PushFeedback, PushRefusal};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

/// The message SNS publishes for an application event (the SNS developer guide's
/// "application event notifications"; a delivery failure reads `{"DeliveryAttempts": 1,
/// "EndpointArn": …, "EventType": "DeliveryFailure", "FailureMessage": …, "FailureType":
/// "InvalidPlatformToken", "MessageId": …, "Resource": <application arn>, "Service": "SNS",
/// "Time": …}`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApplicationEvent {
    event_type: String,
    endpoint_arn: String,
    #[serde(default)]
    failure_type: Option<String>,
    #[serde(default)]
    time: Option<String>,
    /// An endpoint update's new attributes, when SNS includes them.
    #[serde(default)]
    enabled: Option<Value>,
    #[serde(default)]
    attributes: Option<Value>,
}

/// False when the value says the endpoint is disabled (`"false"` or `false`).
fn says_disabled(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// Every record of an SNS event from the push feedback topic, each as `PushFeedback`; a
/// record that is not an application event is refused naming its place and field.
pub fn parse_push_feedback(payload: Value) -> Result<Vec<PushFeedback>, EventError> {
    let sns: SnsEvent =
        serde_json::from_value(payload).map_err(|e| EventError::new("Records", format!("not an SNS event: {e}")))?;
    if sns.records.is_empty() {
        return Err(EventError::new("Records", "no notification"));
    }
    let mut all = Vec::with_capacity(sns.records.len());
    for (i, record) in sns.records.iter().enumerate() {
        let path = |field: &str| format!("Records[{i}].Sns.Message.{field}");
        let m: ApplicationEvent = serde_json::from_str(&record.sns.message).map_err(|e| {
            EventError::new(
                format!("Records[{i}].Sns.Message"),
                format!("not an SNS application event: {e}"),
            )
        })?;
        let event = match m.event_type.as_str() {
            "DeliveryFailure" => {
                let code = m
                    .failure_type
                    .as_deref()
                    .ok_or_else(|| EventError::new(path("FailureType"), "missing in a DeliveryFailure"))?;
                PushEvent::DeliveryFailure(PushRefusal::from_code(code))
            }
            "EndpointUpdated" => {
                let nested = m.attributes.as_ref().and_then(|a| a.get("Enabled"));
                if says_disabled(m.enabled.as_ref()) || says_disabled(nested) {
                    PushEvent::EndpointDisabled
                } else {
                    PushEvent::EndpointUpdated
                }
            }
            "EndpointDeleted" => PushEvent::EndpointDeleted,
            other => {
                return Err(EventError::new(
                    path("EventType"),
                    format!("{other:?} is not DeliveryFailure, EndpointUpdated or EndpointDeleted"),
                ));
            }
        };
        let received = Timestamp::from_millisecond(record.sns.timestamp.timestamp_millis())
            .map_err(|e| EventError::new(format!("Records[{i}].Sns.Timestamp"), e.to_string()))?;
        let when = match &m.time {
            Some(t) => t
                .parse()
                .map_err(|_| EventError::new(path("Time"), why_not_a_time(t)))?,
            None => received,
        };
        all.push(PushFeedback {
            endpoint: m.endpoint_arn,
            event,
            message_id: record.sns.message_id.clone(),
            at: when,
        });
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SNS notification as Lambda receives it from the topic, with `message` inside.
    pub(crate) fn record(message: &Value) -> Value {
        serde_json::json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:push-feedback:1",
            "Sns": {"Type": "Notification", "MessageId": "4e658b3c-8738-5a67-a13b-d86089f45074",
                "TopicArn": "arn:aws:sns:eu-west-1:123456789012:push-feedback",
                "Subject": "DeliveryFailure event for app forewarn (GCM)",
                "Message": message.to_string(), "Timestamp": "2026-12-02T09:00:01.000Z",
                "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example.com/c.pem",
                "UnsubscribeUrl": "https://sns.example.com/u", "MessageAttributes": {}}}]})
    }

    #[test]
    fn a_documented_delivery_failure_names_the_endpoint_and_the_failure_type() {
        // The shape SNS publishes for EventDeliveryFailure (SNS developer guide, application
        // event notifications; the same fields as AWS re:Post's "list of available FailureTypes").
        let message = serde_json::json!({"DeliveryAttempts": 1,
            "EndpointArn": "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/forewarn/3f08fd15",
            "EventType": "DeliveryFailure", "FailureMessage": "Platform token associated with the endpoint is not valid",
            "FailureType": "InvalidPlatformToken", "MessageId": "dd686e01-3f8f-56f7-9683-348cb97d649a",
            "Resource": "arn:aws:sns:eu-west-1:123456789012:app/GCM/forewarn", "Service": "SNS",
            "Time": "2026-12-02T09:00:00.787Z"});
        let fb = parse_push_feedback(record(&message)).unwrap();
        assert_eq!(fb.len(), 1);
        assert_eq!(
            fb[0].endpoint,
            "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/forewarn/3f08fd15"
        );
        assert_eq!(
            fb[0].event,
            PushEvent::DeliveryFailure(PushRefusal::Token("InvalidPlatformToken".into()))
        );
        assert_eq!(fb[0].at, "2026-12-02T09:00:00.787Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn an_endpoint_update_that_disables_it_is_told_from_one_that_does_not() {
        let arn = "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/forewarn/1";
        let update = |attrs: Value| {
            serde_json::json!({"EventType": "EndpointUpdated", "EndpointArn": arn, "Attributes": attrs,
                "Service": "SNS", "Time": "2026-12-02T09:00:00Z"})
        };
        let of = |m: Value| parse_push_feedback(record(&m)).unwrap()[0].event.clone();
        assert_eq!(
            of(update(serde_json::json!({"Enabled": "false"}))),
            PushEvent::EndpointDisabled
        );
        assert_eq!(
            of(update(serde_json::json!({"Enabled": "true"}))),
            PushEvent::EndpointUpdated
        );
        let deleted = serde_json::json!({"EventType": "EndpointDeleted", "EndpointArn": arn, "Service": "SNS"});
        assert_eq!(of(deleted), PushEvent::EndpointDeleted);
    }

    #[test]
    fn a_record_that_is_not_an_application_event_is_refused_naming_the_field() {
        let created = serde_json::json!({"EventType": "EndpointCreated", "EndpointArn": "arn:x"});
        let err = parse_push_feedback(record(&created)).unwrap_err();
        assert_eq!(err.path, "Records[0].Sns.Message.EventType");
        let no_type = serde_json::json!({"EventType": "DeliveryFailure", "EndpointArn": "arn:x"});
        let err = parse_push_feedback(record(&no_type)).unwrap_err();
        assert_eq!(err.path, "Records[0].Sns.Message.FailureType");
        let err = parse_push_feedback(record(&serde_json::json!("hello"))).unwrap_err();
        assert_eq!(err.path, "Records[0].Sns.Message");
    }
}
