//! SMS that reports back, end to end through the real binaries on the local stack: with
//! `FOREWARN_SMS_PROVIDER=end-user-messaging`, texts go to a fake End User Messaging SMS
//! (`forewarn_e2e::eum`: moto has none, so the fake answers `SendTextMessage` as AWS's API
//! reference documents it and keeps the requests); the delivery events reach the real
//! `feedback` binary in the shape the End User Messaging SMS user guide documents for a
//! configuration set's SNS event destination ("SMS example log"). A blocked fraud alert
//! falls over to email once; so does one no delivery event reported within its kind's
//! `receipt_within_minutes`, when its receipt check fires; a delivered text settles its row as
//! delivered.

use forewarn_e2e::eum::FakeEum;
use forewarn_e2e::runtime::{FunctionProcess, binary};
use forewarn_e2e::{TestCustomer, sample, stack};
use forewarn_flows::reroute::UNCONFIRMED_REROUTED;
use serde_json::{Value, json};

const SECURITY_SET: &str = "forewarn-test-sms-security";
const REMINDERS_SET: &str = "forewarn-test-sms-reminders";

/// A function of the local stack that sends texts through the fake.
async fn texting(name: &str, eum: &FakeEum) -> FunctionProcess {
    let mut env: Vec<(String, String)> = stack()
        .function_env()
        .into_iter()
        .filter(|(k, _)| k != "FOREWARN_SMS_PROVIDER")
        .collect();
    for (k, v) in [
        ("FOREWARN_SMS_PROVIDER", "end-user-messaging"),
        ("FOREWARN_SMS_CONFIGURATION_SET_SECURITY", SECURITY_SET),
        ("FOREWARN_SMS_CONFIGURATION_SET_REMINDERS", REMINDERS_SET),
        ("FOREWARN_SMS_MAX_PRICE", "0.05000"),
        ("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", eum.url.as_str()),
    ] {
        env.push((k.into(), v.into()));
    }
    let mut f = FunctionProcess::spawn(&binary(name), &env).await;
    f.init_time(std::time::Duration::from_secs(20)).await;
    f
}

/// A text event as the configuration set's SNS event destination hands it to `feedback`:
/// the documented fields, the context forewarn set when sending handed back.
fn text_event(event_type: &str, message_id: &str, context: &Value, c: &TestCustomer) -> Value {
    let message = json!({"eventType": event_type, "eventVersion": "1.0",
        "eventTimestamp": jiff::Timestamp::now().as_millisecond(), "isFinal": true,
        "originationPhoneNumber": "+15550100", "destinationPhoneNumber": c.phone,
        "isInternationalSend": false, "mcc": "268", "mnc": "01", "messageId": message_id,
        "messageRequestTimestamp": jiff::Timestamp::now().as_millisecond(), "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL", "messageStatus": event_type.trim_start_matches("TEXT_"),
        "messageStatusDescription": "as the carrier reported", "context": context,
        "totalMessageParts": 1, "totalMessagePrice": 0.0418, "totalCarrierFee": 0.0});
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:sms-events:1",
        "Sns": {"Type": "Notification", "MessageId": format!("sns-{message_id}-{event_type}"),
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:sms-events",
            "Message": message.to_string(), "Timestamp": "2026-12-02T09:00:00.100Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example.com/cert",
            "UnsubscribeUrl": "https://sns.example.com/unsub", "MessageAttributes": {}}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_fraud_text_falls_over_to_email_once_and_marks_the_number_unusable() {
    let eum = FakeEum::start().await;
    let c = TestCustomer::seed(
        "eum",
        json!({"devices": [], "channel_preferences": {"security": ["sms"]}}),
    )
    .await;
    let fraud = texting("suspicious-transaction", &eum).await;
    let feedback = texting("feedback", &eum).await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    let texts = eum.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    let body = &texts[0].body;
    assert_eq!(body["DestinationPhoneNumber"], c.phone.as_str());
    assert_eq!(
        body["ConfigurationSetName"], SECURITY_SET,
        "a fraud alert is a security text"
    );
    assert_eq!(body["MessageType"], "TRANSACTIONAL");
    assert_eq!(body["MaxPrice"], "0.05000");
    assert_eq!(body["Context"]["customer_id"], c.id.as_str());
    let ttl = body["TimeToLive"].as_i64().expect("a fraud alert has a time to live");
    assert!((5..=259_200).contains(&ttl), "{ttl}");
    let rows = stack().deliveries(&c.id).await;
    assert!(
        rows.iter()
            .any(|r| r.provider_message_id.as_deref() == Some(texts[0].message_id.as_str())),
        "the row keeps End User Messaging's message id"
    );
    assert!(stack().emails_to(&c.email).await.is_empty(), "only the SMS went out");

    let blocked = text_event("TEXT_BLOCKED", &texts[0].message_id, &body["Context"], &c);
    let r = feedback.invoke(blocked.clone()).await.ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("failed"), Some(1)),
        "{r}"
    );
    stack().wait_emails_to(&c.email, 1).await;
    let again = feedback.invoke(blocked).await.ok();
    assert_eq!(again["outcome"], "failed", "{again}");
    assert_eq!(stack().emails_to(&c.email).await.len(), 1, "the alert fell over once");
    let sms_row = stack()
        .deliveries(&c.id)
        .await
        .into_iter()
        .find(|r| r.provider_message_id.as_deref() == Some(texts[0].message_id.as_str()))
        .expect("the SMS row");
    assert!(
        sms_row.failure.as_deref().unwrap_or_default().contains("TEXT_BLOCKED"),
        "{sms_row:?}"
    );
    let logs = feedback.settled_logs().await;
    assert!(!logs.contains(&c.phone[4..]), "feedback's logs name no number");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_text_event_settles_the_row_as_delivered() {
    let eum = FakeEum::start().await;
    let c = TestCustomer::seed(
        "eud",
        json!({"devices": [], "channel_preferences": {"security": ["sms"]}}),
    )
    .await;
    let fraud = texting("suspicious-transaction", &eum).await;
    let feedback = texting("feedback", &eum).await;
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    let text = eum.texts().pop().expect("the text");
    let r = feedback
        .invoke(text_event(
            "TEXT_DELIVERED",
            &text.message_id,
            &text.body["Context"],
            &c,
        ))
        .await
        .ok();
    assert_eq!(r["outcome"], "delivered", "{r}");
    // feedback answers after its conditional write: the row is settled by now.
    let row = stack()
        .deliveries(&c.id)
        .await
        .into_iter()
        .find(|r| r.provider_message_id.as_deref() == Some(text.message_id.as_str()))
        .expect("the SMS row");
    assert!(row.delivered_at.is_some(), "{row:?}");
    assert_eq!(row.record.status, forewarn_core::policy::DeliveryStatus::Sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_text_not_reported_delivered_in_time_falls_over_to_email_once_when_its_check_fires() {
    let eum = FakeEum::start().await;
    let c = TestCustomer::seed(
        "eut",
        json!({"devices": [], "channel_preferences": {"security": ["sms"]}}),
    )
    .await;
    let fraud = texting("suspicious-transaction", &eum).await;
    let sent_at = jiff::Timestamp::now();
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    let owner = format!("\"customer_id\":\"{}\"", c.id);
    let (_, at, input) = stack()
        .wait_schedule("the text's receipt check", |(_, _, i)| {
            i.contains(&owner) && i.contains("\"receipt_check\":true")
        })
        .await;
    // `at(…)` in UTC, SuspiciousTransaction's receipt_within_minutes (10) after the send.
    let fires: jiff::civil::DateTime = at
        .trim_start_matches("at(")
        .trim_end_matches(')')
        .parse()
        .expect("an at() expression");
    let fires = fires.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    let after = fires.duration_since(sent_at).as_secs();
    assert!(
        (9 * 60..=11 * 60 + 60).contains(&after),
        "{at}: {after} s after the send"
    );
    assert!(stack().emails_to(&c.email).await.is_empty(), "only the SMS went out");

    // No delivery event came: the check fires (as Scheduler would, with its input).
    let dispatch = texting("dispatch", &eum).await;
    let r = dispatch.invoke(serde_json::from_str(&input).unwrap()).await.ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("sent"), Some(1)),
        "{r}"
    );
    stack().wait_emails_to(&c.email, 1).await;
    // A retried check finds the row it re-routed and puts its events again, sending nothing.
    let again = dispatch.invoke(serde_json::from_str(&input).unwrap()).await.ok();
    assert_eq!(again["reasons"][1], UNCONFIRMED_REROUTED, "{again}");
    assert_eq!(stack().emails_to(&c.email).await.len(), 1, "the alert fell over once");
    assert_eq!(eum.texts().len(), 1, "and was not texted again");
    let sms_row = stack()
        .deliveries(&c.id)
        .await
        .into_iter()
        .find(|r| r.record.channel == forewarn_core::customer::Channel::Sms && !r.reminder)
        .expect("the SMS row");
    assert_eq!(
        sms_row.record.status,
        forewarn_core::policy::DeliveryStatus::Sent,
        "a late receipt may still settle it"
    );
}
