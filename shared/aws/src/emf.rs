//! The metrics recorder of a function: CloudWatch Embedded Metric Format lines on stdout,
//! written by `metrics_cloudwatch_embedded` once per invocation, in the namespace
//! `FOREWARN_METRICS_NAMESPACE` (default `forewarn`) with the function's name as a dimension.

use std::io::Write;

use metrics_cloudwatch_embedded::Collector;
use tracing::warn;

/// The namespace when `FOREWARN_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "forewarn";

/// Installs the process's recorder; `None` (with a warning) if one is installed already.
pub fn init(function: &'static str, namespace: String) -> Option<&'static Collector> {
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("Function", function)
        .init();
    match collector {
        Ok(c) => {
            forewarn_flows::metrics::describe();
            Some(c)
        }
        Err(e) => {
            warn!(error = %e, "metrics are off: no recorder");
            None
        }
    }
}

/// Writes what the invocation recorded, one JSON document per dimension set, in one write so
/// the lines never interleave with a log line.
pub fn flush(collector: Option<&'static Collector>) {
    let Some(c) = collector else { return };
    let mut lines = Vec::new();
    if c.flush(&mut lines).is_ok() && !lines.is_empty() {
        let _ = std::io::stdout().lock().write_all(&lines);
    }
}
