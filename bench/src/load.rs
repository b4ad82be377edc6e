//! The load run: many events over many customers through several processes per function,
//! then an accounting from the table and moto's record: every event ended in exactly one
//! recorded outcome, and no customer got a message twice. A refusal marked retryable (a
//! redelivered copy arriving while its original still holds the claim) is invoked again after
//! a pause, as Lambda retries it, and counts by its final answer.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
}

impl Accounting {
    pub fn balanced(&self) -> bool {
        self.errors.is_empty()
            && self.claims_missing == 0
            && self.without_outcome_event == 0
            && self.duplicated_customers.is_empty()
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
            "messages: {} delivery rows sent, {} messages recorded by the providers (moto); customers with a duplicate: {}",
            self.rows_sent,
            self.provider_messages,
            self.duplicated_customers.len()
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
    let (provider_messages, per_customer_messages) = provider_counts(&ids, &endpoints).await;
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
    }
}

/// The events in the order they are invoked, with one in 50 notifying events delivered twice
/// as EventBridge may; and how many were doubled.
fn event_queue(events: usize, ids: &[String], run: &str) -> (VecDeque<(&'static str, Value)>, usize) {
    let mut rng = Lcg(42);
    let total: usize = MIX.iter().map(|(_, w)| w).sum();
    let mut queue = VecDeque::with_capacity(events + events / 50);
    let mut redelivered = 0;
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
        let c = rng.next(ids.len());
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
}

/// Reads every customer's partition: notifying events without a completed claim, and rows sent.
async fn stored_counts(ids: &[String], notifying: &HashSet<String>) -> Stored {
    let stack = stack();
    let mut stored = Stored {
        claims_missing: notifying.len(),
        rows_sent: 0,
        per_customer_rows: HashMap::new(),
    };
    let client = stack.dynamodb().await;
    for id in ids {
        let mut start = None;
        loop {
            let out = client
                .query()
                .table_name(&stack.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(
                    ":pk",
                    aws_sdk_dynamodb::types::AttributeValue::S(format!("CUSTOMER#{id}")),
                )
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("query a customer");
            for item in out.items.unwrap_or_default() {
                let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                let sk = s("SK");
                if let Some(event) = sk.strip_prefix("EVENT#")
                    && notifying.contains(event)
                    && item.get("completed").and_then(|v| v.as_bool().ok()) == Some(&true)
                {
                    stored.claims_missing -= 1;
                }
                if sk.starts_with("DELIVERY#") && s("status") == "sent" {
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

/// SMS, push and email moto recorded, in total and per customer.
async fn provider_counts(ids: &[String], endpoints: &[String]) -> (usize, HashMap<String, usize>) {
    let data = stack().moto_data().await;
    let mut by_address: HashMap<String, usize> = HashMap::new();
    for m in data["sns"]["SMS"].as_array().into_iter().flatten() {
        *by_address
            .entry(m["phone_number"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    for e in data["sns"]["PlatformEndpoint"].as_array().into_iter().flatten() {
        let n = e["messages"].as_object().map_or(0, |m| m.len());
        *by_address
            .entry(e["arn"].as_str().unwrap_or_default().to_owned())
            .or_default() += n;
    }
    for m in data["ses"]["Message"].as_array().into_iter().flatten() {
        for to in m["destinations"]["ToAddresses"].as_array().into_iter().flatten() {
            *by_address
                .entry(to.as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
    }
    let mut total = 0;
    let mut per = HashMap::new();
    for (n, (id, endpoint)) in ids.iter().zip(endpoints).enumerate() {
        let k = 500_000 + n;
        let count = [format!("+35196{k:07}"), endpoint.clone(), format!("b{k}@example.com")]
            .iter()
            .map(|a| by_address.get(a).copied().unwrap_or(0))
            .sum::<usize>();
        total += count;
        per.insert(id.clone(), count);
    }
    (total, per)
}
