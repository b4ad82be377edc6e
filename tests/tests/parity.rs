//! Parity: the bundled samples go once through the simulator and once through the real
//! function binaries on the local stack, decided at each event's own time
//! (`FOREWARN_CLOCK=event`), with schedules fired when their time passes and forewarn's own
//! answers routed to `resolve` as the stack's rule does. Decisions, the messages each address
//! received, and the cancellations must be the same.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use forewarn_core::engine::Engine;
use forewarn_e2e::runtime::{FunctionProcess, binary};
use forewarn_e2e::{DEADLINE, function_for, root, stack, take_outcome_events, wait_until};
use forewarn_flows::sim::{INBOUND_SMS, Input, Record, Simulator};
use jiff::Timestamp;
use serde_json::{Value, json};

/// Every sample input, in file order, as the CLI reads the `events/` directory.
fn samples(dir: &Path, out: &mut Vec<Value>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "schemas") {
                samples(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "json") {
            match serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap() {
                Value::Array(items) => out.extend(items),
                one => out.push(one),
            }
        }
    }
}

fn time_of(v: &Value) -> Timestamp {
    v["time"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(Timestamp::MIN)
}

/// The bundled customers, with push endpoints registered in moto, seeded into the table.
async fn customers() -> Vec<Value> {
    let mut all: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root().join("infra/seed/customers.json")).unwrap()).unwrap();
    for c in &mut all {
        let id = c["customer_id"].as_str().unwrap().to_owned();
        for d in c.get_mut("devices").and_then(Value::as_array_mut).into_iter().flatten() {
            if d.get("push_endpoint").is_some_and(|e| e.is_string()) {
                let token = format!("{id}-{}", d["device_id"].as_str().unwrap());
                d["push_endpoint"] = json!(stack().push_endpoint(&token).await);
            }
        }
        stack().seed(c.clone()).await;
    }
    all
}

/// An inbound SMS sample as SNS hands it to `reply`, stamped with the sample's time.
fn sns_envelope(sample: &Value) -> Value {
    let at = time_of(sample).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:inbound-sms:1",
        "Sns": {"Type": "Notification", "MessageId": format!("sns-{}", sample["id"].as_str().unwrap()),
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:inbound-sms", "Subject": null,
            "Message": sample["detail"].to_string(), "Timestamp": at,
            "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "https://sns.example/cert",
            "UnsubscribeUrl": "https://sns.example/unsub", "MessageAttributes": {}}}]})
}

/// One decision line, as both sides report it.
fn decision(detail_type: &str, event_id: &str, r: &Value) -> String {
    format!(
        "{detail_type} {event_id}: {} at {} on {} — {}",
        r["outcome"].as_str().unwrap_or("?"),
        r["send_at"].as_str().unwrap_or("-"),
        r["channels"]
            .as_array()
            .map(|c| c
                .iter()
                .map(|x| x.as_str().unwrap_or("?"))
                .collect::<Vec<_>>()
                .join("+"))
            .unwrap_or_default(),
        r["reasons"]
            .as_array()
            .map(|c| c
                .iter()
                .map(|x| x.as_str().unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(" | "))
            .unwrap_or_default(),
    )
}

/// The real side: every function process, the outcome events seen and the decisions made.
struct Real {
    procs: BTreeMap<&'static str, FunctionProcess>,
    sqs: aws_sdk_sqs::Client,
    outcomes: Vec<Value>,
    decisions: Vec<String>,
    fired: Vec<String>,
}

impl Real {
    async fn start() -> Real {
        let mut env = stack().function_env();
        env.push(("FOREWARN_CLOCK".into(), "event".into()));
        env.push(("FOREWARN_APNS_APPLICATION".into(), stack().push_application().await));
        let mut procs = BTreeMap::new();
        for name in [
            "low-balance",
            "flight-delay",
            "incomplete-application",
            "suspicious-transaction",
            "notify",
            "resolve",
            "activity",
            "context",
            "dispatch",
            "reply",
        ] {
            let mut f = FunctionProcess::spawn(&binary(name), &env).await;
            f.init_time(Duration::from_secs(20)).await;
            procs.insert(name, f);
        }
        Real {
            procs,
            sqs: aws_sdk_sqs::Client::new(&stack().sdk().await),
            outcomes: vec![],
            decisions: vec![],
            fired: vec![],
        }
    }

    /// Invokes the function for one input and records its decision; then routes forewarn's
    /// own answers to `resolve`, as the stack's rule does.
    async fn input(&mut self, input: &Value) {
        let detail_type = input["detail-type"].as_str().unwrap_or("?");
        let payload = if detail_type == INBOUND_SMS {
            sns_envelope(input)
        } else {
            input.clone()
        };
        let r = self.procs[function_for(detail_type).unwrap_or("resolve")]
            .invoke(payload)
            .await;
        if detail_type != INBOUND_SMS {
            let r = r.ok();
            self.decisions
                .push(decision(detail_type, input["id"].as_str().unwrap_or("?"), &r));
        }
        for answer in self.drain().await {
            let mut e = answer.clone();
            let reply_id = e["detail"]["reply_id"].as_str().unwrap_or("?").to_owned();
            e["id"] = json!(format!("{reply_id}-answer"));
            Box::pin(self.input(&e)).await;
        }
    }

    /// Takes the outcome events off the queue; returns forewarn's own business events.
    async fn drain(&mut self) -> Vec<Value> {
        let mut answers = vec![];
        loop {
            let batch = take_outcome_events(&self.sqs).await;
            if batch.is_empty() {
                return answers;
            }
            for e in batch {
                if matches!(
                    e["detail-type"].as_str(),
                    Some("TransactionConfirmed" | "TransactionDisputed")
                ) {
                    answers.push(e);
                } else {
                    self.outcomes.push(e);
                }
            }
        }
    }

    /// Fires, in order, every schedule due by `until` that has not fired yet.
    async fn fire_due(&mut self, until: Timestamp) {
        loop {
            let mut due: Vec<(Timestamp, String, String)> = stack()
                .schedules()
                .await
                .into_iter()
                .filter(|(name, ..)| !self.fired.contains(name))
                .filter_map(|(name, expr, input)| {
                    let at = expr.strip_prefix("at(")?.strip_suffix(')')?;
                    let at: Timestamp = format!("{at}Z").parse().ok()?;
                    (at <= until).then_some((at, name, input))
                })
                .collect();
            due.sort();
            let Some((at, name, input)) = due.into_iter().next() else {
                return;
            };
            self.fired.push(name);
            // What Scheduler does when it fires: fills in the time the firing was scheduled for.
            let input = input.replace(forewarn_core::outcomes::SCHEDULED_TIME_PLACEHOLDER, &at.to_string());
            self.procs["dispatch"]
                .invoke(serde_json::from_str(&input).unwrap())
                .await
                .ok();
            self.drain().await;
        }
    }
}

/// `customer → channel → sorted texts`: what each customer's addresses received.
type Received = BTreeMap<String, BTreeMap<&'static str, Vec<String>>>;

fn expected(records: &[Record], customers: &[Value]) -> Received {
    let mut want = Received::new();
    // A customer the context sample makes is erased at its end, endpoints and all, so what
    // their addresses received cannot be read back afterwards: tests/tests/context.rs checks it.
    let seeded = |id: &str| customers.iter().any(|c| c["customer_id"] == id);
    for r in records.iter().filter(|r| r.customer_id().is_some_and(seeded)) {
        match r {
            Record::Delivery {
                customer_id,
                channel,
                subject,
                body,
                ..
            } => {
                let text = if *channel == "email" {
                    subject.clone().unwrap_or_default()
                } else {
                    body.clone()
                };
                want.entry(customer_id.clone())
                    .or_default()
                    .entry(channel)
                    .or_default()
                    .push(text);
            }
            Record::Reply {
                customer_id: Some(c),
                answer: Some(a),
                ..
            } => {
                want.entry(c.clone())
                    .or_default()
                    .entry("sms")
                    .or_default()
                    .push(a.clone());
            }
            _ => {}
        }
    }
    for c in customers {
        want.entry(c["customer_id"].as_str().unwrap().to_owned()).or_default();
    }
    want.values_mut().flat_map(|m| m.values_mut()).for_each(|v| v.sort());
    want
}

async fn received(customers: &[Value]) -> Received {
    let mut got = Received::new();
    for c in customers {
        let mine = got.entry(c["customer_id"].as_str().unwrap().to_owned()).or_default();
        if let Some(phone) = c["contacts"]["phone"].as_str() {
            let sms = stack().sms_to(phone).await;
            if !sms.is_empty() {
                mine.insert("sms", sms);
            }
        }
        for d in c["devices"].as_array().into_iter().flatten() {
            if let Some(arn) = d["push_endpoint"].as_str() {
                for p in stack().pushes_to(arn).await {
                    let text = match &p {
                        Value::Object(o) => o.get("default").and_then(Value::as_str).map(str::to_owned),
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    };
                    mine.entry("push")
                        .or_default()
                        .push(text.unwrap_or_else(|| p.to_string()));
                }
            }
        }
        if let Some(email) = c["contacts"]["email"].as_str() {
            let emails: Vec<String> = stack().emails_to(email).await.into_iter().map(|(s, _)| s).collect();
            if !emails.is_empty() {
                mine.insert("email", emails);
            }
        }
    }
    got.values_mut().flat_map(|m| m.values_mut()).for_each(|v| v.sort());
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_and_the_deployed_functions_decide_send_and_cancel_the_same() {
    let customers = customers().await;
    let mut inputs = Vec::new();
    samples(&root().join("events"), &mut inputs);
    inputs.sort_by_key(time_of);

    let profiles = customers
        .iter()
        .map(|c| serde_json::from_value(c.clone()).unwrap())
        .collect();
    let sim_inputs = inputs.iter().map(|v| Input::from_json(&v.to_string())).collect();
    let records = Simulator::new(Engine::default(), profiles).run(sim_inputs);

    let mut real = Real::start().await;
    for input in &inputs {
        real.fire_due(time_of(input)).await;
        real.input(input).await;
    }
    real.fire_due(Timestamp::MAX).await;

    let sim_decisions: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            Record::Decision { event_id, detail_type, outcome, send_at, channels, reasons, .. } => Some(decision(
                detail_type.as_deref().unwrap_or("?"),
                event_id.as_deref().unwrap_or("?"),
                &json!({"outcome": outcome, "send_at": send_at.map(|t| t.to_string()), "channels": channels, "reasons": reasons}),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(real.decisions, sim_decisions, "the decisions differ");

    let want = expected(&records, &customers);
    let got = wait_until(
        "the providers to hold what the simulator sent",
        DEADLINE,
        async || received(&customers).await,
        |got| got == &want,
    )
    .await;
    assert_eq!(got, want);

    let mut sim_cancelled: Vec<(String, Option<String>)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Cancelled {
                event_id, by_event_id, ..
            } => Some((event_id.clone(), by_event_id.clone())),
            _ => None,
        })
        .collect();
    sim_cancelled.sort();
    let mut real_cancelled: Vec<(String, Option<String>)> = real
        .outcomes
        .iter()
        .filter(|e| e["detail-type"] == "NotificationCancelled")
        .map(|e| {
            (
                e["detail"]["event_id"].as_str().unwrap_or("?").to_owned(),
                e["detail"]["by_event_id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    real_cancelled.sort();
    assert!(!sim_cancelled.is_empty(), "the samples include cancellations");
    assert_eq!(real_cancelled, sim_cancelled, "the cancellations differ");
}
