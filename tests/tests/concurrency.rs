//! Concurrency and lateness on the real parts: a schedule that fires twice at once, and one
//! that fires after its message stopped mattering. (The same notice under two event ids is in
//! faults.rs; a resolution that arrives first is in e2e.rs.)

use std::sync::Arc;

use forewarn_e2e::cells::reminder_ready;
use forewarn_e2e::runtime::Invocation;
use forewarn_e2e::{TestCustomer, function, outcomes_settled, sample, stack};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_that_fires_twice_at_once_sends_its_message_once() {
    let (c, request) = reminder_ready().await;
    let (a, b) = (
        Arc::new(function("dispatch").await),
        Arc::new(function("dispatch").await),
    );
    let (ra, rb) = tokio::join!(a.invoke(request.clone()), b.invoke(request.clone()));
    let mut sent = 0;
    for r in [ra, rb] {
        match r {
            Invocation::Ok(v) => sent += v["sent"].as_u64().unwrap_or(0),
            // The other firing holds the row: Lambda retries, and the retry finds it sent.
            Invocation::Err {
                error_type,
                error_message,
            } => {
                assert!(error_message.contains("being sent"), "{error_type}: {error_message}");
                assert_eq!(a.invoke(request.clone()).await.ok()["sent"], 0);
            }
        }
    }
    assert_eq!(sent, 1, "exactly one firing sent the reminder");
    a.settled_logs().await;
    b.settled_logs().await;
    assert_eq!(
        stack().wait_pushes_to(&c.endpoint, 2).await.len(),
        2,
        "the alert and the reminder, once each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_that_fires_after_its_message_stopped_mattering_expires_it() {
    let c = TestCustomer::seed("late", json!({})).await;
    let fraud = function("suspicious-transaction").await;
    // The transaction happened two days ago: the alert still goes out (critical), but its
    // question, and so its reminder, mattered for a day only.
    let mut event = sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id);
    let two_days_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
    event["time"] = json!(two_days_ago.to_string());
    event["detail"]["occurred_at"] = json!(two_days_ago.to_string());
    let r = fraud.invoke(event).await.ok();
    assert_eq!(r["scheduled"], 1, "{r}");
    let owner = format!("\"customer_id\":\"{}\"", c.id);
    let (_, _, input) = stack()
        .wait_schedule("the reminder's schedule", |(_, _, i)| {
            i.contains(&owner) && i.contains("\"reminder\":true")
        })
        .await;
    let dispatch = function("dispatch").await;
    let r = dispatch.invoke(serde_json::from_str(&input).unwrap()).await.ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("expired"), Some(0)),
        "{r}"
    );
    dispatch.settled_logs().await;
    let rows = stack().deliveries(&c.id).await;
    let reminder = rows.iter().find(|r| r.reminder).expect("the reminder row");
    assert_eq!(reminder.record.status, forewarn_core::policy::DeliveryStatus::Expired);
    let outcomes = outcomes_settled(&c.id).await;
    assert!(
        outcomes
            .iter()
            .any(|o| o["detail-type"] == "NotificationCancelled" && o["detail"]["reminder"] == true),
        "{outcomes:?}"
    );
    assert_eq!(stack().pushes_to(&c.endpoint).await.len(), 1, "only the alert's push");
}
