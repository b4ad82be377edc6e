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
