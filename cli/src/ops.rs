//! Operator commands against a deployed (or local) stack: `emit`, `customers import` and `explain`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use forewarn_aws::bus::EventBridgeBus;
use forewarn_aws::dynamo::DynamoStore;
use forewarn_core::customer::{CustomerProfile, parse_customers};
use forewarn_core::events::parse_event;
use forewarn_core::types::Id;
use forewarn_flows::FlowError;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Format;
use crate::explain::{self, ExplainError};

fn json_files(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for e in entries {
            // Inbound SMS samples stand for texts arriving through SNS, not bus events.
            if e.file_name().is_some_and(|n| n != "schemas" && n != "inbound-sms")
                && (e.is_dir() || e.extension().is_some_and(|x| x == "json"))
            {
                json_files(&e, out)?;
            }
        }
        Ok(())
    } else {
        std::fs::metadata(p)?;
        out.push(p.to_owned());
        Ok(())
    }
}

async fn sdk() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// `forewarn emit FILE|DIR ...`: checks each event against the contract, puts the valid ones on
/// the bus in batches of 10, and reports every entry that failed.
pub async fn emit(paths: Vec<PathBuf>, bus: String) -> ExitCode {
    let mut files = Vec::new();
    for p in &paths {
        if let Err(e) = json_files(p, &mut files) {
            eprintln!("forewarn emit: cannot read {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    let mut entries = Vec::new();
    let mut labels = Vec::new();
    let mut invalid = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("forewarn emit: cannot read {}: {e}", f.display());
                return ExitCode::from(2);
            }
        };
        let values = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(e) => {
                eprintln!("{}: not valid JSON: {e}", f.display());
                invalid += 1;
                continue;
            }
        };
        for v in values {
            match parse_event(&v.to_string()) {
                Err(e) => {
                    eprintln!("{}: rejected: {e}", f.display());
                    invalid += 1;
                }
                Ok(event) => {
                    let time = DateTime::from_secs(event.time.0.as_second());
                    entries.push(
                        PutEventsRequestEntry::builder()
                            .event_bus_name(&bus)
                            .source(event.source.as_str())
                            .detail_type(event.detail_type().as_str())
                            .detail(v["detail"].to_string())
                            .time(time)
                            .set_resources(Some(event.resources.clone()))
                            .build(),
                    );
                    labels.push(format!("{} ({})", f.display(), event.id));
                }
            }
        }
    }
    let client = aws_sdk_eventbridge::Client::new(&sdk().await);
    let put = EventBridgeBus {
        client,
        bus: bus.clone(),
    };
    let total = entries.len();
    match put.put_all(entries).await {
        Err(e) => {
            eprintln!("forewarn emit: {e}");
            ExitCode::FAILURE
        }
        Ok(failed) => {
            for (i, why) in &failed {
                eprintln!("{}: not accepted: {why}", labels[*i]);
            }
            println!(
                "{} of {total} events put on {bus}; {} failed; {invalid} rejected before sending",
                total - failed.len(),
                failed.len()
            );
            if failed.is_empty() && invalid == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `forewarn customers import [--dry-run] FILE`: validates every profile (listing each
/// fault), then merges each valid one under what forewarn knows (`forewarn_flows::import`):
/// its fields never replace a newer context event's, and dead devices, habits, STOP opt-outs
/// and unusable addresses stay. Prints per customer what changes and what is kept; with
/// `--dry-run` writes nothing.
pub async fn import(file: PathBuf, table: String, dry_run: bool) -> ExitCode {
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("forewarn customers import: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let parsed = match parse_customers(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let mut profiles: Vec<CustomerProfile> = Vec::new();
    let mut invalid = 0;
    for result in parsed {
        match result {
            Err(e) => {
                eprintln!("{}: customer {e}", file.display());
                invalid += 1;
            }
            Ok((profile, _)) => profiles.push(profile),
        }
    }
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let store = DynamoStore::new(client, &table);
    let bar = ProgressBar::new(profiles.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if dry_run {
        bar.finish_and_clear();
    }
    let mut removed = 0;
    for p in &profiles {
        let plan = match forewarn_flows::import::import(&store, p, dry_run).await {
            Ok(plan) => plan,
            Err(e) => {
                bar.abandon();
                eprintln!("forewarn customers import: customer {}: {e}", p.customer_id);
                return ExitCode::FAILURE;
            }
        };
        removed += plan.devices_removed.len() + usize::from(plan.phone_link_removed);
        bar.suspend(|| println!("{}", describe(&plan, dry_run)));
        bar.inc(1);
    }
    bar.finish_with_message("written");
    if dry_run {
        println!(
            "dry run: {} customers read, nothing written to {table}; {invalid} rejected",
            profiles.len()
        );
    } else {
        println!(
            "{} customers imported into {table}; {invalid} rejected; {removed} devices and phone links no longer in a profile removed",
            profiles.len()
        );
    }
    if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One customer's line: what changes (or would), and what forewarn learned that stays.
fn describe(plan: &forewarn_flows::import::ImportPlan, dry_run: bool) -> String {
    let (set, add, remove) = if dry_run {
        ("would set", "would write devices", "would remove devices")
    } else {
        ("set", "wrote devices", "removed devices")
    };
    let mut parts = Vec::new();
    if !plan.fields_set.is_empty() {
        let fields: Vec<&str> = plan.fields_set.iter().map(|f| f.as_str()).collect();
        parts.push(format!("{set} {}", fields.join(", ")));
    } else if plan.profile.is_some() {
        parts.push(format!("{set} the profile"));
    }
    if !plan.devices_written.is_empty() {
        let ids: Vec<&str> = plan.devices_written.iter().map(|d| d.device_id.as_str()).collect();
        parts.push(format!("{add} {}", ids.join(", ")));
    }
    if !plan.devices_removed.is_empty() {
        let ids: Vec<&str> = plan.devices_removed.iter().map(|d| d.as_str()).collect();
        parts.push(format!("{remove} {}", ids.join(", ")));
    }
    if parts.is_empty() {
        parts.push("nothing to change".into());
    }
    let mut line = format!("customer {}: {}", plan.customer_id, parts.join("; "));
    if !plan.kept.is_empty() {
        line.push_str(&format!("; kept: {}", plan.kept.join("; ")));
    }
    line
}

/// `forewarn explain --customer ID [--event ID]`: reads the customer's partition (nothing is
/// written) and prints what was decided, what is pending and why, in their local time.
pub async fn explain(customer: String, event: Option<String>, table: String, format: Format) -> ExitCode {
    let report = match explain_report(customer, event, &table).await {
        Ok(r) => r,
        Err((code, why)) => {
            eprintln!("forewarn explain: {why}");
            return code;
        }
    };
    let mut out = std::io::stdout().lock();
    let written = match format {
        Format::Text => explain::write(&mut out, &report),
        Format::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out)),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("forewarn explain: writing the report: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The report, or the exit code (2 for bad input, 1 for a failed read) and why.
async fn explain_report(
    customer: String,
    event: Option<String>,
    table: &str,
) -> Result<explain::Report, (ExitCode, String)> {
    let bad = |e: ExplainError| (ExitCode::from(2), e.to_string());
    if table.trim().is_empty() {
        return Err((
            ExitCode::from(2),
            "--table: empty; give the table name or set FOREWARN_TABLE".into(),
        ));
    }
    let id = Id::parse(customer.clone()).map_err(|why| bad(ExplainError::BadCustomerId(customer, why)))?;
    let event = match event {
        Some(e) => Some(Id::parse(e.clone()).map_err(|why| bad(ExplainError::BadEventId(e, why)))?),
        None => None,
    };
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk().await), table);
    let record = store.customer_record(&id).await.map_err(|e| {
        if matches!(&e, FlowError::Port { message, .. } if message.starts_with("ResourceNotFoundException")) {
            (ExitCode::from(2), format!("--table {table}: no such table ({e})"))
        } else {
            (
                ExitCode::FAILURE,
                format!("reading customer {id} from table {table}: {e}"),
            )
        }
    })?;
    explain::report(&id, &record, event.as_ref(), jiff::Timestamp::now())
        .map_err(|e| (ExitCode::from(2), format!("{e} (table {table})")))
}
