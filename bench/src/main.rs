//! `forewarn-bench`: what forewarn costs per event on this machine, measured in one run on
//! the local stack with the release binaries — init time beside a hello-world function, warm
//! latency, the handler's own time, peak memory, package size, round-trips per event, the
//! decide + render throughput, and a bounded load run with an accounting of every event.
//! `scripts/bench` builds what it needs and runs it.

mod load;
mod report;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use forewarn_e2e::runtime::{FunctionProcess, Invocation, binary};
use forewarn_e2e::{sample, stack};
use serde_json::{Value, json};

use report::{Row, Table, median, percentile};

/// The functions measured, with the name of their binary.
const FUNCTIONS: [&str; 11] = [
    "suspicious-transaction",
    "flight-delay",
    "low-balance",
    "incomplete-application",
    "notify",
    "resolve",
    "dispatch",
    "reply",
    "feedback",
    "activity",
    "sweep",
];

struct Args {
    spawns: usize,
    warm: usize,
    load_events: usize,
    load_customers: usize,
    processes: usize,
}

fn args() -> Args {
    let mut a = Args {
        spawns: 7,
        warm: 100,
        load_events: 10_000,
        load_customers: 1_000,
        processes: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{flag} needs a whole number"))
        };
        match flag.as_str() {
            "--spawns" => a.spawns = value(),
            "--warm" => a.warm = value(),
            "--load-events" => a.load_events = value(),
            "--load-customers" => a.load_customers = value(),
            "--processes" => a.processes = value(),
            other => panic!("unknown flag {other}; flags: --spawns --warm --load-events --load-customers --processes"),
        }
    }
    a
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    let stack = stack();
    eprintln!(
        "forewarn-bench: local stack up (DynamoDB Local {}, moto {})",
        stack.dynamodb, stack.moto
    );
    let mut table = Table::default();

    let hello = init_times("hello-lambda", &[], args.spawns).await;
    table.hello_init = median(&hello);
    for f in FUNCTIONS {
        let t = init_times(f, &stack.function_env(), args.spawns).await;
        table.rows.insert(
            f,
            Row {
                init_ms: median(&t),
                ..Row::default()
            },
        );
    }

    // The jitter-entropy cure, measured: the same function without AWS_LC_SYS_NO_JITTER_ENTROPY.
    let with_jitter: Vec<(String, String)> = stack
        .function_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_LC_SYS_NO_JITTER_ENTROPY")
        .collect();
    table.jitter_init = Some(median(
        &init_times("suspicious-transaction", &with_jitter, args.spawns).await,
    ));

    warm(&args, &mut table).await;
    table.packages = package_sizes();
    table.throughput = decide_throughput();
    table.print();

    let accounting = load::run(args.load_events, args.load_customers, args.processes).await;
    accounting.print();
    if !accounting.balanced() {
        std::process::exit(1);
    }
}

/// Spawn-to-first-`next` of `spawns` fresh processes, in ms.
async fn init_times(name: &str, env: &[(String, String)], spawns: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(spawns);
    for _ in 0..spawns {
        let mut f = FunctionProcess::spawn(&binary(name), env).await;
        out.push(f.init_time(Duration::from_secs(30)).await.as_secs_f64() * 1e3);
        f.kill().await;
    }
    out
}

/// A customer the send-now path applies to at any hour.
fn profile(id: &str, n: usize, endpoint: &str) -> Value {
    json!({"customer_id": id, "name": "Bench", "locale": "en-GB", "time_zone": "Europe/Lisbon",
        "contacts": {"email": format!("b{n}@example.com"), "phone": format!("+35196{n:07}")},
        "quiet_hours": {"start": "00:00", "end": "00:00"},
        "devices": [
            {"device_id": "phone", "kind": "phone", "platform": "ios", "push_endpoint": endpoint},
            {"device_id": "desk", "kind": "desktop", "platform": "web", "active_hours": ["Mon-Sun 00:00-12:00", "Mon-Sun 12:00-00:00"]}]})
}

fn later(hours: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours)).to_string()
}

/// One event for `function`, for customer `id` (the `n`-th), fresh each time.
fn event_for(function: &str, id: &str, n: usize, run: &str) -> Value {
    let eid = |p: &str| format!("{p}-{run}-{n}");
    match function {
        "suspicious-transaction" => {
            let mut e = sample("suspicious-transaction.json", &eid("st"), id);
            e["detail"]["transaction_id"] = json!(format!("tx-{run}-{n}"));
            e
        }
        "flight-delay" => {
            let mut e = sample("flight-delayed.json", &eid("fd"), id);
            e["detail"]["booking_ref"] = json!(format!("B{n}"));
            e["detail"]["flight"]["scheduled_departure"] = json!(later(3));
            e["detail"]["flight"]["estimated_departure"] = json!(later(5));
            e
        }
        "low-balance" => {
            let mut e = sample("low-balance.json", &eid("lb"), id);
            e["detail"]["account_id"] = json!(format!("acc-{run}-{n}"));
            e["detail"]["upcoming_payment"]["due_at"] = json!(later(24 * 5));
            e
        }
        "incomplete-application" => {
            let mut e = sample("application-incomplete.json", &eid("ai"), id);
            e["detail"]["application_id"] = json!(format!("app-{run}-{n}"));
            e["detail"]["expires_at"] = json!(later(24 * 10));
            e
        }
        "notify" => {
            let mut e = sample("payment-due.json", &eid("pd"), id);
            e["detail"]["payment_id"] = json!(format!("pay-{run}-{n}"));
            e["detail"]["due_at"] = json!(later(24 * 5));
            e
        }
        "resolve" => {
            let mut e = sample("balance-restored.json", &eid("br"), id);
            e["detail"]["account_id"] = json!(format!("acc-{run}-{n}"));
            e
        }
        "activity" => json!({"version": "0", "id": eid("act"), "detail-type": "CustomerActivity",
            "source": "com.example.bank.web", "account": "123456789012", "time": jiff::Timestamp::now().to_string(),
            "region": "eu-west-1", "resources": [],
            "detail": {"customer_id": id, "device_id": "desk", "device_kind": "desktop", "platform": "web",
                       "at": jiff::Timestamp::now().to_string()}}),
        "sweep" => json!({"version": "0", "id": eid("sweep"), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": jiff::Timestamp::now().to_string(),
            "region": "eu-west-1", "resources": [], "detail": {}}),
        other => panic!("no generated event for {other}"),
    }
}

/// The reminder a fraud alert scheduled, as EventBridge Scheduler hands it to dispatch.
fn reminder_request(id: &str, n: usize, run: &str) -> Value {
    json!({"customer_id": id, "subject": format!("transaction:tx-{run}-{n}"), "event_id": format!("st-{run}-{n}"),
        "channel": "push", "reminder": true})
}

fn ses_delivered(id: &str, message_id: &str, n: usize) -> Value {
    json!({"version": "0", "id": format!("ses-{n}"), "detail-type": "Email Delivered", "source": "aws.ses",
        "account": "123456789012", "time": jiff::Timestamp::now().to_string(), "region": "eu-west-1", "resources": [],
        "detail": {"eventType": "Delivery", "mail": {"messageId": message_id, "tags": {"fw-customer": [id]}},
                   "delivery": {"recipients": [format!("b{n}@example.com")]}}})
}

/// Warm latency through the harness (p50, p99), the handler's own time (its elapsed time
/// minus the time waiting on services), round-trips per event and peak RSS, per function.
async fn warm(args: &Args, table: &mut Table) {
    let stack = stack();
    let run = format!("w{}", std::process::id());
    let mut customers = Vec::new();
    for n in 0..args.warm {
        let id = format!("bench-{run}-{n}");
        let endpoint = stack.push_endpoint(&format!("bench-{run}-{n}")).await;
        stack.seed(profile(&id, n, &endpoint)).await;
        customers.push(id);
    }
    let procs: BTreeMap<&str, FunctionProcess> = {
        let mut m = BTreeMap::new();
        for f in FUNCTIONS {
            let mut p = FunctionProcess::spawn(&binary(f), &stack.function_env()).await;
            p.init_time(Duration::from_secs(30)).await;
            m.insert(f, p);
        }
        m
    };
    // The order matters: dispatch sends the fraud alerts' reminders, reply answers them,
    // feedback reports on the application emails.
    for f in FUNCTIONS {
        let p = &procs[f];
        let mut rtt = Vec::new();
        let mut own = Vec::new();
        let mut requests: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (n, id) in customers.iter().enumerate() {
            let payload = match f {
                "dispatch" => reminder_request(id, n, &run),
                "reply" => forewarn_e2e::inbound_sms(&format!("+35196{n:07}"), "YES", &format!("in-{run}-{n}")),
                "feedback" => {
                    let d = stack.deliveries(id).await;
                    let Some(m) = d
                        .iter()
                        .find(|d| d.record.channel == forewarn_core::customer::Channel::Email)
                        .and_then(|d| d.provider_message_id.clone())
                    else {
                        continue;
                    };
                    ses_delivered(id, &m, n)
                }
                _ => event_for(f, id, n, &run),
            };
            let started = Instant::now();
            let result = p.invoke(payload).await;
            let took = started.elapsed().as_secs_f64() * 1e3;
            let Invocation::Ok(v) = result else {
                panic!("{f} failed during the warm run: {result:?}");
            };
            if n == 0 {
                // The first call opens the connections to the services.
                table.rows.entry(f).or_default().first_ms = took;
                continue;
            }
            rtt.push(took);
            let num = |k: &str| v[k].as_f64().unwrap_or(0.0);
            own.push((num("elapsed_us") - num("service_us")) / 1e3);
            for (k, c) in v["requests"].as_object().into_iter().flatten() {
                requests.entry(k.clone()).or_default().push(c.as_f64().unwrap_or(0.0));
            }
        }
        let row = table.rows.entry(f).or_default();
        row.p50_ms = median(&rtt);
        row.p99_ms = percentile(&rtt, 99.0);
        row.own_ms = median(&own);
        row.requests = requests.into_iter().map(|(k, v)| (k, median(&v))).collect();
        row.peak_rss_kb = p.peak_rss_kb();
        eprintln!("forewarn-bench: {f}: {} warm invocations", rtt.len());
    }
    for (_, p) in procs {
        p.kill().await;
    }
}

/// Each function's arm64 `bootstrap`, zipped as Lambda receives it (`cargo lambda build
/// --release --arm64 --output-format zip`, run by `scripts/bench`), in bytes.
fn package_sizes() -> BTreeMap<String, u64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| forewarn_e2e::root().join("target"));
    FUNCTIONS
        .iter()
        .filter_map(|f| {
            let zip = target.join("lambda").join(f).join("bootstrap.zip");
            std::fs::metadata(&zip).ok().map(|m| (f.to_string(), m.len()))
        })
        .collect()
}

/// Events per second of decide + render and of decide alone, from the criterion bench's
/// saved estimates (`cargo bench -p forewarn-core --bench decide`, run by `scripts/bench`).
fn decide_throughput() -> Option<(f64, f64)> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| forewarn_e2e::root().join("target"));
    let per_second = |bench: &str| -> Option<f64> {
        let path = target
            .join("criterion")
            .join("decide+render")
            .join(bench)
            .join("new/estimates.json");
        let read = |file: &str| -> Option<Value> {
            serde_json::from_str(&std::fs::read_to_string(path.with_file_name(file)).ok()?).ok()
        };
        let ns = read("estimates.json")?["median"]["point_estimate"].as_f64()?;
        let per_iteration = read("benchmark.json")?["throughput"]["Elements"].as_f64()?;
        Some(per_iteration / (ns / 1e9))
    };
    Some((
        per_second("mixed events, ten customers")?,
        per_second("decide only (policy, no rendering)")?,
    ))
}
