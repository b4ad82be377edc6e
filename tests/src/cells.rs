//! What the fault tests and the fault matrix share: a customer reachable by push only, a
//! flight delay for them, a function behind the fault proxy with one-second leases, and a
//! kill at a chosen call.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::faults::Proxy;
use crate::runtime::{FunctionProcess, binary};
use crate::{DEADLINE, sample, stack, unique, wait_until};

/// A flight delay for a customer reachable by push only: one message per event.
pub async fn push_customer() -> (String, String) {
    let n = unique();
    let id = format!("fault-{n}");
    let endpoint = stack().push_endpoint(&format!("fault-token-{n}")).await;
    stack()
        .seed(
            json!({"customer_id": id, "locale": "en-GB", "time_zone": "Europe/Lisbon",
            "quiet_hours": {"start": "00:00", "end": "00:00"},
            "devices": [{"device_id": "phone", "kind": "phone", "push_endpoint": endpoint}]}),
        )
        .await;
    (id, endpoint)
}

/// A flight delay three hours ahead: sent now, by push.
pub fn flight(id: &str, customer: &str) -> Value {
    let mut e = sample("flight-delayed.json", id, customer);
    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    e["detail"]["flight"]["scheduled_departure"] = json!(later(3));
    e["detail"]["flight"]["estimated_departure"] = json!(later(5));
    e
}

/// A flight-delay process behind `proxy`, with a one-second claim lease so a retry can take
/// over quickly.
pub async fn behind(proxy: &Proxy) -> FunctionProcess {
    function_behind(proxy, "flight-delay").await
}

/// The function `name` behind `proxy`, with one-second claim and send leases.
pub async fn function_behind(proxy: &Proxy, name: &str) -> FunctionProcess {
    let mut env = proxy.function_env(stack().function_env());
    env.push(("FOREWARN_CLAIM_LEASE_SECONDS".into(), "1".into()));
    let mut f = FunctionProcess::spawn(&binary(name), &env).await;
    f.init_time(Duration::from_secs(20)).await;
    f
}

/// A fault proxy in front of the shared stack.
pub async fn proxy() -> Proxy {
    Proxy::start(&stack().dynamodb, &stack().moto).await
}

/// Starts an invocation, waits until a rule of `proxy` fired on `operation` (a held call, or
/// one forwarded and then held), and kills the process there.
pub async fn kill_when_fired(f: FunctionProcess, proxy: &Proxy, event: Value, operation: &str) {
    let f = Arc::new(f);
    let call = tokio::spawn({
        let f = f.clone();
        async move { f.invoke(event).await }
    });
    let what = format!("the fault on {operation} to fire");
    wait_until(&what, DEADLINE, async || proxy.fired(operation), |n| *n >= 1).await;
    f.kill_now();
    call.abort();
}

/// A fraud alert's reminder, ready to dispatch: the customer and the schedule's request.
pub async fn reminder_ready() -> (crate::TestCustomer, Value) {
    let c = crate::TestCustomer::seed("fault", json!({})).await;
    let fraud = crate::function("suspicious-transaction").await;
    let event = sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id);
    assert_eq!(fraud.invoke(event).await.ok()["sent"], 2, "SMS and push first");
    fraud.settled_logs().await;
    let owner = format!("\"customer_id\":\"{}\"", c.id);
    let what = format!("a reminder schedule for {}", c.id);
    let (_, _, input) = stack()
        .wait_schedule(&what, |(_, _, input)| {
            input.contains(&owner) && input.contains("\"reminder\":true")
        })
        .await;
    (c, serde_json::from_str(&input).unwrap())
}

/// A customer whose quiet hours run from an hour ago to three hours ahead: a normal notice
/// for them is held for later.
pub async fn in_quiet_hours() -> crate::TestCustomer {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap());
    let at = |h: i64| {
        (now.clone() + jiff::SignedDuration::from_hours(h))
            .strftime("%H:00")
            .to_string()
    };
    crate::TestCustomer::seed("later", json!({"quiet_hours": {"start": at(-1), "end": at(3)}})).await
}

/// A customer whose push, held for later, is stuck: five hours past its time and still
/// `scheduled`, as if every firing of its schedule failed.
pub async fn stuck_row() -> crate::TestCustomer {
    use forewarn_flows::ports::Deliveries;
    let c = in_quiet_hours().await;
    let low_balance = crate::function("low-balance").await;
    let r = low_balance
        .invoke(sample("low-balance.json", &format!("lb-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["scheduled"], 1, "{r}");
    let mut row = stack().deliveries(&c.id).await.remove(0);
    row.record.send_at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(5);
    let store = forewarn_aws::dynamo::DynamoStore::new(stack().dynamodb().await, stack().table.clone());
    let planted = store
        .transition(&row, forewarn_core::policy::DeliveryStatus::Scheduled)
        .await;
    assert_eq!(planted, Ok(true), "plant the stuck row");
    c
}

/// The EventBridge `Scheduled Event` that starts a sweep, now.
pub fn scheduled_event() -> Value {
    json!({"version": "0", "id": format!("sweep-{}", unique()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": jiff::Timestamp::now().to_string(),
        "region": "eu-west-1", "resources": [], "detail": {}})
}
