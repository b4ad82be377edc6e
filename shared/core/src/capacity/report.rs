//! The capacity model written for a person: each stage's time at its quota, the increases a target needs, the fraud lane.

use std::fmt::Write as _;

use super::{Capacity, Quota, Stage};

/// `1234567.8` as `1,234,568`.
fn count(v: f64) -> String {
    let digits = format!("{:.0}", v.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as `45 s`, `17 min`, `11 h 54 min`, or `never`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "never".into();
    }
    let s = seconds.ceil() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn quota<'a>(table: &'a [Quota], name: &str) -> &'a Quota {
    table
        .iter()
        .find(|q| q.name == name)
        .expect("a stage names a quota of the table")
}

fn stage_row(out: &mut String, s: &Stage, table: &[Quota], window: f64) {
    let q = quota(table, s.quota);
    let fits = if s.seconds() <= window { "yes" } else { "**no**" };
    let _ = writeln!(
        out,
        "| {} | {} {} | `{}` {} {} | {} | {} | {} |",
        s.name,
        count(s.demand),
        s.unit,
        s.quota,
        count(s.current),
        q.unit,
        duration(s.seconds()),
        fits,
        count(s.needed.ceil()),
    );
}

/// The model as Markdown: the same text `forewarn capacity` prints and docs/SCALE.md shows.
pub fn render(c: &Capacity) -> String {
    let table = c.quotas.table();
    let window = c.window_seconds;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} notices within {}: {:.0} % held to the end of quiet hours, {:.0} % push, {:.0} % email, {:.0} % SMS; {} fraud alerts a second throughout.\n",
        count(c.notices as f64),
        duration(window),
        c.workload.held_share * 100.0,
        c.workload.push_share * 100.0,
        c.workload.email_share * 100.0,
        c.workload.sms_share * 100.0,
        c.workload.fraud_per_second,
    );
    out += "| stage | demand | quota now | time at quota | within the window | quota needed |\n";
    out += "|---|---|---|---|---|---|\n";
    for s in &c.stages {
        stage_row(&mut out, s, &table, window);
    }
    let slowest = c.bottleneck();
    let _ = writeln!(
        out,
        "\nDrains in **{}**: the slowest stage is \"{}\" (`{}`), plus {} for Lambda to scale up.",
        duration(c.drain_seconds()),
        slowest.name,
        slowest.quota,
        duration(c.ramp_seconds),
    );
    let raises: Vec<&Stage> = c.increases().collect();
    if raises.is_empty() {
        let _ = writeln!(out, "\nEvery stage fits the window at these quotas.");
    } else {
        let _ = writeln!(
            out,
            "\nTo fit the window, request (Service Quotas, or a support case):\n"
        );
        for s in raises {
            let q = quota(&table, s.quota);
            let _ = writeln!(
                out,
                "- `{}`: from {} to at least {} {} ({})",
                s.quota,
                count(s.current),
                count(s.needed.ceil()),
                q.unit,
                q.source
            );
        }
    }
    let w = &c.workload;
    let _ = writeln!(
        out,
        "\nFraud alerts under 5 s at p99 need, kept free of the bulk: {} concurrent executions reserved for `suspicious-transaction` (`ReservedConcurrency`), {} SMS parts and {} `Publish` requests a second.",
        count(c.fraud_reserve),
        count((w.fraud_per_second * w.sms_parts_per_message).ceil()),
        count((2.0 * w.fraud_per_second).ceil()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_as_a_person_writes_them() {
        assert_eq!(count(2_000_000.0), "2,000,000");
        assert_eq!(count(999.4), "999");
        assert_eq!(duration(45.2), "46 s");
        assert_eq!(duration(1000.0), "16 min 40 s");
        assert_eq!(duration(42_857.2), "11 h 54 min");
        assert_eq!(duration(f64::INFINITY), "never");
    }
}
