//! Preferences end to end, through the real binaries on the local stack: a customer who turned
//! off a reminder kind by a `CustomerChanged` through the `context` function gets no such
//! notice but still gets a fraud alert, and a malformed choice is rejected naming the field.

use forewarn_e2e::{function, function_with_apns, keys, sample, stack, unique};
use serde_json::{Value, json};

fn event(id: &str, detail_type: &str, changed_at: &str, mut detail: Value) -> Value {
    detail["changed_at"] = json!(changed_at);
    json!({"version": "0", "id": id, "detail-type": detail_type, "source": "com.example.bank.crm",
        "account": "123456789012", "time": jiff::Timestamp::now().to_string(), "region": "eu-west-1",
        "resources": [], "detail": detail})
}

/// A customer reachable by SMS and email at any hour (no quiet hours).
fn upsert(customer: &str, n: u32) -> Value {
    event(
        &format!("up-{customer}"),
        "CustomerUpserted",
        "2026-11-20T09:00:00Z",
        json!({"customer_id": customer, "profile": {"name": "Sam Example", "locale": "en-GB",
            "time_zone": "Europe/Lisbon", "quiet_hours": {"start": "00:00", "end": "00:00"},
            "contacts": {"email": format!("sam{n}@example.com"), "phone": format!("+35191{n:07}")}}}),
    )
}

fn reasons(r: &Value) -> Vec<String> {
    r["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_turned_off_a_reminder_kind_gets_none_but_still_gets_a_fraud_alert() {
    let n = unique();
    let c = format!("prefs-{n}");
    let context = function_with_apns("context").await;
    assert_eq!(context.invoke(upsert(&c, n)).await.ok()["outcome"], "recorded");
    let change = event(
        &format!("mute-{c}"),
        "CustomerChanged",
        "2026-11-21T09:00:00Z",
        json!({"customer_id": c, "set": {"muted_kinds": ["ApplicationIncomplete"], "muted_categories": ["security"]}}),
    );
    let r = context.invoke(change).await.ok();
    assert_eq!(r["outcome"], "recorded", "{r}");

    let application = function("incomplete-application").await;
    let r = application
        .invoke(sample("application-incomplete.json", &format!("ai-{c}"), &c))
        .await
        .ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("suppressed"), Some(0)),
        "{r}"
    );
    assert_eq!(
        reasons(&r).last().map(String::as_str),
        Some("the customer turned off ApplicationIncomplete reminders"),
        "{r}"
    );
    assert!(
        stack().rows(&c).await.iter().all(|(sk, _)| !keys::is_delivery(sk)),
        "no delivery row for the muted notice"
    );

    let fraud = function("suspicious-transaction").await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{c}"), &c))
        .await
        .ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    assert!(r["sent"].as_u64().unwrap_or(0) >= 1, "{r}");
    let stays =
        "SuspiciousTransaction is a critical alert: it stays on although the customer turned off the security category";
    assert!(reasons(&r).iter().any(|x| x == stays), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_changed_muting_a_kind_the_catalog_lacks_is_rejected_naming_the_field() {
    let context = function_with_apns("context").await;
    let bad = event(
        "bad-mute",
        "CustomerChanged",
        "2026-11-20T09:00:00Z",
        json!({"customer_id": "c-x", "set": {"muted_kinds": ["Horoscope"]}}),
    );
    let message = context.invoke(bad).await.rejected();
    assert!(message.contains("detail.set.muted_kinds[0]"), "{message}");
    assert!(message.contains("not a kind of the catalog"), "{message}");
}
