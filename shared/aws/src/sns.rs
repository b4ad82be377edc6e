//! SMS and mobile push through SNS.

use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::MessageAttributeValue;
use forewarn_core::engine::Destination;
use forewarn_core::messages::push::{PushFields, QUESTION_SLOT, push_fields};
use forewarn_core::types::Id;
use forewarn_flows::ports::Sender;
use forewarn_flows::push_feedback::PushRefusal;
use forewarn_flows::records::{SendResult, StoredMessage};
use forewarn_flows::{FlowError, Port};
use jiff::Timestamp;
use serde_json::{Value, json};

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

/// The SNS `MessageStructure = json` body: a default text plus the APNs payload (for `APNS` and
/// `APNS_SANDBOX`) and the FCM HTTP v1 message (`GCM` / `fcmV1Message`), with the push fields
/// SNS has no message attribute for. APNs payload keys:
/// <https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification>;
/// FCM `AndroidConfig`: <https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages#androidconfig>;
/// SNS: <https://docs.aws.amazon.com/sns/latest/dg/sns-send-custom-platform-specific-payloads-mobile-devices.html>.
pub fn push_payload(m: &StoredMessage, f: &PushFields) -> String {
    let (apns, fcm) = (apns_payload(m, f), fcm_message(m, f));
    json!({
        "default": m.body,
        "APNS": apns.to_string(),
        "APNS_SANDBOX": apns.to_string(),
        "GCM": json!({"fcmV1Message": fcm}).to_string(),
    })
    .to_string()
}

/// The APNs payload: `aps` with the alert and how it interrupts, groups and offers actions,
/// then forewarn's keys (`deep_link`; a question's empty `question` slot).
pub fn apns_payload(m: &StoredMessage, f: &PushFields) -> Value {
    let mut aps = json!({
        "alert": {"title": m.title.clone().unwrap_or_default(), "body": m.body},
        "interruption-level": f.interruption.as_str(),
        "relevance-score": f.relevance_score,
    });
    if f.sound {
        aps["sound"] = json!("default");
    }
    if let Some(thread) = &f.thread_id {
        aps["thread-id"] = json!(thread);
    }
    if let Some(category) = f.category {
        aps["category"] = json!(category);
    }
    let mut payload = json!({"aps": aps, "deep_link": m.deep_link});
    if f.category.is_some() {
        payload[QUESTION_SLOT] = json!("");
    }
    payload
}

/// The FCM HTTP v1 `message`: the notification, `data` (string values only: the deep link, and
/// for a question its category, action ids and empty `question` slot) and `android` (priority,
/// collapse key, ttl, channel and tag).
pub fn fcm_message(m: &StoredMessage, f: &PushFields) -> Value {
    let mut data = json!({"deep_link": m.deep_link.clone().unwrap_or_default()});
    if let Some(category) = f.category {
        data["category"] = json!(category);
        data["actions"] = json!(f.actions.join(","));
        data[QUESTION_SLOT] = json!("");
    }
    let mut notification = json!({});
    if let Some(channel) = &f.android_channel {
        notification["channel_id"] = json!(channel);
    }
    let mut android = json!({"priority": f.android_priority.as_str(), "notification": notification});
    if let Some(id) = &f.collapse_id {
        android["collapse_key"] = json!(id);
        // The tag replaces a shown notification; the collapse key only one FCM still holds.
        android["notification"]["tag"] = json!(id);
    }
    if let Some(secs) = f.ttl_secs {
        android["ttl"] = json!(format!("{secs}s"));
    }
    if !f.sound {
        android["notification"]["notification_priority"] = json!("PRIORITY_LOW");
    }
    json!({"message": {
        "notification": {"title": m.title.clone().unwrap_or_default(), "body": m.body},
        "data": data,
        "android": android,
    }})
}

/// The SNS message attributes that become APNs headers and platform TTLs
/// (<https://docs.aws.amazon.com/sns/latest/dg/sns-ttl.html>): priority, push type, collapse
/// id and the time to live.
pub fn push_attributes(f: &PushFields) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "alert".to_owned()),
        ("AWS.SNS.MOBILE.APNS.PRIORITY", f.apns_priority.to_string()),
    ];
    if let Some(id) = &f.collapse_id {
        out.push(("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", id.clone()));
    }
    if let Some(secs) = f.ttl_secs {
        for key in [
            "AWS.SNS.MOBILE.APNS.TTL",
            "AWS.SNS.MOBILE.APNS_SANDBOX.TTL",
            "AWS.SNS.MOBILE.FCM.TTL",
        ] {
            out.push((key, secs.to_string()));
        }
    }
    out
}

/// The push fields of `m` sent now.
pub fn fields_of(m: &StoredMessage, now: Timestamp) -> PushFields {
    push_fields(m.traits.as_ref(), m.intrusion, m.ttl, m.deep_link.as_deref(), now)
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
        let fields = fields_of(m, Timestamp::now());
        let mut req = self
            .client
            .publish()
            .target_arn(endpoint)
            .message_structure("json")
            .message(push_payload(m, &fields));
        for (key, value) in push_attributes(&fields) {
            req = req.message_attributes(key, attr(value)?);
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
    use forewarn_core::catalog::{Kind, catalog};
    use forewarn_core::customer::Channel;
    use forewarn_core::events::parse_event_value;
    use forewarn_core::messages::format::Lang;
    use forewarn_core::messages::{MessageInput, Renderer, Traits};
    use forewarn_core::policy::Intrusion;

    const NOW: &str = "2026-11-22T08:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// The APNs payload and the FCM message of `m` sent at [`NOW`], as SNS would pass them on.
    fn payloads(m: &StoredMessage) -> (Value, Value, String, String) {
        let v: Value = serde_json::from_str(&push_payload(m, &fields_of(m, now()))).unwrap();
        let (apns, gcm) = (v["APNS"].as_str().unwrap(), v["GCM"].as_str().unwrap());
        assert_eq!(v["APNS_SANDBOX"], v["APNS"]);
        let gcm_value: Value = serde_json::from_str(gcm).unwrap();
        let fcm = gcm_value["fcmV1Message"].to_string();
        (
            serde_json::from_str(apns).unwrap(),
            gcm_value["fcmV1Message"].clone(),
            apns.to_owned(),
            fcm,
        )
    }

    fn fraud_question() -> StoredMessage {
        StoredMessage {
            title: Some("Card payment to check".into()),
            deep_link: Some("https://bank.example/tx/tx-1".into()),
            ttl: Some("2026-11-23T08:00:00Z".parse().unwrap()),
            expects_reply: true,
            traits: Some(Traits {
                kind: "SuspiciousTransaction".into(),
                category: forewarn_core::kinds::Category::parse("security").unwrap(),
                urgency: forewarn_core::kinds::Urgency::Critical,
                subject: "transaction:tx-1".into(),
                question: true,
            }),
            ..StoredMessage::text("249.90 EUR at Shop, Madrid. Was it you?")
        }
    }

    /// The exact APNs payload (keys of the `aps` dictionary as Apple's "Generating a remote
    /// notification" reference names them) and FCM HTTP v1 message (`AndroidConfig`,
    /// `AndroidNotification` of the FCM REST reference) of a fraud question.
    #[test]
    fn a_fraud_question_is_time_sensitive_collapsible_and_offers_its_two_actions_on_both_platforms() {
        let m = fraud_question();
        let (apns, fcm, _, _) = payloads(&m);
        let collapse = forewarn_core::messages::push::collapse_id("transaction:tx-1");
        assert_eq!(
            apns,
            json!({
                "aps": {
                    "alert": {"title": "Card payment to check", "body": "249.90 EUR at Shop, Madrid. Was it you?"},
                    "interruption-level": "time-sensitive",
                    "relevance-score": 1.0,
                    "sound": "default",
                    "thread-id": "forewarn.security",
                    "category": "FOREWARN_QUESTION",
                },
                "deep_link": "https://bank.example/tx/tx-1",
                "question": "",
            })
        );
        assert_eq!(
            fcm,
            json!({"message": {
                "notification": {"title": "Card payment to check", "body": "249.90 EUR at Shop, Madrid. Was it you?"},
                "data": {
                    "deep_link": "https://bank.example/tx/tx-1",
                    "category": "FOREWARN_QUESTION",
                    "actions": "CONFIRM,DISPUTE",
                    "question": "",
                },
                "android": {
                    "priority": "HIGH",
                    "collapse_key": collapse,
                    "ttl": "86400s",
                    "notification": {"channel_id": "forewarn.security", "tag": collapse},
                },
            }})
        );
        let attributes = push_attributes(&fields_of(&m, now()));
        assert_eq!(
            attributes,
            [
                ("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "alert".to_owned()),
                ("AWS.SNS.MOBILE.APNS.PRIORITY", "10".to_owned()),
                ("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", collapse.clone()),
                ("AWS.SNS.MOBILE.APNS.TTL", "86400".to_owned()),
                ("AWS.SNS.MOBILE.APNS_SANDBOX.TTL", "86400".to_owned()),
                ("AWS.SNS.MOBILE.FCM.TTL", "86400".to_owned()),
            ]
        );
    }

    #[test]
    fn a_passive_push_asks_apns_and_fcm_not_to_interrupt_and_a_normal_one_rings() {
        let normal = StoredMessage::text("Your balance is low");
        let passive = StoredMessage {
            intrusion: Intrusion::Passive,
            ..normal.clone()
        };
        let (apns, fcm, _, _) = payloads(&passive);
        assert_eq!(apns["aps"]["interruption-level"], "passive");
        assert!(apns["aps"].get("sound").is_none(), "{apns}");
        let android = &fcm["message"]["android"];
        assert_eq!(android["priority"], "NORMAL");
        assert_eq!(android["notification"]["notification_priority"], "PRIORITY_LOW");
        assert_eq!(
            push_attributes(&fields_of(&passive, now()))[1],
            ("AWS.SNS.MOBILE.APNS.PRIORITY", "5".to_owned())
        );
        let (apns, fcm, _, _) = payloads(&normal);
        assert_eq!(apns["aps"]["interruption-level"], "active");
        assert_eq!(apns["aps"]["sound"], "default");
        assert!(apns.get("question").is_none(), "{apns}");
        assert!(
            fcm["message"]["android"]["notification"]
                .get("notification_priority")
                .is_none(),
            "{fcm}"
        );
        // No traits (an acknowledgement, an old row): no group, no collapse, no channel.
        assert!(apns["aps"].get("thread-id").is_none(), "{apns}");
        assert!(fcm["message"]["android"].get("collapse_key").is_none(), "{fcm}");
    }

    /// `kind`'s first schema example with every string the producer writes made long and
    /// non-ASCII where the event still parses: the worst text a renderer gets.
    fn long_event(kind: &Kind) -> forewarn_core::events::Event {
        fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            match v {
                Value::String(_) => out.push(at.clone()),
                Value::Object(o) => o.iter().for_each(|(k, v)| {
                    at.push(k.clone());
                    paths(v, at, out);
                    at.pop();
                }),
                _ => {}
            }
        }
        let parse = |detail: &Value| {
            parse_event_value(json!({
                "version": "0", "id": "e-1", "detail-type": kind.name(), "source": "bank.test",
                "time": NOW, "resources": [], "detail": detail,
            }))
        };
        let mut detail = kind.def.schema["examples"][0].clone();
        let mut all = Vec::new();
        paths(&detail, &mut Vec::new(), &mut all);
        for path in all {
            let before = detail.clone();
            let slot = path.iter().fold(&mut detail, |v, k| &mut v[k.as_str()]);
            *slot = json!("Übergroße Händlerbezeichnung «Ŝpecial» ".repeat(40));
            if parse(&detail).is_err() {
                detail = before;
            }
        }
        parse(&detail).unwrap()
    }

    /// APNs refuses a payload over 4096 bytes (`PayloadTooLarge`, "Sending notification
    /// requests to APNs"); FCM a message over 4096 bytes ("About FCM messages": the notification
    /// message payload limit).
    #[test]
    fn every_kind_in_every_language_fits_the_apns_and_fcm_payload_limits_with_long_producer_text() {
        let renderer = Renderer::new();
        let mut seen = 0;
        for kind in catalog().kinds().iter().filter(|k| k.notifies()) {
            let e = long_event(kind);
            for &lang in Lang::all() {
                let m = renderer
                    .render(&MessageInput {
                        detail: &e.detail,
                        channel: Channel::Push,
                        locale: lang.tag(),
                        time_zone: &jiff::tz::TimeZone::UTC,
                        customer_name: Some("Maximiliana Wolfeschlegelsteinhausen"),
                        event_time: e.time.0,
                        json: None,
                    })
                    .unwrap();
                let stored = StoredMessage::from(&m);
                let (apns, fcm, apns_text, fcm_text) = payloads(&stored);
                let at = format!("{} {}", kind.name(), lang.tag());
                assert!(apns_text.len() <= 4096, "{at}: APNs payload {} bytes", apns_text.len());
                assert!(fcm_text.len() <= 4096, "{at}: FCM message {} bytes", fcm_text.len());
                assert!(
                    apns["aps"]["thread-id"].as_str().unwrap().starts_with("forewarn."),
                    "{at}"
                );
                assert_eq!(
                    fcm["message"]["android"]["collapse_key"],
                    apns_collapse(&stored),
                    "{at}"
                );
                seen += 1;
            }
        }
        assert!(seen >= 5 * Lang::all().len(), "{seen}");
    }

    fn apns_collapse(m: &StoredMessage) -> String {
        let attributes = push_attributes(&fields_of(m, now()));
        let (_, id) = attributes
            .iter()
            .find(|(k, _)| *k == "AWS.SNS.MOBILE.APNS.COLLAPSE_ID")
            .expect("a message with traits collapses");
        assert!(id.len() <= 64, "{id}");
        id.clone()
    }
}
