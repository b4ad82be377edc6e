//! Faults, end to end, beyond the fault matrix (matrix.rs, one fault per cell): several faults
//! in one invocation, a service that keeps failing, a `PutEvents` that partly fails, provider
//! refusals that fail one channel, and two decisions for one customer at once. The functions
//! reach the local stack through a fault-injecting proxy.

use std::sync::Arc;
use std::time::Duration;

use forewarn_e2e::cells::{behind, flight, function_behind, proxy, push_customer, reminder_ready};
use forewarn_e2e::faults::{Fault, Rule, aws_json_error, aws_query_error};
use forewarn_e2e::runtime::Invocation;
use forewarn_e2e::{DEADLINE, sample, stack, wait_outcomes, wait_until};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_and_the_event_goes_through() {
    let (c, endpoint) = push_customer().await;
    let proxy = proxy().await;
    for (operation, fault) in [
        (
            "DynamoDB_20120810.Query",
            aws_json_error(400, "ProvisionedThroughputExceededException"),
        ),
        ("Publish", aws_json_error(500, "InternalError")),
        ("AWSEvents.PutEvents", aws_json_error(400, "ThrottlingException")),
    ] {
        proxy.add(Rule {
            operation: operation.into(),
            skip: 0,
            times: 1,
            fault,
        });
    }
    let f = behind(&proxy).await;
    let r = f.invoke(flight(&format!("t-{c}"), &c)).await.ok();
    for operation in ["Query", "Publish", "PutEvents"] {
        assert_eq!(proxy.fired(operation), 1, "the {operation} fault fired");
    }
    assert_eq!(r["sent"], 1, "{r}");
    assert_eq!(r["requests"]["DynamoDB.Query"], 2, "one retry: {r}");
    f.settled_logs().await;
    assert_eq!(stack().wait_pushes_to(&endpoint, 1).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_keeps_failing_is_a_retryable_error_and_nothing_is_half_written() {
    let (c, endpoint) = push_customer().await;
    let proxy = proxy().await;
    proxy.add(Rule {
        operation: "TransactWriteItems".into(),
        skip: 0,
        times: usize::MAX,
        fault: aws_json_error(500, "InternalServerError"),
    });
    let event = flight(&format!("f-{c}"), &c);
    let f = behind(&proxy).await;
    let (error_type, message) = f.invoke(event.clone()).await.err();
    assert_eq!(error_type, "forewarn.dynamodb.Retryable", "{message}");
    assert!(proxy.fired("TransactWriteItems") >= 1, "the fault fired");
    // The invocation's final line ("failed") says it is over: nothing more will be written.
    f.settled_logs().await;
    assert!(
        stack()
            .rows(&c)
            .await
            .iter()
            .all(|(sk, _)| forewarn_e2e::keys::is_profile(sk) || forewarn_e2e::keys::is_device(sk, None))
    );
    assert!(stack().pushes_to(&endpoint).await.is_empty());

    proxy.clear();
    proxy.add(Rule {
        operation: "Publish".into(),
        skip: 0,
        times: usize::MAX,
        fault: aws_json_error(500, "InternalError"),
    });
    let (error_type, _) = f.invoke(event.clone()).await.err();
    assert_eq!(error_type, "forewarn.sns.Retryable");
    assert!(proxy.fired("Publish") >= 1, "the fault fired");
    f.settled_logs().await;
    assert!(stack().pushes_to(&endpoint).await.is_empty());

    proxy.clear();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(f.invoke(event).await.ok()["sent"], 1, "Lambda's retry delivers it");
    f.settled_logs().await;
    assert_eq!(stack().wait_pushes_to(&endpoint, 1).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_events_that_partly_fails_is_retried_and_one_that_keeps_failing_is_reported_then_replayed() {
    let (c, _) = push_customer().await;
    let proxy = proxy().await;
    let partial = Fault::Rewrite {
        body: r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"injected"}]}"#.into(),
    };
    proxy.add(Rule {
        operation: "AWSEvents.PutEvents".into(),
        skip: 0,
        times: 1,
        fault: partial.clone(),
    });
    let f = behind(&proxy).await;
    let r = f.invoke(flight(&format!("p1-{c}"), &c)).await.ok();
    assert_eq!(proxy.fired("PutEvents"), 1, "the partial failure fired");
    assert_eq!(
        r["requests"]["EventBridge.PutEvents"], 2,
        "the failed entry is sent again: {r}"
    );

    proxy.add(Rule {
        operation: "AWSEvents.PutEvents".into(),
        skip: 0,
        times: usize::MAX,
        fault: partial,
    });
    let event = flight(&format!("p2-{c}"), &c);
    let result = f.invoke(event.clone()).await;
    let Invocation::Err { error_type, .. } = result else {
        panic!("a PutEvents that keeps failing must fail the invocation: {result:?}");
    };
    assert_eq!(error_type, "forewarn.eventbridge.Retryable");
    proxy.clear();
    let r = f.invoke(event).await.ok();
    assert_eq!(r["duplicate"], true, "{r}");
    assert_eq!(
        r["requests"]["EventBridge.PutEvents"], 1,
        "the retry puts the outcome events: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_whose_publish_keeps_failing_hands_the_row_back_and_the_retry_sends_it_once() {
    let (c, request) = reminder_ready().await;
    let proxy = proxy().await;
    proxy.add(Rule {
        operation: "Publish".into(),
        skip: 0,
        times: usize::MAX,
        fault: aws_json_error(500, "InternalError"),
    });
    let f = function_behind(&proxy, "dispatch").await;
    let (error_type, message) = f.invoke(request.clone()).await.err();
    assert_eq!(error_type, "forewarn.sns.Retryable", "{message}");
    f.settled_logs().await;
    assert!(proxy.fired("Publish") >= 1, "the fault fired");
    assert_eq!(
        stack().pushes_to(&c.endpoint).await.len(),
        1,
        "only the first alert so far"
    );

    proxy.clear();
    let r = f.invoke(request.clone()).await.ok();
    assert_eq!(r["sent"], 1, "the retry takes the handed-back row: {r}");
    let again = f.invoke(request).await.ok();
    assert_eq!(again["sent"], 0, "and sends it once: {again}");
    f.settled_logs().await;
    assert_eq!(
        stack().wait_pushes_to(&c.endpoint, 2).await.len(),
        2,
        "alert and reminder, once each"
    );
}

/// The rows of `customer`'s deliveries as (channel, status), once `n` of them are final.
async fn final_rows(customer: &str, n: usize) -> Vec<(String, String)> {
    let what = format!("{n} final delivery rows");
    let rows = stack()
        .wait_deliveries(customer, &what, |rows| {
            rows.iter().filter(|r| r.record.status.is_final()).count() >= n
        })
        .await;
    rows.iter()
        .map(|r| (r.record.channel.to_string(), format!("{:?}", r.record.status)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_refused_by_a_disabled_platform_application_falls_over_to_sms_and_leaves_the_device_enabled() {
    let c = forewarn_e2e::TestCustomer::seed("refused", json!({})).await;
    let proxy = proxy().await;
    proxy.add(Rule {
        operation: "Publish".into(),
        skip: 0,
        times: 1,
        fault: aws_query_error(400, "PlatformApplicationDisabled"),
    });
    let f = behind(&proxy).await;
    let r = f.invoke(flight(&format!("pad-{}", c.id), &c.id)).await.ok();
    assert_eq!(proxy.fired("Publish"), 1, "the refusal fired");
    assert_eq!(r["sent"], 1, "{r}");
    f.settled_logs().await;
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await.len(),
        1,
        "the SMS went out instead"
    );
    assert!(stack().pushes_to(&c.endpoint).await.is_empty());
    let mut rows = final_rows(&c.id, 2).await;
    rows.sort();
    assert_eq!(rows, [("push".into(), "Failed".into()), ("sms".into(), "Sent".into())]);
    let outcomes = wait_outcomes(&c.id, "a sent and a failed outcome", |o| o.len() >= 2).await;
    assert!(
        !outcomes.iter().any(|o| o["detail-type"] == "DeviceDisabled"),
        "an expired certificate is not the device's fault: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_rejected_by_ses_fails_that_channel_and_falls_over_to_the_next() {
    let c = forewarn_e2e::TestCustomer::seed("rejected", json!({"channel_preferences": {"travel": ["email", "sms"]}}))
        .await;
    let proxy = proxy().await;
    proxy.add(Rule {
        operation: "/v2/email/outbound-emails".into(),
        skip: 0,
        times: 1,
        fault: aws_json_error(400, "MessageRejected"),
    });
    let f = behind(&proxy).await;
    let r = f.invoke(flight(&format!("rej-{}", c.id), &c.id)).await.ok();
    assert_eq!(proxy.fired("outbound-emails"), 1, "the rejection fired");
    assert_eq!(r["sent"], 1, "{r}");
    f.settled_logs().await;
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await.len(),
        1,
        "the SMS went out instead"
    );
    assert!(stack().emails_to(&c.email).await.is_empty());
    let mut rows = final_rows(&c.id, 2).await;
    rows.sort();
    assert_eq!(rows, [("email".into(), "Failed".into()), ("sms".into(), "Sent".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_notice_under_two_event_ids_at_once_goes_out_once_on_dynamodb() {
    let (c, endpoint) = push_customer().await;
    let proxy = proxy().await;
    // The first invocation's claim waits in the proxy while the second decides and claims.
    proxy.add(Rule {
        operation: "TransactWriteItems".into(),
        skip: 0,
        times: 1,
        fault: Fault::Delay { millis: 3000 },
    });
    let slow = Arc::new(function_behind(&proxy, "low-balance").await);
    let fast = forewarn_e2e::function("low-balance").await;
    let first = sample("low-balance.json", &format!("a-{c}"), &c);
    let mut second = first.clone();
    second["id"] = json!(format!("b-{c}"));
    let call = tokio::spawn({
        let slow = slow.clone();
        async move { slow.invoke(first).await }
    });
    wait_until(
        "the first claim to reach the proxy",
        DEADLINE,
        async || proxy.fired("TransactWriteItems"),
        |n| *n >= 1,
    )
    .await;
    let b = fast.invoke(second).await.ok();
    assert_eq!(b["sent"], 1, "{b}");
    let a = call.await.unwrap().ok();
    assert_eq!(
        a["sent"], 0,
        "the held claim met the other decision and decided again: {a}"
    );
    assert_eq!(a["requests"]["DynamoDB.Query"], 2, "read twice: {a}");
    fast.settled_logs().await;
    slow.settled_logs().await;
    assert_eq!(stack().wait_pushes_to(&endpoint, 1).await.len(), 1);
    let outcomes = wait_outcomes(&c, "a sent and a suppressed outcome", |o| o.len() >= 2).await;
    let kinds: Vec<_> = outcomes
        .iter()
        .map(|o| o["detail-type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        (
            kinds.iter().filter(|k| **k == "NotificationSent").count(),
            kinds.iter().filter(|k| **k == "NotificationSuppressed").count()
        ),
        (1, 1),
        "{kinds:?}"
    );
}
