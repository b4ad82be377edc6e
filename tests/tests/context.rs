//! The context function end to end, through the real binaries on the local stack: a device
//! registered by its token gets a push, a refreshed token replaces the endpoint, an erased
//! customer leaves nothing but the erasure's marker, and malformed input is rejected naming the field.

use forewarn_aws::dynamo::DynamoStore;
use forewarn_e2e::runtime::binary;
use forewarn_e2e::{DEADLINE, function, function_with_apns, sample, stack, unique, wait_until};
use forewarn_flows::ports::Partitions;
use serde_json::{Value, json};

fn event(id: &str, detail_type: &str, changed_at: &str, mut detail: Value) -> Value {
    detail["changed_at"] = json!(changed_at);
    json!({"version": "0", "id": id, "detail-type": detail_type, "source": "com.example.bank.crm",
        "account": "123456789012", "time": jiff::Timestamp::now().to_string(), "region": "eu-west-1",
        "resources": [], "detail": detail})
}

fn upsert(customer: &str, n: u32, quiet: Value) -> Value {
    event(
        &format!("up-{customer}"),
        "CustomerUpserted",
        "2026-11-20T09:00:00Z",
        json!({"customer_id": customer, "profile": {"name": "Sam Example", "locale": "en-GB",
            "time_zone": "Europe/Lisbon", "quiet_hours": quiet,
            "contacts": {"email": format!("sam{n}@example.com"), "phone": format!("+35191{n:07}")}}}),
    )
}

fn register(id: &str, customer: &str, token: &str, changed_at: &str) -> Value {
    event(
        id,
        "DeviceRegistered",
        changed_at,
        json!({"customer_id": customer, "device_id": "phone", "token": token, "platform": "apns",
            "kind": "phone", "app": "com.example.bank"}),
    )
}

/// The push endpoint of the customer's one device, as notify reads it.
async fn endpoint_of(customer: &str) -> Option<String> {
    let store = DynamoStore::new(stack().dynamodb().await, &stack().table);
    let id = forewarn_core::types::Id::parse(customer).unwrap();
    let part = store.load(&id, None).await.expect("the partition");
    part.profile?.devices.first()?.push_endpoint.clone()
}

/// moto's platform endpoints: (ARN, token, enabled).
async fn endpoints() -> Vec<(String, String, String)> {
    let data = stack().moto_data().await;
    data["sns"]["PlatformEndpoint"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let attr = |k: &str| match &e["attributes"][k] {
                Value::String(s) => s.to_lowercase(),
                other => other.to_string(),
            };
            (
                e["arn"].as_str().unwrap_or_default().to_owned(),
                attr("Token"),
                attr("Enabled"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_registered_by_token_receives_a_push_and_a_refreshed_token_replaces_its_endpoint() {
    let n = unique();
    let c = format!("ctx-{n}");
    let (t1, t2) = (format!("{n:08}aaaa0001"), format!("{n:08}aaaa0002"));
    let context = function_with_apns("context").await;
    let balance = function("low-balance").await;
    assert_eq!(
        context
            .invoke(upsert(&c, n, json!({"start": "00:00", "end": "00:00"})))
            .await
            .ok()["outcome"],
        "recorded"
    );
    let r = context
        .invoke(register(&format!("reg1-{c}"), &c, &t1, "2026-11-20T09:05:00Z"))
        .await
        .ok();
    assert_eq!(r["outcome"], "recorded", "{r}");
    let e1 = endpoint_of(&c).await.expect("an endpoint for the device");
    let all = endpoints().await;
    assert!(
        all.iter().any(|(arn, t, on)| arn == &e1 && t == &t1 && on == "true"),
        "{all:?}"
    );

    let r = balance
        .invoke(sample("low-balance.json", &format!("lb-{c}"), &c))
        .await
        .ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("send_now"), Some(1)),
        "{r}"
    );
    assert_eq!(stack().wait_pushes_to(&e1, 1).await.len(), 1);

    let again = context
        .invoke(register(&format!("reg1-{c}"), &c, &t1, "2026-11-20T09:05:00Z"))
        .await
        .ok();
    assert_eq!(again["duplicate"], true, "{again}");
    let r = context
        .invoke(register(&format!("reg2-{c}"), &c, &t2, "2026-11-21T09:05:00Z"))
        .await
        .ok();
    assert_eq!(r["outcome"], "recorded", "{r}");
    let e2 = endpoint_of(&c).await.expect("the refreshed endpoint");
    assert_ne!(e1, e2);
    let all = endpoints().await;
    assert!(
        all.iter().any(|(arn, t, on)| arn == &e2 && t == &t2 && on == "true"),
        "{all:?}"
    );
    // moto's data.json keeps every model it ever made: SNS itself says the endpoint is gone.
    let sns = aws_sdk_sns::Client::new(&stack().sdk().await);
    let gone = sns.get_endpoint_attributes().endpoint_arn(&e1).send().await;
    assert!(gone.is_err(), "the old endpoint is deleted: {gone:?}");
    let old = context
        .invoke(register(&format!("reg0-{c}"), &c, &t1, "2026-11-19T09:05:00Z"))
        .await
        .ok();
    assert_eq!(
        old["outcome"], "suppressed",
        "an older registration changes nothing: {old}"
    );
    assert_eq!(endpoint_of(&c).await.as_deref(), Some(e2.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customer_leaves_no_profile_contact_device_pending_row_or_schedule() {
    let n = unique();
    let c = format!("ctx-{n}");
    let context = function_with_apns("context").await;
    let balance = function("low-balance").await;
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap());
    let hour = |h: i64| {
        (now.clone() + jiff::SignedDuration::from_hours(h))
            .strftime("%H:00")
            .to_string()
    };
    context
        .invoke(upsert(&c, n, json!({"start": hour(-1), "end": hour(3)})))
        .await
        .ok();
    context
        .invoke(register(
            &format!("reg-{c}"),
            &c,
            &format!("{n:08}bbbb0001"),
            "2026-11-20T09:05:00Z",
        ))
        .await
        .ok();
    let r = balance
        .invoke(sample("low-balance-restored-soon.json", &format!("lb-{c}"), &c))
        .await
        .ok();
    assert_eq!(r["outcome"], "scheduled", "{r}");
    stack()
        .wait_schedule(&format!("a schedule for {c}"), |(_, _, i)| i.contains(&c))
        .await;

    let erase = event(
        &format!("erase-{c}"),
        "CustomerErased",
        "2026-11-25T06:00:00Z",
        json!({"customer_id": c, "reference": "DSR-1"}),
    );
    let r = context.invoke(erase.clone()).await.ok();
    assert_eq!(r["outcome"], "recorded", "{r}");
    stack()
        .wait_no_schedule("the erased customer's schedule is deleted", |(_, _, i)| i.contains(&c))
        .await;
    let rows = stack().rows(&c).await;
    assert_eq!(
        rows.iter().map(|(sk, _)| sk.as_str()).collect::<Vec<_>>(),
        ["ERASED"],
        "{rows:?}"
    );
    let phone = stack().partition_rows(&format!("PHONE#+35191{n:07}")).await;
    assert!(phone.is_empty(), "the phone number's link is gone: {phone:?}");
    let reasons = r["reasons"].to_string();
    assert!(reasons.contains("kept: the erasure marker"), "{reasons}");
    assert!(
        !reasons.contains("@example.com") && !reasons.contains("+35191"),
        "no contact in the outcome: {reasons}"
    );

    let mut cmd = std::process::Command::new(binary("forewarn"));
    cmd.args(["explain", "--customer", &c, "--table", &stack().table])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in stack().function_env() {
        cmd.env(k, v);
    }
    let explained = String::from_utf8_lossy(&cmd.output().expect("run forewarn explain").stderr).into_owned();
    assert!(
        explained.contains("erased as of 2026-11-25T06:00:00Z") && explained.contains("reference DSR-1"),
        "explain shows what was kept: {explained}"
    );
    assert!(
        explained.contains("delivery ×") && !explained.contains("@example.com"),
        "{explained}"
    );

    let late = context
        .invoke(upsert(&c, n, json!({"start": "00:00", "end": "00:00"})))
        .await
        .ok();
    assert_eq!(
        late["outcome"], "suppressed",
        "an older upsert does not bring them back: {late}"
    );
    assert_eq!(stack().rows(&c).await.len(), 1);
    assert_eq!(context.invoke(erase).await.ok()["duplicate"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_context_events_are_rejected_naming_the_field() {
    let context = function_with_apns("context").await;
    let cases = [
        (
            event(
                "bad-1",
                "CustomerChanged",
                "2026-11-20T09:00:00Z",
                json!({"customer_id": "c-x", "set": {"contacts": {"phone": "12345"}}}),
            ),
            "detail.set.contacts.phone",
        ),
        (
            event(
                "bad-2",
                "DeviceRegistered",
                "2026-11-20T09:00:00Z",
                json!({"customer_id": "c-x", "device_id": "d",
                "token": "a token", "platform": "apns", "kind": "phone", "app": "com.example.bank"}),
            ),
            "detail.token",
        ),
        (
            event("bad-3", "CustomerErased", "not a time", json!({"customer_id": "c-x"})),
            "detail.changed_at",
        ),
        (sample("low-balance.json", "bad-4", "c-x"), "detail-type"),
    ];
    let mut ids = vec![];
    for (e, field) in cases {
        ids.push(e["id"].as_str().unwrap().to_owned());
        let r = context.invoke(e).await.ok();
        let message = r["reasons"][0].as_str().unwrap_or_default().to_owned();
        assert_eq!(r["outcome"], "rejected", "{r}");
        assert!(message.contains(field), "{field}: {message}");
        assert!(!message.contains("a token"), "{message}");
    }
    let all_rejected = |o: &Vec<Value>| {
        ids.iter().all(|id| {
            o.iter()
                .any(|e| e["detail-type"] == "EventRejected" && e["detail"]["event_id"] == *id)
        })
    };
    let outcomes = forewarn_e2e::wait_outcomes("c-x", "an EventRejected for each", all_rejected).await;
    assert!(
        outcomes.iter().all(|e| !e.to_string().contains("a token")),
        "no token in an EventRejected: {outcomes:?}"
    );
    let logs = wait_until(
        "the rejections are logged",
        DEADLINE,
        async || context.logs(),
        |l: &String| l.contains("detail.changed_at"),
    )
    .await;
    assert!(!logs.contains("a token"), "no token in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_an_imported_profile_keeps_its_devices_and_an_older_one_is_ignored() {
    let c = forewarn_e2e::TestCustomer::seed("ctxi", json!({})).await;
    let context = function_with_apns("context").await;
    let change = |id: &str, at: &str, zone: &str| {
        event(
            id,
            "CustomerChanged",
            at,
            json!({"customer_id": c.id, "set": {"time_zone": zone}}),
        )
    };
    let r = context
        .invoke(change(
            &format!("ch2-{}", c.id),
            "2026-11-21T09:00:00Z",
            "Europe/London",
        ))
        .await
        .ok();
    assert_eq!(r["outcome"], "recorded", "{r}");
    let r = context
        .invoke(change(&format!("ch1-{}", c.id), "2026-11-20T09:00:00Z", "Asia/Tokyo"))
        .await
        .ok();
    assert_eq!(r["outcome"], "suppressed", "{r}");
    let store = DynamoStore::new(stack().dynamodb().await, &stack().table);
    let id = forewarn_core::types::Id::parse(c.id.as_str()).unwrap();
    let profile = store.load(&id, None).await.unwrap().profile.expect("the profile");
    assert_eq!(profile.time_zone.as_deref(), Some("Europe/London"));
    assert_eq!(
        profile.contacts.email.as_deref(),
        Some(c.email.as_str()),
        "the other fields stay"
    );
    assert_eq!(profile.devices.len(), 2, "the imported devices stay");
}
