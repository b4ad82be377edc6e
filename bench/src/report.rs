//! The figures of one run, checked against forewarn's targets and printed as a table.

use std::collections::BTreeMap;

/// Init within this multiple of the hello-world function's.
pub const INIT_RATIO_TARGET: f64 = 2.0;
pub const PEAK_RSS_TARGET_MB: f64 = 40.0;
pub const PACKAGE_TARGET_MB: f64 = 6.0;
pub const THROUGHPUT_TARGET: f64 = 100_000.0;

#[derive(Debug, Default)]
pub struct Row {
    pub init_ms: f64,
    /// The first invocation after init, which opens the service connections.
    pub first_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub own_ms: f64,
    pub peak_rss_kb: Option<u64>,
    pub requests: BTreeMap<String, f64>,
}

#[derive(Debug, Default)]
pub struct Table {
    pub hello_init: f64,
    /// suspicious-transaction's init with aws-lc's jitter entropy left on.
    pub jitter_init: Option<f64>,
    pub rows: BTreeMap<&'static str, Row>,
    pub packages: BTreeMap<String, u64>,
    pub throughput: Option<(f64, f64)>,
}

pub fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// The nearest-rank percentile; 0 for no data.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn mark(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

impl Table {
    pub fn print(&self) {
        println!("hello-world lambda_runtime init (median): {:.1} ms", self.hello_init);
        println!();
        if let (Some(j), Some(r)) = (self.jitter_init, self.rows.get("suspicious-transaction")) {
            println!(
                "suspicious-transaction init with aws-lc jitter entropy on: {j:.1} ms (off, as deployed: {:.1} ms)",
                r.init_ms
            );
        }
        println!();
        println!(
            "| function | init ms | × hello | 1st call ms | p50 ms | p99 ms | own ms | peak RSS MB | zip MB | round-trips per event |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        let mut missed = Vec::new();
        for (f, r) in &self.rows {
            let ratio = r.init_ms / self.hello_init.max(f64::EPSILON);
            let rss = r.peak_rss_kb.map(|k| k as f64 / 1024.0);
            let zip = self.packages.get(*f).map(|b| *b as f64 / 1_048_576.0);
            if ratio > INIT_RATIO_TARGET {
                missed.push(format!("{f}: init {ratio:.2}× hello (target ≤ {INIT_RATIO_TARGET}×)"));
            }
            if rss.is_some_and(|m| m > PEAK_RSS_TARGET_MB) {
                missed.push(format!(
                    "{f}: peak RSS {:.1} MB (target < {PEAK_RSS_TARGET_MB} MB)",
                    rss.unwrap_or(0.0)
                ));
            }
            if zip.is_some_and(|m| m > PACKAGE_TARGET_MB) {
                missed.push(format!(
                    "{f}: package {:.2} MB (target < {PACKAGE_TARGET_MB} MB)",
                    zip.unwrap_or(0.0)
                ));
            }
            let trips = r
                .requests
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "| {f} | {:.1} | {ratio:.2} {} | {:.1} | {:.1} | {:.1} | {:.2} | {} | {} | {trips} |",
                r.init_ms,
                mark(ratio <= INIT_RATIO_TARGET),
                r.first_ms,
                r.p50_ms,
                r.p99_ms,
                r.own_ms,
                rss.map_or("n/a".into(), |m| format!("{m:.1} {}", mark(m < PEAK_RSS_TARGET_MB))),
                zip.map_or("not built".into(), |m| format!(
                    "{m:.2} {}",
                    mark(m < PACKAGE_TARGET_MB)
                )),
            );
        }
        println!();
        match self.throughput {
            Some((full, decide)) => {
                println!(
                    "decide + render: {full:.0} events/s on one core ({}; target ≥ {THROUGHPUT_TARGET:.0}); decide only: {decide:.0} events/s",
                    mark(full >= THROUGHPUT_TARGET)
                );
                if full < THROUGHPUT_TARGET {
                    missed.push(format!("decide + render {full:.0} events/s"));
                }
            }
            None => {
                println!("decide + render: no criterion estimates (run `cargo bench -p forewarn-core --bench decide`)")
            }
        }
        if missed.is_empty() {
            println!("every target met");
        } else {
            println!("targets missed: {}", missed.join("; "));
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(
            (median(&v), percentile(&v, 99.0), percentile(&v, 100.0)),
            (50.0, 99.0, 100.0)
        );
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
    }
}
