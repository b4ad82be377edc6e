//! The load run: many events over many customers through several processes per function,
//! then an accounting from the table and moto's record: every event ended in exactly one
//! recorded outcome, and no customer got a message twice. A refusal marked retryable (a
//! redelivered copy arriving while its original still holds the claim) is invoked again after
//! a pause, as Lambda retries it, and counts by its final answer.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use forewarn_e2e::keys::{self, Sk};
use forewarn_e2e::runtime::{FunctionProcess, Invocation, binary};
use forewarn_e2e::{stack, take_outcome_events};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::report::{median, percentile};
use crate::{event_for, profile};

/// The mix of event kinds, by function, out of 20.
const MIX: [(&str, usize); 5] = [
    ("suspicious-transaction", 2),
    ("flight-delay", 6),
    ("low-balance", 6),
    ("incomplete-application", 4),
    ("resolve", 2),
];

/// One delivery's latency in ms (its last attempt), and its final outcome or error.
type Answered = (f64, Result<String, String>);

/// How often a retryable refusal is invoked again, and the pause before each attempt.
const RETRIES: u32 = 20;
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// Readers of the outcomes queue: moto's SQS slows with every message left in a queue.
const DRAINERS: usize = 3;

pub struct Accounting {
    events: usize,
    redelivered: usize,
    seconds: f64,
    latencies: Vec<f64>,
    outcomes: BTreeMap<String, usize>,
    errors: Vec<String>,
    retried: usize,
    claims_missing: usize,
    without_outcome_event: usize,
    rows_sent: usize,
    provider_messages: usize,
    duplicated_customers: Vec<String>,
    /// Provider messages whose id no sent row holds: an (event, channel) sent twice.
    sent_twice: usize,
}

impl Accounting {
    pub fn balanced(&self) -> bool {
        self.errors.is_empty()
            && self.claims_missing == 0
            && self.without_outcome_event == 0
            && self.duplicated_customers.is_empty()
            && self.sent_twice == 0
            && self.rows_sent == self.provider_messages
            && self.outcomes.values().sum::<usize>() == self.events + self.redelivered
    }

    pub fn print(&self) {
        println!(
            "load: {} events (+{} redelivered) in {:.1} s: {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms",
            self.events,
            self.redelivered,
            self.seconds,
            (self.events + self.redelivered) as f64 / self.seconds,
            median(&self.latencies),
            percentile(&self.latencies, 99.0)
        );
        println!("outcomes: {:?}", self.outcomes);
        println!(
            "accounting: {} deliveries answered of {}; {} errors; {} retried after a retryable refusal; {} notifying events without a completed claim; {} without an outcome event on the bus",
            self.outcomes.values().sum::<usize>(),
            self.events + self.redelivered,
            self.errors.len(),
            self.retried,
            self.claims_missing,
            self.without_outcome_event
        );
        println!(
            "messages: {} delivery rows sent, {} messages recorded by the providers (moto); customers with a duplicate: {}; (event, channel) pairs sent twice: {}",
            self.rows_sent,
            self.provider_messages,
            self.duplicated_customers.len(),
            self.sent_twice
        );
        for e in self.errors.iter().take(5) {
            println!("  error: {e}");
        }
        println!(
            "{}",
            if self.balanced() {
                "every event accounted for; no duplicate message"
            } else {
                "ACCOUNTING FAILED"
            }
        );
    }
}

/// A small deterministic generator, so a run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

pub async fn run(events: usize, customers: usize, processes: usize) -> Accounting {
    let stack = stack();
    let run = format!("l{}", std::process::id());
    eprintln!("forewarn-bench: load: seeding {customers} customers");
    let ids: Vec<String> = (0..customers).map(|n| format!("load-{run}-{n}")).collect();
    let mut endpoints = Vec::with_capacity(customers);
    for n in 0..customers {
        endpoints.push(stack.push_endpoint(&format!("load-{run}-{n}")).await);
    }
    seed(&ids, &endpoints).await;
    let (queue, redelivered) = event_queue(events, &ids, &run);

    let done = Arc::new(AtomicBool::new(false));
    let outcome_events: Arc<Mutex<HashSet<String>>> = Arc::default();
    let drains: Vec<_> = (0..DRAINERS)
        .map(|_| tokio::spawn(drain_outcomes(done.clone(), outcome_events.clone())))
        .collect();
    let driven = drive(&queue, processes).await;
    let (outcomes, errors, latencies) = tally(driven.results);

    eprintln!("forewarn-bench: load: accounting");
    let notifying: HashSet<String> = queue
        .iter()
        .filter(|(f, _)| *f != "resolve")
        .map(|(_, e)| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let stored = stored_counts(&ids, &notifying).await;
    done.store(true, Ordering::Relaxed);
    for d in drains {
        d.await.expect("drain the outcomes queue");
    }
    let outcome_events = std::mem::take(&mut *outcome_events.lock().unwrap());
    let without_outcome_event = notifying.iter().filter(|id| !outcome_events.contains(*id)).count();
    let (provider_messages, per_customer_messages, provider_ids) = provider_counts(&ids, &endpoints).await;
    let sent_twice = provider_ids
        .iter()
        .filter(|id| !stored.provider_ids.contains(*id))
        .count();
    let duplicated_customers = ids
        .iter()
        .filter(|id| {
            per_customer_messages.get(*id).copied().unwrap_or(0)
                > stored.per_customer_rows.get(*id).copied().unwrap_or(0)
        })
        .cloned()
        .collect();
    Accounting {
        events,
        redelivered,
        seconds: driven.seconds,
        latencies,
        outcomes,
        errors,
        retried: driven.retried,
        claims_missing: stored.claims_missing,
        without_outcome_event,
        rows_sent: stored.rows_sent,
        provider_messages,
        duplicated_customers,
        sent_twice,
    }
}

/// The events in the order they are invoked, with one in 50 notifying events delivered twice
/// as EventBridge may; and how many were doubled.
fn event_queue(events: usize, ids: &[String], run: &str) -> (VecDeque<(&'static str, Value)>, usize) {
    let mut rng = Lcg(42);
    let total: usize = MIX.iter().map(|(_, w)| w).sum();
    let mut queue = VecDeque::with_capacity(events + events / 50);
    let mut redelivered = 0;
    let mut last = 0;
    for n in 0..events {
        let mut pick = rng.next(total);
        let f = MIX
            .iter()
            .find(|(_, w)| {
                let hit = pick < *w;
                pick = pick.saturating_sub(*w);
                hit
            })
            .map(|(f, _)| *f)
            .unwrap_or("low-balance");
        // One event in ten goes to the previous event's customer, so different events for one
        // customer are decided at once on different processes.
        let c = if n % 10 == 1 { last } else { rng.next(ids.len()) };
        last = c;
        let e = event_for(f, &ids[c], n, run);
        if f != "resolve" && n % 50 == 7 {
            queue.push_back((f, e.clone()));
            redelivered += 1;
        }
        queue.push_back((f, e));
    }
    (queue, redelivered)
}

/// What driving the queue through the functions gave.
struct Driven {
    results: Vec<Answered>,
    seconds: f64,
    retried: usize,
}

/// Invokes every queued event on `processes` live processes per function, retrying what a
/// function refuses as retryable, as Lambda would.
async fn drive(queue: &VecDeque<(&'static str, Value)>, processes: usize) -> Driven {
    let stack = stack();
    let mut procs: Vec<(&'static str, Arc<FunctionProcess>)> = Vec::new();
    for (f, _) in MIX {
        for _ in 0..processes {
            let mut p = FunctionProcess::spawn(&binary(f), &stack.function_env()).await;
            p.init_time(Duration::from_secs(30)).await;
            procs.push((f, Arc::new(p)));
        }
    }
    let queues: HashMap<&str, Arc<Mutex<VecDeque<Value>>>> = MIX
        .iter()
        .map(|(f, _)| {
            let q: VecDeque<Value> = queue.iter().filter(|(g, _)| g == f).map(|(_, e)| e.clone()).collect();
            (*f, Arc::new(Mutex::new(q)))
        })
        .collect();
    let bar = ProgressBar::new(queue.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("load {bar:40} {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Arc<Mutex<Vec<Answered>>> = Arc::default();
    let retried = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = procs
        .iter()
        .map(|(f, p)| {
            let (q, p, results, bar, retried) = (
                queues[f].clone(),
                p.clone(),
                results.clone(),
                bar.clone(),
                retried.clone(),
            );
            tokio::spawn(async move {
                loop {
                    // Take the next event and drop the lock before awaiting.
                    let next = q.lock().unwrap().pop_front();
                    let Some(e) = next else { break };
                    let answered = invoke_with_retries(&p, e, &retried).await;
                    results.lock().unwrap().push(answered);
                    bar.inc(1);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    for (_, p) in procs {
        if let Ok(p) = Arc::try_unwrap(p) {
            p.kill().await;
        }
    }
    let results = std::mem::take(&mut *results.lock().unwrap());
    Driven {
        results,
        seconds,
        retried: retried.load(Ordering::Relaxed),
    }
}

/// One event's final answer and the time of its last invocation.
async fn invoke_with_retries(p: &FunctionProcess, e: Value, retried: &AtomicUsize) -> Answered {
    let mut attempt = 0;
    loop {
        let t = Instant::now();
        let r = p.invoke(e.clone()).await;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match r {
            Invocation::Err { error_type, .. } if error_type.ends_with(".Retryable") && attempt < RETRIES => {
                attempt += 1;
                retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Invocation::Ok(v) => return (ms, Ok(v["outcome"].as_str().unwrap_or("?").to_owned())),
            Invocation::Err {
                error_type,
                error_message,
            } => return (ms, Err(format!("{error_type}: {error_message}"))),
        }
    }
}

/// Outcomes counted by name, the errors, and every latency.
fn tally(results: Vec<Answered>) -> (BTreeMap<String, usize>, Vec<String>, Vec<f64>) {
    let mut outcomes = BTreeMap::new();
    let mut errors = Vec::new();
    let mut latencies = Vec::with_capacity(results.len());
    for (ms, r) in results {
        latencies.push(ms);
        match r {
            Ok(o) => *outcomes.entry(o).or_insert(0) += 1,
            Err(e) => errors.push(e),
        }
    }
    (outcomes, errors, latencies)
}

/// What the table holds after the run.
struct Stored {
    claims_missing: usize,
    rows_sent: usize,
    per_customer_rows: HashMap<String, usize>,
    /// The provider's id of every sent row.
    provider_ids: HashSet<String>,
}

/// Reads every customer's partition: notifying events without a completed claim, and rows sent.
async fn stored_counts(ids: &[String], notifying: &HashSet<String>) -> Stored {
    let stack = stack();
    let mut stored = Stored {
        claims_missing: notifying.len(),
        rows_sent: 0,
        per_customer_rows: HashMap::new(),
        provider_ids: HashSet::new(),
    };
    let client = stack.dynamodb().await;
    for id in ids {
        let mut start = None;
        loop {
            let out = client
                .query()
                .table_name(&stack.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(keys::customer_pk(id)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("query a customer");
            for item in out.items.unwrap_or_default() {
                let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                let sk = s("SK");
                let key = keys::sk(&sk);
                if let Some(Sk::Event(event)) = &key
                    && notifying.contains(event.as_str())
                    && item.get("completed").and_then(|v| v.as_bool().ok()) == Some(&true)
                {
                    stored.claims_missing -= 1;
                }
                if matches!(key, Some(Sk::Delivery(_))) && s("status") == "sent" {
                    let row: Value = serde_json::from_str(&s("data")).unwrap_or_default();
                    stored
                        .provider_ids
                        .insert(row["provider_message_id"].as_str().unwrap_or_default().to_owned());
                    stored.rows_sent += 1;
                    *stored.per_customer_rows.entry(id.clone()).or_default() += 1;
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
    }
    stored
}

async fn drain_outcomes(done: Arc<AtomicBool>, seen: Arc<Mutex<HashSet<String>>>) {
    let sqs = aws_sdk_sqs::Client::new(&stack().sdk().await);
    loop {
        let finishing = done.load(Ordering::Relaxed);
        let batch = take_outcome_events(&sqs).await;
        if batch.is_empty() {
            if finishing {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut seen = seen.lock().unwrap();
        seen.extend(
            batch
                .iter()
                .filter_map(|e| e["detail"]["event_id"].as_str().map(str::to_owned)),
        );
    }
}

/// Profiles in batches of 25 items, as `forewarn customers import` writes them.
async fn seed(ids: &[String], endpoints: &[String]) {
    let stack = stack();
    let client = stack.dynamodb().await;
    let store = forewarn_aws::dynamo::DynamoStore::new(client.clone(), &stack.table);
    let mut items = Vec::new();
    for (n, (id, endpoint)) in ids.iter().zip(endpoints).enumerate() {
        let mut p = profile(id, 500_000 + n, endpoint);
        if n % 5 == 4 {
            // Every fifth customer is in quiet hours all day: their normal and low messages wait.
            p["quiet_hours"] = serde_json::json!({"start": "00:00", "end": "23:59"});
        }
        let profile = serde_json::from_value(p).expect("a valid profile");
        items.extend(store.profile_items(&profile));
    }
    store.put_batch(&items, |_| {}).await.expect("seed customers");
}

/// SMS, push and email moto recorded, in total and per customer, and the provider's id of
/// each of them.
async fn provider_counts(ids: &[String], endpoints: &[String]) -> (usize, HashMap<String, usize>, Vec<String>) {
    let data = stack().moto_data().await;
    // Address → the ids of the messages sent to it.
    let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |address: &Value, id: &str| {
        by_address
            .entry(address.as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(id.to_owned());
    };
    for m in data["sns"]["SMS"].as_array().into_iter().flatten() {
        add(&m["phone_number"], m["message_id"].as_str().unwrap_or_default());
    }
    for e in data["sns"]["PlatformEndpoint"].as_array().into_iter().flatten() {
        for id in e["messages"].as_object().into_iter().flat_map(|m| m.keys()) {
            add(&e["arn"], id);
        }
    }
    for m in data["ses"]["Message"].as_array().into_iter().flatten() {
        for to in m["destinations"]["ToAddresses"].as_array().into_iter().flatten() {
            add(to, m["id"].as_str().unwrap_or_default());
        }
    }
    let mut total = 0;
    let mut per = HashMap::new();
    let mut message_ids = Vec::new();
    for (n, (id, endpoint)) in ids.iter().zip(endpoints).enumerate() {
        let k = 500_000 + n;
        let mut count = 0;
        for a in [format!("+35196{k:07}"), endpoint.clone(), format!("b{k}@example.com")] {
            let sent = by_address.get(&a).map(Vec::as_slice).unwrap_or_default();
            count += sent.len();
            message_ids.extend(sent.iter().cloned());
        }
        total += count;
        per.insert(id.clone(), count);
    }
    (total, per, message_ids)
}
