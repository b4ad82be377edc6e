//! The sweep on the real parts: a row stuck past its horizon is failed and reported once,
//! found through the table's sparse `Pending` index, and a row still on time is left alone.
//! The table's store refuses a move the state machine forbids before it writes anything.
//! Its own test process, so its own table: no other test's rows are swept.

use forewarn_aws::dynamo::PENDING_INDEX;
use forewarn_core::policy::DeliveryStatus;
use forewarn_e2e::cells::{in_quiet_hours, scheduled_event, stuck_row};
use forewarn_e2e::{DEADLINE, function, outcomes_settled, sample, stack, wait_outcomes, wait_until};

/// The `pending_at` of each item of `customer_id` in the `Pending` index.
async fn pending_items(customer_id: &str) -> Vec<i64> {
    let out = stack()
        .dynamodb()
        .await
        .scan()
        .table_name(&stack().table)
        .index_name(PENDING_INDEX)
        .send()
        .await
        .expect("scan the Pending index");
    let pk = forewarn_e2e::keys::customer_pk(customer_id);
    out.items
        .unwrap_or_default()
        .iter()
        .filter(|i| i.get("PK").and_then(|v| v.as_s().ok()) == Some(&pk))
        .filter_map(|i| i.get("pending_at")?.as_n().ok()?.parse().ok())
        .collect()
}

/// Waits until the index holds `n` items of `customer_id` (the index is updated after the
/// table, asynchronously), and returns their `pending_at`.
async fn wait_pending(customer_id: &str, n: usize) -> Vec<i64> {
    let what = format!("{n} items of {customer_id} in the Pending index");
    wait_until(
        &what,
        DEADLINE,
        async || pending_items(customer_id).await,
        |v| v.len() == n,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_fails_and_reports_a_row_stuck_past_its_horizon_once_and_leaves_one_on_time() {
    let sweep = function("sweep").await;
    let stuck = stuck_row().await;
    let on_time = in_quiet_hours().await;
    let r = function("low-balance")
        .await
        .invoke(sample("low-balance.json", &format!("lb-{}", on_time.id), &on_time.id))
        .await
        .ok();
    assert_eq!(r["scheduled"], 1, "{r}");
    wait_pending(&on_time.id, 1).await;
    let what = "the stuck row's planted time in the Pending index";
    let hours_ago = |h: i64| (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(h)).as_millisecond();
    let stuck_at = async || pending_items(&stuck.id).await;
    wait_until(what, DEADLINE, stuck_at, |v| v.len() == 1 && v[0] < hours_ago(4)).await;

    let r = sweep.invoke(scheduled_event()).await.ok();
    assert_eq!(r["outcome"], "swept", "{r}");
    assert!(r["reasons"][0].as_str().unwrap().starts_with("1 row(s)"), "{r}");
    let events = wait_outcomes(&stuck.id, "the stuck row's NotificationFailed", |e| {
        e.iter().any(|e| e["detail-type"] == "NotificationFailed")
    })
    .await;
    let failed = events
        .iter()
        .find(|e| e["detail-type"] == "NotificationFailed")
        .unwrap();
    assert!(failed["detail"]["reasons"].to_string().contains("stuck"), "{failed}");
    let row = stack().deliveries(&stuck.id).await.remove(0);
    assert_eq!(row.record.status, DeliveryStatus::Failed);
    wait_pending(&stuck.id, 0).await; // a final, reported row leaves the index

    let r = sweep.invoke(scheduled_event()).await.ok();
    assert!(r["reasons"][0].as_str().unwrap().starts_with("0 row(s)"), "{r}");
    sweep.settled_logs().await;
    let events = outcomes_settled(&stuck.id).await;
    let n = events
        .iter()
        .filter(|e| e["detail-type"] == "NotificationFailed")
        .count();
    assert_eq!(n, 1, "swept once: {events:?}");
    let kept = stack().deliveries(&on_time.id).await.remove(0);
    assert_eq!(
        kept.record.status,
        DeliveryStatus::Scheduled,
        "a row on time is left alone"
    );
    assert_eq!(pending_items(&on_time.id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_refuses_to_write_a_held_row_as_sent_without_its_being_taken_and_keeps_it_scheduled() {
    use forewarn_flows::ports::Deliveries;
    let c = in_quiet_hours().await;
    let r = function("low-balance")
        .await
        .invoke(sample("low-balance.json", &format!("lb-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["scheduled"], 1, "{r}");
    let held = stack().deliveries(&c.id).await.remove(0);
    let mut sent = held.clone();
    sent.record.status = DeliveryStatus::Sent;
    let store = forewarn_aws::dynamo::DynamoStore::new(stack().dynamodb().await, stack().table.clone());
    let write = tokio::spawn(async move { store.transition(&sent, DeliveryStatus::Scheduled).await });
    let why = match write.await {
        Ok(Ok(wrote)) => panic!("the table wrote an illegal move: {wrote}"),
        Ok(Err(e)) => e.to_string(),
        Err(panic) => {
            let panic = panic.into_panic();
            panic.downcast_ref::<String>().cloned().unwrap_or_default()
        }
    };
    assert!(why.contains("Scheduled as Sent"), "{why}");
    let kept = stack().deliveries(&c.id).await.remove(0);
    assert_eq!(kept, held, "nothing was written");
}
