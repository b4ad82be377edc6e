//! decide + render throughput over a realistic mix of the event kinds and the sample customers,
//! and the cost of reading the built-in catalog, which every function pays once at cold start.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use forewarn_core::customer::{Customer, parse_customers};
use forewarn_core::engine::Engine;
use forewarn_core::events::{Event, parse_event};
use forewarn_core::policy::Context;

const CUSTOMERS: &str = include_str!("../../../infra/seed/customers.json");
const SAMPLES: [&str; 7] = [
    include_str!("../../../events/low-balance.json"),
    include_str!("../../../events/flight-delayed.json"),
    include_str!("../../../events/application-incomplete.json"),
    include_str!("../../../events/suspicious-transaction.json"),
    include_str!("../../../events/suspicious-transaction-sms.json"),
    include_str!("../../../events/flight-delayed-watch.json"),
    include_str!("../../../events/payment-due.json"),
];

/// Every sample event re-addressed to every customer.
fn workload() -> (Vec<Customer>, Vec<(Event, usize)>) {
    let customers: Vec<Customer> = parse_customers(CUSTOMERS)
        .unwrap()
        .into_iter()
        .map(|c| c.unwrap().1)
        .collect();
    let mut work = Vec::new();
    for sample in SAMPLES {
        for (i, c) in customers.iter().enumerate() {
            let mut v: serde_json::Value = serde_json::from_str(sample).unwrap();
            v["detail"]["customer_id"] = serde_json::json!(c.id.as_str());
            work.push((parse_event(&v.to_string()).unwrap(), i));
        }
    }
    (customers, work)
}

fn decide_and_render(c: &mut Criterion) {
    let engine = Engine::default();
    let (customers, work) = workload();
    let mut group = c.benchmark_group("decide+render");
    group.throughput(Throughput::Elements(work.len() as u64));
    group.bench_function("mixed events, ten customers", |b| {
        b.iter(|| {
            for (event, i) in &work {
                let ctx = Context {
                    customer: Some(&customers[*i]),
                    history: &[],
                    seen_before: false,
                };
                black_box(engine.decide(black_box(event), &ctx, event.time.0).unwrap());
            }
        })
    });
    group.bench_function("decide only (policy, no rendering)", |b| {
        b.iter(|| {
            for (event, i) in &work {
                let ctx = Context {
                    customer: Some(&customers[*i]),
                    history: &[],
                    seen_before: false,
                };
                black_box(forewarn_core::policy::decide(
                    &engine.policy,
                    black_box(event),
                    &ctx,
                    event.time.0,
                ));
            }
        })
    });
    group.finish();
}

fn catalog(c: &mut Criterion) {
    c.bench_function(
        "catalog: read and cross-check the built-in kinds (once per cold start)",
        |b| b.iter(|| black_box(forewarn_core::catalog::Catalog::embedded())),
    );
}

criterion_group!(benches, decide_and_render, catalog);
criterion_main!(benches);
