//! Dead devices end to end, through the real binaries on the local stack: an SNS
//! `EventDeliveryFailure` notification through `feedback` marks the device unusable, the next
//! push-first notice falls over without it, a re-import of the same customer file does not
//! revive it, and `customers import --dry-run` prints what would change and writes nothing.

use forewarn_aws::dynamo::DynamoStore;
use forewarn_e2e::runtime::binary;
use forewarn_e2e::{function, keys, sample, stack, unique};
use forewarn_flows::ports::Partitions;
use serde_json::{Value, json};

fn forewarn_cli(args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(binary("forewarn"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in stack().function_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run forewarn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An SNS notification of the platform application's `EventDeliveryFailure` topic, as Lambda
/// hands it to `feedback`. The message has the fields SNS documents for application event
/// notifications (SNS developer guide, "Amazon SNS application event notifications for mobile
/// applications"; the same shape AWS re:Post's "sns push notification list of available
/// failuretypes" quotes): DeliveryAttempts, EndpointArn, EventType, FailureMessage,
/// FailureType, MessageId, Resource, Service, Time.
fn delivery_failure(endpoint: &str, failure_type: &str, id: &str) -> Value {
    let message = json!({"DeliveryAttempts": 1, "EndpointArn": endpoint, "EventType": "DeliveryFailure",
        "FailureMessage": "Endpoint is disabled", "FailureType": failure_type,
        "MessageId": format!("fail-{id}"), "Resource": "arn:aws:sns:eu-west-1:123456789012:app/APNS/forewarn",
        "Service": "SNS", "Time": "2026-12-02T09:00:00.000Z"});
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:push-feedback:1",
        "Sns": {"Type": "Notification", "MessageId": format!("sns-{id}"),
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:push-feedback",
            "Subject": "DeliveryFailure event for app forewarn (APNS)",
            "Message": message.to_string(), "Timestamp": "2026-12-02T09:00:00.100Z",
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example.com/cert",
            "UnsubscribeUrl": "https://sns.example.com/unsub", "MessageAttributes": {}}}]})
}

/// The customer's device `phone`, as notify reads it.
async fn phone_of(customer: &str) -> Option<forewarn_core::customer::DeviceProfile> {
    let store = DynamoStore::new(stack().dynamodb().await, &stack().table);
    let id = forewarn_core::types::Id::parse(customer).unwrap();
    let part = store.load(&id, None).await.expect("the partition");
    part.profile?
        .devices
        .into_iter()
        .find(|d| d.device_id.as_str() == "phone")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_sns_reports_dead_is_skipped_by_the_next_push_and_a_re_import_does_not_revive_it() {
    let n = unique();
    let c = format!("dev-{n}");
    let endpoint = stack().push_endpoint(&format!("dev-token-{n}")).await;
    let file = std::env::temp_dir().join(format!("{c}.json"));
    let profile = json!([{"customer_id": c, "name": "Sam Example", "locale": "en-GB",
        "time_zone": "Europe/Lisbon", "contacts": {"email": format!("dev{n}@example.com")},
        "quiet_hours": {"start": "00:00", "end": "00:00"},
        "devices": [{"device_id": "phone", "kind": "phone", "platform": "ios", "push_endpoint": endpoint}]}]);
    std::fs::write(&file, profile.to_string()).unwrap();
    let path = file.to_str().unwrap();

    // A dry run prints what the first load would do and writes nothing.
    let (ok, out, err) = forewarn_cli(&["customers", "import", "--dry-run", path]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "customer {c}: would set name, locale, time_zone, email, quiet_hours"
        )) && out.contains("would write devices phone")
            && out.contains("nothing written"),
        "{out}"
    );
    assert!(stack().partition_rows(&keys::customer_pk(&c)).await.is_empty());

    let (ok, out, err) = forewarn_cli(&["customers", "import", path]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("1 customers imported"), "{out}");
    assert_eq!(phone_of(&c).await.and_then(|d| d.disabled_reason), None);

    let feedback = function("feedback").await;
    let r = feedback
        .invoke(delivery_failure(&endpoint, "EndpointDisabled", &c))
        .await
        .ok();
    assert_eq!(r["outcome"], "recorded", "{r}");
    let phone = phone_of(&c).await.expect("the device stays, unusable");
    assert_eq!(
        phone.disabled_reason.as_deref(),
        Some("the push service rejected the token (EndpointDisabled) on 2026-12-02")
    );
    let again = feedback
        .invoke(delivery_failure(&endpoint, "EndpointDisabled", &c))
        .await
        .ok();
    assert_eq!(again["duplicate"], true, "{again}");

    // A flight delay goes push first; the dead device is skipped and the email carries it.
    let flight = function("flight-delay").await;
    let r = flight
        .invoke(sample("flight-delayed.json", &format!("fd-{c}"), &c))
        .await
        .ok();
    let reasons = r["reasons"].to_string();
    assert!(reasons.contains("push skipped"), "{r}");
    assert_eq!(r["channels"], json!(["email"]), "{r}");
    stack().wait_emails_to(&format!("dev{n}@example.com"), 1).await;
    assert!(stack().pushes_to(&endpoint).await.is_empty());

    // The same file again: the device stays dead, and the dry run says why.
    let (ok, out, err) = forewarn_cli(&["customers", "import", "--dry-run", path]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!("customer {c}: nothing to change"))
            && out
                .contains("kept: device phone stays unusable: the push service rejected the token (EndpointDisabled)"),
        "{out}"
    );
    let (ok, out, err) = forewarn_cli(&["customers", "import", path]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("device phone stays unusable"), "{out}");
    let phone = phone_of(&c).await.expect("the device");
    assert!(phone.disabled_reason.is_some(), "{phone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_that_is_not_an_application_event_is_refused_naming_the_field() {
    let feedback = function("feedback").await;
    let mut bad = delivery_failure(
        "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/forewarn/x",
        "X",
        "bad",
    );
    bad["Records"][0]["Sns"]["Message"] =
        json!(json!({"EventType": "EndpointCreated", "EndpointArn": "arn:x"}).to_string());
    let (error_type, message) = feedback.invoke(bad).await.err();
    assert_eq!(error_type, "forewarn.InvalidEvent.NonRetryable");
    assert!(message.contains("Records[0].Sns.Message.EventType"), "{message}");
}
