//! `forewarn explain` end to end, after real functions decided: reasons, pending rows in local time, masked addresses.

use forewarn_core::customer::{mask_email, mask_phone};
use forewarn_core::policy::DeliveryStatus;
use forewarn_e2e::runtime::binary;
use forewarn_e2e::{TestCustomer, function, sample, stack, unique};
use forewarn_flows::records::StoredDelivery;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

const NAME: &str = "Zélia Quintas";

/// Runs the built `forewarn` binary with the stack's environment, minus `drop`, plus `args`.
fn forewarn_cli(args: &[&str], drop: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(binary("forewarn"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in stack().function_env() {
        if !drop.contains(&k.as_str()) {
            cmd.env(k, v);
        }
    }
    cmd.output().expect("run forewarn")
}

/// The output of a run that must succeed.
fn explain(args: &[&str]) -> String {
    let out = forewarn_cli(args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A named customer whose quiet hours run from an hour ago to three hours ahead (Lisbon), so a
/// low-balance notice for them is held for later.
async fn customer_in_quiet_hours() -> TestCustomer {
    let now = Timestamp::now().to_zoned(TimeZone::get("Europe/Lisbon").unwrap());
    let at = |h: i64| {
        (now.clone() + jiff::SignedDuration::from_hours(h))
            .strftime("%H:00")
            .to_string()
    };
    TestCustomer::seed(
        "explain",
        json!({"name": NAME, "quiet_hours": {"start": at(-1), "end": at(3)}}),
    )
    .await
}

fn lisbon(t: Timestamp, format: &str) -> String {
    t.to_zoned(TimeZone::get("Europe/Lisbon").unwrap())
        .strftime(format)
        .to_string()
}

/// What must never be shown: the contacts in the clear, the name, the merchant, and the text
/// of every message the providers received.
async fn secrets(c: &TestCustomer) -> Vec<String> {
    let mut secrets = vec![
        c.phone.clone(),
        c.phone[1..].to_owned(),
        c.email.clone(),
        c.endpoint.clone(),
        NAME.to_owned(),
        "Zélia".to_owned(),
        "Electro Mundo".to_owned(),
    ];
    secrets.extend(stack().wait_sms_to(&c.phone, 1).await);
    for p in stack().wait_pushes_to(&c.endpoint, 1).await {
        secrets.push(p["default"].as_str().unwrap_or_default().to_owned());
    }
    secrets.retain(|s| s.chars().count() >= 5);
    secrets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_the_decisions_the_pending_rows_in_local_time_and_masked_destinations_only() {
    let c = customer_in_quiet_hours().await;
    let (lb, st) = (format!("lb-{}", c.id), format!("st-{}", c.id));
    let held = function("low-balance")
        .await
        .invoke(sample("low-balance.json", &lb, &c.id))
        .await
        .ok();
    assert_eq!(
        (held["outcome"].as_str(), held["scheduled"].as_u64()),
        (Some("scheduled"), Some(1)),
        "{held}"
    );
    let fraud = function("suspicious-transaction")
        .await
        .invoke(sample("suspicious-transaction.json", &st, &c.id))
        .await
        .ok();
    assert_eq!(fraud["outcome"], "send_now", "{fraud}");
    let settled = |rows: &Vec<StoredDelivery>| {
        rows.iter()
            .any(|r| r.record.event_id.as_str() == lb && r.record.is_pending())
            && rows
                .iter()
                .any(|r| r.record.event_id.as_str() == st && r.record.status == DeliveryStatus::Sent)
    };
    let rows = stack()
        .wait_deliveries(&c.id, "a held notice and a sent alert", settled)
        .await;
    let pending = rows
        .iter()
        .find(|r| r.record.event_id.as_str() == lb)
        .expect("the held low-balance row");

    let text = explain(&["explain", "--customer", &c.id]);
    for needle in [
        format!("customer {} · en-GB · now", c.id),
        "time zone    Europe/Lisbon (time zone Europe/Lisbon from the profile)".into(),
        "(profile): quiet now, until".into(),
        "decisions (2, newest first)".into(),
        format!("SuspiciousTransaction {st} → send_now"),
        format!("LowBalance {lb} → scheduled"),
        format!(
            "{}  {}{} to ",
            lisbon(pending.record.send_at, "%a %d %b %H:%M"),
            pending.record.channel,
            pending.device_id.as_ref().map(|d| format!(" {d}")).unwrap_or_default()
        ),
        "· scheduled, in ".into(),
        format!("· {lb} (LowBalance)"),
        format!("sms to {} · sent · {st} (SuspiciousTransaction)", mask_phone(&c.phone)),
        format!(
            "contacts     sms {} · email {}",
            mask_phone(&c.phone),
            mask_email(&c.email)
        ),
        format!("reminder of {st}"),
    ] {
        assert!(text.contains(&needle), "{needle:?} is missing from:\n{text}");
    }
    for reason in held["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .chain(fraud["reasons"].as_array().unwrap())
    {
        let reason = format!("· {}", reason.as_str().unwrap());
        assert!(text.contains(&reason), "{reason:?} is missing from:\n{text}");
    }

    let json = explain(&["explain", "--customer", &c.id, "--format", "json"]);
    let report: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(report["state"]["time_zone"], "Europe/Lisbon", "{report:#}");
    assert_eq!(report["state"]["quiet_now"], true, "{report:#}");
    let decisions = report["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2, "{report:#}");
    assert_eq!(decisions[0]["event_id"], st.as_str(), "newest first: {report:#}");
    assert_eq!(decisions[1]["reasons"], held["reasons"], "{report:#}");
    let held_row = report["pending"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["event_id"] == lb.as_str())
        .unwrap_or_else(|| panic!("the held notice is pending: {report:#}"));
    assert_eq!(
        held_row["send_at"],
        lisbon(pending.record.send_at, "%Y-%m-%dT%H:%M:%S%:z"),
        "{report:#}"
    );
    assert!(
        held_row["to"]
            .as_str()
            .is_some_and(|to| to.contains('*') || to.starts_with("endpoint/…")),
        "{report:#}"
    );

    let one = explain(&["explain", "--customer", &c.id, "--event", &st, "--format", "json"]);
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["decisions"].as_array().unwrap().len(), 1, "{one:#}");
    let rows = one["deliveries"].as_array().unwrap();
    assert!(
        rows.len() >= 2 && rows.iter().all(|d| d["event_id"] == st.as_str()),
        "{one:#}"
    );

    for secret in secrets(&c).await {
        for (what, out) in [("text", &text), ("JSON", &json)] {
            assert!(!out.contains(&secret), "{secret:?} is in the {what} output:\n{out}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_names_the_option_at_fault_for_an_unknown_customer_or_event_and_a_missing_table() {
    let c = TestCustomer::seed("explain", json!({})).await;
    let failed = |args: &[&str], drop: &[&str]| {
        let out = forewarn_cli(args, drop);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let nobody = format!("nobody-{}", unique());
    let stderr = failed(&["explain", "--customer", &nobody], &[]);
    assert!(
        stderr.contains(&format!("--customer {nobody}: no such customer")),
        "{stderr}"
    );
    let stderr = failed(&["explain", "--customer", &c.id, "--event", "never-1"], &[]);
    assert!(stderr.contains("--event never-1: customer"), "{stderr}");
    let stderr = failed(&["explain", "--customer", &c.id], &["FOREWARN_TABLE"]);
    assert!(stderr.contains("--table"), "{stderr}");
    let stderr = failed(&["explain", "--customer", &c.id, "--table", "no-such-table"], &[]);
    assert!(stderr.contains("--table no-such-table: no such table"), "{stderr}");
    let stderr = failed(&["explain", "--customer", " "], &[]);
    assert!(stderr.contains("--customer \" \""), "{stderr}");
}
