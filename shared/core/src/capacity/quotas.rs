//! The AWS quotas and workload assumptions the capacity model reads, with AWS's defaults and where each is published.

use serde::Deserialize;

/// One quota: its value and where AWS publishes its default.
pub struct Quota {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub source: &'static str,
}

/// The account's quotas in one Region, per second unless the name says otherwise. Defaults are
/// AWS's published defaults for eu-west-1 (the sources are in [`Quotas::table`]); read your
/// own in the Service Quotas console and put them in a `--quotas` file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Lambda concurrent executions, shared by every function of the account and Region.
    pub lambda_concurrency: f64,
    /// How many concurrent executions a function gains every 10 seconds while scaling up.
    pub lambda_scaling_per_10s: f64,
    /// EventBridge `PutEvents` requests (each up to 10 entries), shared by every caller.
    pub put_events_requests: f64,
    /// EventBridge rule target invocations.
    pub bus_invocations: f64,
    /// EventBridge Scheduler `CreateSchedule` requests.
    pub create_schedule: f64,
    /// EventBridge Scheduler target invocations.
    pub schedule_invocations: f64,
    /// DynamoDB on-demand write request units per table.
    pub table_write_units: f64,
    /// SNS `Publish` requests (push, and SMS through SNS).
    pub sns_publish: f64,
    /// SMS message parts per second of the origination identities messages go out from.
    pub sms_parts: f64,
    /// SES maximum send rate (emails per second).
    pub ses_send_rate: f64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            lambda_concurrency: 1000.0,
            lambda_scaling_per_10s: 1000.0,
            put_events_requests: 10_000.0,
            bus_invocations: 18_750.0,
            create_schedule: 1000.0,
            schedule_invocations: 1000.0,
            table_write_units: 40_000.0,
            sns_publish: 9000.0,
            sms_parts: 10.0,
            ses_send_rate: 14.0,
        }
    }
}

const LAMBDA: &str = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
const EVENTBRIDGE: &str = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html";
const SCHEDULER: &str = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/scheduler-quotas.html";
const DYNAMODB: &str = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html";
const SNS: &str = "https://docs.aws.amazon.com/general/latest/gr/sns.html";
const SMS: &str = "https://docs.aws.amazon.com/sms-voice/latest/userguide/sms-limitations-mps.html";
const SES: &str = "https://docs.aws.amazon.com/ses/latest/dg/quotas.html";

impl Quotas {
    /// Every quota with its unit and source, in the order the model's stages use them.
    pub fn table(&self) -> Vec<Quota> {
        let q = |name, value, unit, source| Quota {
            name,
            value,
            unit,
            source,
        };
        vec![
            q(
                "lambda_concurrency",
                self.lambda_concurrency,
                "concurrent executions",
                LAMBDA,
            ),
            q(
                "lambda_scaling_per_10s",
                self.lambda_scaling_per_10s,
                "executions per 10 s",
                LAMBDA,
            ),
            q(
                "put_events_requests",
                self.put_events_requests,
                "requests/s",
                EVENTBRIDGE,
            ),
            q("bus_invocations", self.bus_invocations, "invocations/s", EVENTBRIDGE),
            q("create_schedule", self.create_schedule, "requests/s", SCHEDULER),
            q(
                "schedule_invocations",
                self.schedule_invocations,
                "invocations/s",
                SCHEDULER,
            ),
            q("table_write_units", self.table_write_units, "write units/s", DYNAMODB),
            q("sns_publish", self.sns_publish, "requests/s", SNS),
            q("sms_parts", self.sms_parts, "message parts/s", SMS),
            q("ses_send_rate", self.ses_send_rate, "emails/s", SES),
        ]
    }

    /// The problems of a quotas file: every value must be a positive number.
    pub fn check(&self) -> Result<(), String> {
        match self
            .table()
            .into_iter()
            .find(|q| !(q.value.is_finite() && q.value > 0.0))
        {
            Some(q) => Err(format!(
                "quotas.{}: must be a number above zero, not {}",
                q.name, q.value
            )),
            None => Ok(()),
        }
    }
}

/// What the burst is made of and how long each step takes: assumptions, not quotas. The
/// defaults are stated in docs/SCALE.md with why.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    /// Share of the notices held for later (most of a night run is held to the end of quiet
    /// hours), released together.
    pub held_share: f64,
    /// Shares of the notices by channel; they must add up to 1.
    pub push_share: f64,
    pub email_share: f64,
    pub sms_share: f64,
    /// Message parts of an average SMS.
    pub sms_parts_per_message: f64,
    /// Fraud alerts arriving per second throughout, each an SMS and a push.
    pub fraud_per_second: f64,
    /// Seconds one notifier invocation takes on AWS (decide, write, send).
    pub decide_seconds: f64,
    /// Seconds one dispatch invocation takes on AWS.
    pub dispatch_seconds: f64,
    /// DynamoDB write units of one notice: the claim and row transactions (2 units per item),
    /// the take and the settle, and for a held one the dispatch's take, settle and completion.
    pub write_units_now: f64,
    pub write_units_held: f64,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            held_share: 0.8,
            push_share: 0.6,
            email_share: 0.3,
            sms_share: 0.1,
            sms_parts_per_message: 1.2,
            fraud_per_second: 5.0,
            decide_seconds: 0.1,
            dispatch_seconds: 0.08,
            write_units_now: 10.0,
            write_units_held: 14.0,
        }
    }
}

impl Workload {
    /// The problems of a workload: shares in [0, 1] adding up to 1, durations above zero.
    pub fn check(&self) -> Result<(), String> {
        let shares = [
            ("held_share", self.held_share),
            ("push_share", self.push_share),
            ("email_share", self.email_share),
            ("sms_share", self.sms_share),
        ];
        if let Some((name, v)) = shares.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Err(format!("workload.{name}: must be between 0 and 1, not {v}"));
        }
        let channels = self.push_share + self.email_share + self.sms_share;
        if (channels - 1.0).abs() > 1e-6 {
            return Err(format!(
                "workload: push_share + email_share + sms_share must be 1, not {channels}"
            ));
        }
        let positive = [
            ("sms_parts_per_message", self.sms_parts_per_message),
            ("decide_seconds", self.decide_seconds),
            ("dispatch_seconds", self.dispatch_seconds),
            ("write_units_now", self.write_units_now),
            ("write_units_held", self.write_units_held),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("workload.{name}: must be a number above zero, not {v}"));
        }
        if !(self.fraud_per_second.is_finite() && self.fraud_per_second >= 0.0) {
            return Err(format!(
                "workload.fraud_per_second: must be zero or more, not {}",
                self.fraud_per_second
            ));
        }
        Ok(())
    }
}

/// A `--quotas` file: `[quotas]` and `[workload]` tables, each key optional.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotasFile {
    pub quotas: Quotas,
    pub workload: Workload,
}

impl QuotasFile {
    /// Parses and checks a quotas file, naming the key at fault.
    pub fn parse(text: &str) -> Result<QuotasFile, String> {
        let file: QuotasFile = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
        file.quotas.check()?;
        file.workload.check()?;
        Ok(file)
    }
}
