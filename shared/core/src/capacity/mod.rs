//! The capacity model: for a burst of notices, the time each stage takes against its AWS quota, by formula, and the quotas a target needs.
//!
//! Every notice passes every stage: the bus, a notifier, the table, a schedule (if held), its
//! firing and `dispatch` (if held), and one provider. Stages run as a pipeline, so the burst
//! drains in the time of its slowest stage: `demand / rate` for that stage's quota. A Lambda
//! stage's rate is the concurrency left to bulk notices over one invocation's duration
//! (Little's law); the fraud lane's reserve comes off the top. `forewarn capacity` prints it;
//! docs/SCALE.md explains each formula.

mod quotas;
mod report;

pub use quotas::{Quota, Quotas, QuotasFile, Workload};
pub use report::render;

/// One stage of the pipeline and what the burst asks of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub name: &'static str,
    /// How much of the quota's unit the burst needs in all (requests, invocations, write
    /// units, message parts), or concurrency-seconds for a Lambda stage.
    pub demand: f64,
    /// The unit of `demand`.
    pub unit: &'static str,
    /// What the quota lets through per second for bulk notices.
    pub rate: f64,
    /// The quota that limits it (a key of [`Quotas::table`]).
    pub quota: &'static str,
    /// The quota's value now, and what it must be for the burst to fit the window.
    pub current: f64,
    pub needed: f64,
}

impl Stage {
    /// Seconds the burst takes through this stage alone.
    /// Infinite when fraud alone needs all of the quota.
    pub fn seconds(&self) -> f64 {
        if self.demand <= 0.0 {
            0.0
        } else if self.rate <= 0.0 {
            f64::INFINITY
        } else {
            self.demand / self.rate
        }
    }
}

/// The model of one burst.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    pub notices: u64,
    pub window_seconds: f64,
    pub quotas: Quotas,
    pub workload: Workload,
    pub stages: Vec<Stage>,
    /// Concurrency kept for fraud alerts, off the top of the account's.
    pub fraud_reserve: f64,
    /// Seconds a function takes to scale from nothing to the concurrency the bulk uses.
    pub ramp_seconds: f64,
}

impl Capacity {
    /// The stage that takes longest, and so how long the burst takes to drain.
    pub fn bottleneck(&self) -> &Stage {
        self.stages
            .iter()
            .max_by(|a, b| a.seconds().total_cmp(&b.seconds()))
            .expect("the model has stages")
    }

    pub fn drain_seconds(&self) -> f64 {
        self.bottleneck().seconds() + self.ramp_seconds
    }

    /// The stages whose quota must rise for the burst to fit the window.
    pub fn increases(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| s.needed > s.current)
    }
}

/// The capacity `notices` need to pass every stage within `window_minutes`.
pub fn model(notices: u64, window_minutes: f64, quotas: &Quotas, workload: &Workload) -> Capacity {
    let (q, w) = (quotas, workload);
    let n = notices as f64;
    let window = window_minutes * 60.0;
    let held = n * w.held_share;
    // Fraud alerts: each an SMS and a push, decided in one invocation; twice the concurrency
    // they use on average, at least one.
    let fraud_reserve = (2.0 * w.fraud_per_second * w.decide_seconds).ceil().max(1.0);
    let bulk_concurrency = (q.lambda_concurrency - fraud_reserve).max(1.0);
    let lambda = |name: &'static str, count: f64, seconds: f64| Stage {
        name,
        demand: count * seconds,
        unit: "execution-seconds",
        rate: bulk_concurrency,
        quota: "lambda_concurrency",
        current: q.lambda_concurrency,
        needed: count * seconds / window + fraud_reserve,
    };
    let mut stages: Vec<Stage> = rated_stages(n, held, window, q, w);
    stages.insert(
        2,
        lambda("notifiers decide, write and send or hold", n, w.decide_seconds),
    );
    stages.insert(6, lambda("dispatch sends the held notices", held, w.dispatch_seconds));
    Capacity {
        notices,
        window_seconds: window,
        quotas: q.clone(),
        workload: w.clone(),
        stages,
        fraud_reserve,
        ramp_seconds: (bulk_concurrency / q.lambda_scaling_per_10s).ceil() * 10.0,
    }
}

/// The stages limited by a rate: the bus, the table, Scheduler and the providers. `spare` is
/// what the fraud alerts keep of a provider's rate.
fn rated_stages(n: f64, held: f64, window: f64, q: &Quotas, w: &Workload) -> Vec<Stage> {
    let fraud_parts = w.fraud_per_second * w.sms_parts_per_message;
    let put_events = n / 10.0 + n + held + 2.0 * w.fraud_per_second * window;
    let writes = (n - held) * w.write_units_now + held * w.write_units_held;
    #[rustfmt::skip]
    let specs: [(&'static str, f64, &'static str, &'static str, f64, f64); 8] = [
        ("PutEvents: producers' batches of 10, forewarn's outcome events", put_events, "put_events_requests", "requests", q.put_events_requests, 0.0),
        ("rules invoke a notifier", n, "bus_invocations", "invocations", q.bus_invocations, 0.0),
        ("the table takes claims, rows, takes and settles", writes, "table_write_units", "write units", q.table_write_units, 0.0),
        ("held notices get a schedule", held, "create_schedule", "schedules", q.create_schedule, 0.0),
        ("schedules fire at the end of quiet hours", held, "schedule_invocations", "firings", q.schedule_invocations, 0.0),
        ("push: SNS Publish", n * w.push_share, "sns_publish", "requests", q.sns_publish, 2.0 * w.fraud_per_second),
        ("SMS: message parts", n * w.sms_share * w.sms_parts_per_message, "sms_parts", "parts", q.sms_parts, fraud_parts),
        ("email: SES", n * w.email_share, "ses_send_rate", "emails", q.ses_send_rate, 0.0),
    ];
    specs
        .into_iter()
        .map(|(name, demand, quota, unit, current, spare)| Stage {
            name,
            demand,
            unit,
            rate: (current - spare).max(0.0),
            quota,
            current,
            needed: demand / window + spare,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage<'a>(c: &'a Capacity, quota: &str) -> &'a Stage {
        c.stages.iter().find(|s| s.quota == quota).unwrap()
    }

    #[test]
    fn a_million_held_notices_take_at_least_seventeen_minutes_to_fire_at_scheduler_s_default() {
        let w = Workload {
            held_share: 1.0,
            ..Workload::default()
        };
        let c = model(1_000_000, 60.0, &Quotas::default(), &w);
        let fire = stage(&c, "schedule_invocations");
        assert_eq!(fire.seconds(), 1000.0);
        assert!(fire.seconds() / 60.0 > 16.6);
        assert!(fire.needed < fire.current, "a million in an hour fits 1,000 a second");
    }

    #[test]
    fn two_million_notices_in_an_hour_are_held_up_by_sms_and_email_at_default_quotas() {
        let c = model(2_000_000, 60.0, &Quotas::default(), &Workload::default());
        let slowest = c.bottleneck();
        assert_eq!(slowest.quota, "sms_parts");
        // 240,000 parts at the 4 a second the fraud alerts leave of 10.
        assert!(
            (slowest.seconds() - 240_000.0 / 4.0).abs() < 1e-6,
            "{}",
            slowest.seconds()
        );
        let email = stage(&c, "ses_send_rate");
        assert!((email.seconds() - 600_000.0 / 14.0).abs() < 1e-6);
        let raise: Vec<&str> = c.increases().map(|s| s.quota).collect();
        assert!(
            raise.contains(&"ses_send_rate") && raise.contains(&"sms_parts"),
            "{raise:?}"
        );
        let email = stage(&c, "ses_send_rate");
        assert!((email.needed - 600_000.0 / 3600.0).abs() < 1e-6);
    }

    #[test]
    fn fraud_alerts_keep_their_share_of_concurrency_and_sms_parts() {
        let w = Workload {
            fraud_per_second: 50.0,
            ..Workload::default()
        };
        let c = model(10_000, 60.0, &Quotas::default(), &w);
        assert_eq!(c.fraud_reserve, 10.0);
        let sms = stage(&c, "sms_parts");
        assert_eq!(sms.rate, 0.0, "fraud alone needs 60 parts a second of 10");
        assert!(sms.seconds().is_infinite());
        assert!(sms.needed > 60.0);
        let decide = stage(&c, "lambda_concurrency");
        assert_eq!(decide.rate, 990.0);
    }

    #[test]
    fn a_quotas_file_names_the_key_at_fault() {
        assert!(QuotasFile::parse("[quotas]\nsms_parts = 100\n").is_ok());
        let e = QuotasFile::parse("[quotas]\nsms_parts = 0\n").unwrap_err();
        assert!(e.contains("quotas.sms_parts"), "{e}");
        let e = QuotasFile::parse("[quotas]\nsms_part = 100\n").unwrap_err();
        assert!(e.contains("sms_part"), "{e}");
        let e = QuotasFile::parse("[workload]\npush_share = 0.9\n").unwrap_err();
        assert!(e.contains("push_share + email_share + sms_share"), "{e}");
    }
}
