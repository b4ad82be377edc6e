//! The metrics each flow writes, read from the real functions' stdout as CloudWatch reads
//! Embedded Metric Format: the names, units and dimensions of each, and that none of them
//! holds a customer, an event, an address or any other personal data.

use forewarn_e2e::cells::{flight, reminder_ready};
use forewarn_e2e::runtime::FunctionProcess;
use forewarn_e2e::{TestCustomer, function, inbound_sms, sample, stack};
use forewarn_flows::metrics::NAMES;
use serde_json::{Value, json};

/// The dimensions a metric may carry: each a fixed vocabulary, none a customer or an event.
const DIMENSIONS: [&str; 9] = [
    "Function", "Kind", "Outcome", "Reason", "Channel", "Result", "Service", "Class", "Intent",
];

/// One metric as a document declares it: its name, unit and dimensions (name → value), and
/// its values.
#[derive(Debug)]
struct Metric {
    name: String,
    unit: Option<String>,
    dimensions: Vec<(String, String)>,
    values: Value,
}

/// Every metric the process wrote so far, after checking each document's shape.
async fn metrics_of(f: &FunctionProcess, personal: &[&str]) -> Vec<Metric> {
    let logs = f.settled_logs().await;
    let mut out = Vec::new();
    for line in logs.lines().filter(|l| l.starts_with("{\"_aws\"")) {
        for p in personal {
            assert!(!line.contains(p), "a metric line holds personal data ({p}): {line}");
        }
        let doc: Value = serde_json::from_str(line).expect("an EMF line is one JSON document");
        let spec = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], "forewarn", "{line}");
        assert!(doc["_aws"]["Timestamp"].is_u64(), "{line}");
        let names: Vec<String> = spec["Dimensions"][0]
            .as_array()
            .expect("one dimension set")
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        for d in &names {
            assert!(DIMENSIONS.contains(&d.as_str()), "unbounded dimension {d}: {line}");
        }
        let dimensions: Vec<(String, String)> = names
            .iter()
            .map(|d| (d.clone(), doc[d].as_str().unwrap().to_owned()))
            .collect();
        for m in spec["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap().to_owned();
            assert!(NAMES.contains(&name.as_str()), "unknown metric {name}: {line}");
            out.push(Metric {
                unit: m["Unit"].as_str().map(str::to_owned),
                values: doc[&name].clone(),
                dimensions: dimensions.clone(),
                name,
            });
        }
    }
    out
}

/// The metric named `name` whose dimensions include every one of `dims`.
fn find<'a>(metrics: &'a [Metric], name: &str, dims: &[(&str, &str)]) -> &'a Metric {
    metrics
        .iter()
        .find(|m| {
            m.name == name
                && dims
                    .iter()
                    .all(|(k, v)| m.dimensions.iter().any(|(dk, dv)| dk == k && dv == v))
        })
        .unwrap_or_else(|| panic!("no {name} with {dims:?} among {metrics:#?}"))
}

fn personal(c: &TestCustomer) -> Vec<&str> {
    vec![
        c.id.as_str(),
        c.phone.as_str(),
        c.email.as_str(),
        c.endpoint.as_str(),
        "Test",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_counts_its_kind_outcome_delivery_and_time_to_the_provider() {
    let c = TestCustomer::seed("metric", json!({})).await;
    let f = function("flight-delay").await;
    assert_eq!(f.invoke(flight(&format!("fd-{}", c.id), &c.id)).await.ok()["sent"], 1);
    let m = metrics_of(&f, &personal(&c)).await;
    let d = find(
        &m,
        "Decisions",
        &[
            ("Function", "notify"),
            ("Kind", "FlightDelayed"),
            ("Outcome", "send_now"),
        ],
    );
    assert_eq!((d.unit.as_deref(), &d.values), (Some("Count"), &json!(1)));
    let sent = find(&m, "Deliveries", &[("Channel", "push"), ("Result", "sent")]);
    assert_eq!(sent.values, json!(1));
    let latency = find(&m, "DecisionToProvider", &[("Channel", "push")]);
    assert_eq!(latency.unit.as_deref(), Some("Milliseconds"));
    assert!(latency.values[0].as_f64().is_some_and(|ms| ms > 0.0), "{latency:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suppression_counts_its_reason_class_never_the_customer() {
    let f = function("low-balance").await;
    let event = sample("low-balance.json", "lb-nobody-metrics", "nobody-metrics");
    assert_eq!(f.invoke(event).await.ok()["outcome"], "suppressed");
    let m = metrics_of(&f, &["nobody-metrics", "lb-nobody-metrics"]).await;
    find(&m, "Decisions", &[("Kind", "LowBalance"), ("Outcome", "suppressed")]);
    let s = find(&m, "Suppressions", &[("Reason", "unknown_customer")]);
    assert_eq!(s.values, json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_refused_counts_the_provider_error_and_the_failover() {
    let c = TestCustomer::seed("metric", json!({"channel_preferences": {"travel": ["push", "sms"]}})).await;
    stack().disable_endpoint(&c.endpoint).await;
    let f = function("flight-delay").await;
    assert_eq!(f.invoke(flight(&format!("fd-{}", c.id), &c.id)).await.ok()["sent"], 1);
    let m = metrics_of(&f, &personal(&c)).await;
    find(&m, "ProviderErrors", &[("Service", "sns"), ("Class", "refused")]);
    find(&m, "Failovers", &[("Channel", "push")]);
    find(&m, "Deliveries", &[("Channel", "push"), ("Result", "failed")]);
    find(&m, "Deliveries", &[("Channel", "sms"), ("Result", "sent")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_firing_records_its_lateness_and_a_reply_its_intent() {
    let (c, request) = reminder_ready().await;
    let dispatch = function("dispatch").await;
    assert_eq!(dispatch.invoke(request).await.ok()["sent"], 1);
    let m = metrics_of(&dispatch, &personal(&c)).await;
    let late = find(&m, "ScheduleLateness", &[("Function", "dispatch")]);
    assert_eq!(late.unit.as_deref(), Some("Seconds"));
    assert!(late.values[0].as_f64().is_some(), "{late:?}");

    let reply = function("reply").await;
    let r = reply
        .invoke(inbound_sms(&c.phone, "yes", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "confirmed", "{r}");
    let m = metrics_of(&reply, &personal(&c)).await;
    assert_eq!(find(&m, "Replies", &[("Intent", "yes")]).values, json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolution_a_bounce_and_a_sweep_count_what_they_ended() {
    let (c, _) = reminder_ready().await;
    let resolve = function("resolve").await;
    let mut confirmed = sample("transaction-confirmed.json", &format!("tc-{}", c.id), &c.id);
    confirmed["detail"]["transaction_id"] = json!("tx-88231");
    assert_eq!(resolve.invoke(confirmed).await.ok()["cancelled"], 1);
    let m = metrics_of(&resolve, &personal(&c)).await;
    find(
        &m,
        "Deliveries",
        &[("Function", "resolve"), ("Channel", "push"), ("Result", "cancelled")],
    );

    let mail = TestCustomer::seed(
        "metric",
        json!({"devices": [], "channel_preferences": {"travel": ["email"]}}),
    )
    .await;
    assert_eq!(
        function("flight-delay")
            .await
            .invoke(flight(&format!("fd-{}", mail.id), &mail.id))
            .await
            .ok()["sent"],
        1
    );
    let sent = stack()
        .wait_deliveries(&mail.id, "the email's id", |d| {
            d.iter().any(|r| r.provider_message_id.is_some())
        })
        .await;
    let id = sent[0].provider_message_id.clone().unwrap();
    let feedback = function("feedback").await;
    let bounce = forewarn_e2e::ses_event("Email Bounced", "Bounce", &id, &mail);
    assert_eq!(feedback.invoke(bounce).await.ok()["outcome"], "bounced");
    let m = metrics_of(&feedback, &personal(&mail)).await;
    find(
        &m,
        "Deliveries",
        &[("Function", "feedback"), ("Channel", "email"), ("Result", "bounced")],
    );

    let stuck = forewarn_e2e::cells::stuck_row().await;
    let sweep = function("sweep").await;
    let r = sweep.invoke(forewarn_e2e::cells::scheduled_event()).await.ok();
    assert_eq!(r["outcome"], "swept", "{r}");
    let m = metrics_of(&sweep, &personal(&stuck)).await;
    assert!(find(&m, "StuckRows", &[("Function", "sweep")]).values.as_u64() >= Some(1));
    find(
        &m,
        "Deliveries",
        &[("Function", "sweep"), ("Channel", "push"), ("Result", "failed")],
    );
}
