//! End to end: the real function binaries, through the Runtime API harness, against DynamoDB
//! Local and moto. Each test uses customers of its own, so tests run side by side.

use forewarn_core::customer::Channel;
use forewarn_e2e::keys;
use forewarn_e2e::runtime::binary;
use forewarn_e2e::{TestCustomer, function, sample, stack, unique, wait_outcomes};
use serde_json::{Value, json};

async fn customer(patch: Value) -> TestCustomer {
    TestCustomer::seed("e2e", patch).await
}

/// A customer whose quiet hours run from an hour ago to three hours ahead, so normal and low
/// messages wait for their end (`HH:00` Lisbon, returned too).
async fn customer_in_quiet_hours() -> (TestCustomer, String) {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap());
    let start = (now.clone() - jiff::SignedDuration::from_hours(1))
        .strftime("%H:00")
        .to_string();
    let end = (now + jiff::SignedDuration::from_hours(3))
        .strftime("%H:00")
        .to_string();
    (
        customer(json!({"quiet_hours": {"start": start, "end": end}})).await,
        end,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sample_event_yields_exactly_the_expected_messages_and_rows() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let flight = function("flight-delay").await;
    let balance = function("low-balance").await;
    let application = function("incomplete-application").await;

    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    let sms = stack().wait_sms_to(&c.phone, 1).await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(
        sms[0].contains("Electro Mundo") && sms[0].contains("Madrid") && sms[0].contains("YES"),
        "{}",
        sms[0]
    );
    assert_eq!(
        stack().wait_pushes_to(&c.endpoint, 1).await.len(),
        1,
        "critical also goes by push"
    );

    let mut delayed = sample("flight-delayed.json", &format!("fd-{}", c.id), &c.id);
    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    delayed["detail"]["flight"]["scheduled_departure"] = json!(later(3));
    delayed["detail"]["flight"]["estimated_departure"] = json!(later(5));
    assert_eq!(flight.invoke(delayed).await.ok()["outcome"], "send_now");
    let pushes = stack().wait_pushes_to(&c.endpoint, 2).await;
    assert_eq!(pushes.len(), 2, "{pushes:?}");
    assert!(pushes.iter().any(|p| p.to_string().contains("TP1034")), "{pushes:?}");

    let mut low = sample("low-balance.json", &format!("lb-{}", c.id), &c.id);
    low["detail"]["upcoming_payment"]["due_at"] = json!(later(24 * 5));
    assert_eq!(balance.invoke(low).await.ok()["outcome"], "send_now");
    assert_eq!(
        stack().wait_pushes_to(&c.endpoint, 3).await.len(),
        3,
        "low balance goes by push first"
    );

    let mut app = sample("application-incomplete.json", &format!("ai-{}", c.id), &c.id);
    app["detail"]["expires_at"] = json!(later(24 * 10));
    assert_eq!(application.invoke(app).await.ok()["outcome"], "send_now");
    let emails = stack().wait_emails_to(&c.email, 1).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    let html = emails[0].1.replace("&#x2f;", "/");
    assert!(
        html.contains("https://bank.example/applications/app-3141/resume"),
        "{html}"
    );
    assert!(
        html.contains("comprovativo de rendimentos"),
        "the missing items: {html}"
    );

    // Every invocation has returned; its final log line says it wrote all it was going to.
    for f in [&fraud, &flight, &balance, &application] {
        f.settled_logs().await;
    }
    let rows = stack()
        .wait_rows(
            &c.id,
            "5 deliveries and a reminder (6 DELIVERY# items), 4 claims",
            |rows| {
                let items = |is: fn(&str) -> bool| rows.iter().filter(|(sk, _)| is(sk)).count();
                items(keys::is_delivery) >= 6 && items(keys::is_claim) >= 4
            },
        )
        .await;
    let (reminders, deliveries): (Vec<_>, Vec<_>) = rows
        .iter()
        .filter(|(sk, _)| keys::is_delivery(sk))
        .partition(|(sk, _)| keys::delivery(sk).is_some_and(|d| d.reminder));
    assert_eq!(deliveries.len(), 5, "sms + push, push, push, email: {rows:?}");
    assert!(
        deliveries.iter().all(|(_, st)| st.as_deref() == Some("sent")),
        "{rows:?}"
    );
    assert_eq!(
        reminders.iter().map(|(_, st)| st.as_deref()).collect::<Vec<_>>(),
        [Some("scheduled")],
        "the fraud question waits for an answer, with one reminder: {rows:?}"
    );
    assert_eq!(
        rows.iter().filter(|(sk, _)| keys::is_claim(sk)).count(),
        4,
        "one claim per event: {rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_twice_and_twice_concurrently_yields_one_message() {
    let c = customer(json!({})).await;
    let f = function("suspicious-transaction").await;
    let event = sample("suspicious-transaction.json", &format!("dup-{}", c.id), &c.id);
    assert_eq!(f.invoke(event.clone()).await.ok()["outcome"], "send_now");
    let again = f.invoke(event).await.ok();
    assert_eq!(again["duplicate"], true, "{again}");
    f.settled_logs().await;
    assert_eq!(stack().wait_sms_to(&c.phone, 1).await.len(), 1);

    let d = customer(json!({})).await;
    let (a, b) = (
        function("suspicious-transaction").await,
        function("suspicious-transaction").await,
    );
    let event = sample("suspicious-transaction.json", &format!("race-{}", d.id), &d.id);
    let (ra, rb) = tokio::join!(a.invoke(event.clone()), b.invoke(event));
    let results = [ra, rb];
    let sent = results
        .iter()
        .filter(|r| matches!(r, forewarn_e2e::runtime::Invocation::Ok(v) if v["sent"] != 0))
        .count();
    assert_eq!(sent, 1, "exactly one invocation sends: {results:?}");
    a.settled_logs().await;
    b.settled_logs().await;
    assert_eq!(stack().wait_sms_to(&d.phone, 1).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_delivery_is_scheduled_and_dispatch_sends_it_once() {
    let (c, end) = customer_in_quiet_hours().await;
    let f = function("low-balance").await;
    let event = sample("low-balance-restored-soon.json", &format!("lb-{}", c.id), &c.id);
    let r = f.invoke(event).await.ok();
    assert_eq!(r["outcome"], "scheduled", "{r}");
    f.settled_logs().await;
    assert!(stack().pushes_to(&c.endpoint).await.is_empty());
    let (_, expression, input) = &stack()
        .wait_schedule(&format!("a schedule for {}", c.id), |(_, _, input)| {
            input.contains(&c.id)
        })
        .await;
    assert!(
        expression.starts_with("at(") && expression.contains(&format!("T{end}:00")),
        "{expression}"
    );

    let dispatch = function("dispatch").await;
    let request: Value = serde_json::from_str(input).unwrap();
    assert_eq!(dispatch.invoke(request.clone()).await.ok()["sent"], 1);
    assert_eq!(
        dispatch.invoke(request).await.ok()["sent"],
        0,
        "a second dispatch sends nothing"
    );
    dispatch.settled_logs().await;
    assert_eq!(stack().wait_pushes_to(&c.endpoint, 1).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolving_event_cancels_the_pending_delivery_and_deletes_its_schedule() {
    let (c, _) = customer_in_quiet_hours().await;
    let low = function("low-balance").await;
    let resolve = function("resolve").await;
    let dispatch = function("dispatch").await;
    assert_eq!(
        low.invoke(sample("low-balance-restored-soon.json", &format!("lb-{}", c.id), &c.id))
            .await
            .ok()["outcome"],
        "scheduled"
    );
    let input = stack()
        .wait_schedule(&format!("a schedule for {}", c.id), |(_, _, i)| i.contains(&c.id))
        .await
        .2;

    let r = resolve
        .invoke(sample("balance-restored.json", &format!("br-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["cancelled"], 1, "{r}");
    stack()
        .wait_no_schedule("the schedule is deleted", |(_, _, i)| i.contains(&c.id))
        .await;
    let cancelled = |rows: &Vec<(String, Option<String>)>| {
        rows.iter()
            .any(|(sk, st)| keys::is_delivery(sk) && st.as_deref() == Some("cancelled"))
    };
    let rows = stack().wait_rows(&c.id, "a cancelled delivery", cancelled).await;
    assert!(cancelled(&rows), "{rows:?}");

    let request: Value = serde_json::from_str(&input).unwrap();
    assert_eq!(dispatch.invoke(request).await.ok()["sent"], 0);
    dispatch.settled_logs().await;
    assert!(stack().pushes_to(&c.endpoint).await.is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_event_is_rejected_to_its_producer_naming_the_field_and_is_not_retried() {
    let c = customer(json!({})).await;
    let f = function("flight-delay").await;
    let id = format!("bad-{}", c.id);
    let mut event = sample("flight-delayed.json", &id, &c.id);
    event["detail"]["flight"]["estimated_departure"] = json!("soon");
    let r = f.invoke(event).await.ok();
    assert_eq!(r["outcome"], "rejected", "{r}");
    let field = "detail.flight.estimated_departure";
    assert!(
        r["reasons"][0]
            .as_str()
            .unwrap()
            .contains(&format!("{field}: not an RFC 3339 time")),
        "{r}"
    );
    let rejected = |o: &Vec<Value>| o.iter().any(|e| e["detail-type"] == "EventRejected");
    let outcomes = forewarn_e2e::wait_outcomes(&c.id, "an EventRejected", rejected).await;
    let rejections: Vec<_> = outcomes
        .iter()
        .filter(|e| e["detail-type"] == "EventRejected")
        .collect();
    assert_eq!(rejections.len(), 1, "{outcomes:?}");
    let d = &rejections[0]["detail"];
    assert_eq!(
        (d["event_id"].as_str(), d["source_detail_type"].as_str()),
        (Some(id.as_str()), Some("FlightDelayed"))
    );
    assert_eq!(d["rejection"]["field"], field, "{d}");
    assert_eq!(d["rejection"]["source"], "com.example.airline.ops", "{d}");
    // The invocation's final line ("done") says it is over: nothing more will be written.
    f.settled_logs().await;
    let rows = stack().rows(&c.id).await;
    assert!(
        rows.iter().all(|(sk, _)| !keys::is_delivery(sk) && !keys::is_claim(sk)),
        "{rows:?}"
    );
    assert!(stack().pushes_to(&c.endpoint).await.is_empty() && stack().sms_to(&c.phone).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_a_disabled_endpoint_fails_over_to_the_next_channel() {
    let c = customer(json!({"channel_preferences": {"travel": ["push", "sms"]}})).await;
    stack().disable_endpoint(&c.endpoint).await;
    let f = function("flight-delay").await;
    let mut event = sample("flight-delayed.json", &format!("fo-{}", c.id), &c.id);
    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    event["detail"]["flight"]["scheduled_departure"] = json!(later(3));
    event["detail"]["flight"]["estimated_departure"] = json!(later(5));
    let r = f.invoke(event).await.ok();
    assert_eq!(r["sent"], 1, "{r}");
    f.settled_logs().await;
    let sms = stack().wait_sms_to(&c.phone, 1).await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0].contains("TP1034"), "{}", sms[0]);
    let has = |rows: &Vec<(String, Option<String>)>, channel: Channel, status: &str| {
        rows.iter()
            .any(|(sk, st)| keys::delivery(sk).is_some_and(|d| d.channel == channel) && st.as_deref() == Some(status))
    };
    let rows = stack()
        .wait_rows(&c.id, "a failed push and a sent SMS", |rows| {
            has(rows, Channel::Push, "failed") && has(rows, Channel::Sms, "sent")
        })
        .await;
    assert!(has(&rows, Channel::Push, "failed"), "{rows:?}");
    assert!(has(&rows, Channel::Sms, "sent"), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_now_event_reads_dynamodb_once_and_writes_before_and_after_sending() {
    let c = customer(json!({})).await;
    let f = function("flight-delay").await;
    let mut event = sample("flight-delayed.json", &format!("rt-{}", c.id), &c.id);
    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    event["detail"]["flight"]["scheduled_departure"] = json!(later(3));
    event["detail"]["flight"]["estimated_departure"] = json!(later(5));
    let r = f.invoke(event).await.ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    let requests = &r["requests"];
    assert_eq!(requests["DynamoDB.Query"], 1, "{requests}");
    assert_eq!(
        requests["DynamoDB.TransactWriteItems"], 2,
        "claim before the send, result after: {requests}"
    );
    assert_eq!(
        requests["DynamoDB.UpdateItem"], 2,
        "the row taken under a send lease, then settled: {requests}"
    );
    assert_eq!(requests["SNS.Publish"], 1, "{requests}");
    assert_eq!(requests["EventBridge.PutEvents"], 1, "{requests}");
    let total: u64 = requests
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 7, "nothing else: {requests}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_customer_is_a_recorded_suppression_not_an_error() {
    let f = function("low-balance").await;
    let id = format!("nobody-{}", unique());
    let r = f
        .invoke(sample("low-balance.json", &format!("lb-{id}"), &id))
        .await
        .ok();
    assert_eq!(r["outcome"], "suppressed", "{r}");
    f.settled_logs().await;
    let rows = stack().wait_rows(&id, "the claim", |rows| !rows.is_empty()).await;
    assert_eq!(rows.len(), 1, "the claim records the outcome: {rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_hold_a_phone_number_an_address_or_a_message_body() {
    let c = customer(json!({})).await;
    let f = function("suspicious-transaction").await;
    f.invoke(sample("suspicious-transaction.json", &format!("log-{}", c.id), &c.id))
        .await
        .ok();
    let logs = f.settled_logs().await;
    assert!(logs.contains("done"), "the function logged its outcome: {logs}");
    for secret in [c.phone.as_str(), c.email.as_str(), "Electro Mundo"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcome_events_reach_the_bus_match_their_schemas_and_carry_no_personal_data() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("oc-{}", c.id), &c.id))
        .await
        .ok();
    let events = wait_outcomes(&c.id, "3 outcome events", |e| e.len() >= 3).await;
    let mut kinds: Vec<&str> = events.iter().map(|e| e["detail-type"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["NotificationScheduled", "NotificationSent", "NotificationSent"],
        "sms and push, and the reminder: {events:?}"
    );
    for e in &events {
        assert_eq!(e["source"], "forewarn");
        let file = format!("events/schemas/{}.json", e["detail-type"].as_str().unwrap());
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(forewarn_e2e::root().join(file)).unwrap()).unwrap();
        let mut envelope = e.clone();
        // moto's delivery to SQS leaves out `account`, which EventBridge always sets.
        if envelope.get("account").is_none() {
            envelope["account"] = json!("123456789012");
        }
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(&envelope).map(|x| x.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}: {e}");
        let text = e.to_string();
        for secret in [c.phone.as_str(), c.email.as_str(), "Electro Mundo", "Reply YES"] {
            assert!(!text.contains(secret), "{secret} leaked into an outcome event: {text}");
        }
        if e["detail-type"] == "NotificationSent" {
            assert!(
                e["detail"]["provider_message_id"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{e}"
            );
        }
    }
    let sms = events
        .iter()
        .find(|e| e["detail"]["channel"] == "sms")
        .expect("an sms outcome");
    assert!(sms["detail"]["to"].as_str().unwrap().contains("*****"), "{sms}");
}

fn forewarn_cli(args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(binary("forewarn"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in stack().function_env() {
        cmd.env(k, v);
    }
    cmd.output().expect("run forewarn")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_imported_again_loses_the_devices_and_the_phone_link_the_bank_removed() {
    let id = format!("imp-{}", unique());
    let file = std::env::temp_dir().join(format!("{id}.json"));
    let import = |profile: serde_json::Value| {
        std::fs::write(&file, serde_json::json!([profile]).to_string()).unwrap();
        let out = forewarn_cli(&["customers", "import", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let device = |d: &str| {
        serde_json::json!({"device_id": d, "kind": "phone",
        "push_endpoint": format!("arn:aws:sns:eu-west-1:1:endpoint/APNS/app/{d}")})
    };
    import(
        serde_json::json!({"customer_id": id, "contacts": {"phone": "+351912000001"},
        "devices": [device("keep"), device("gone")]}),
    );
    let both = |rows: &Vec<(String, Option<String>)>| {
        rows.iter().any(|(sk, _)| keys::is_device(sk, Some("keep")))
            && rows.iter().any(|(sk, _)| keys::is_device(sk, Some("gone")))
    };
    stack().wait_rows(&id, "both devices", both).await;
    let linked = stack().partition_rows(&keys::phone_pk("+351912000001")).await;
    assert!(linked.iter().any(|(sk, _)| keys::is_phone_link(sk, &id)), "{linked:?}");

    let stdout = import(
        serde_json::json!({"customer_id": id, "contacts": {"phone": "+351912000002"},
        "devices": [device("keep")]}),
    );
    assert!(
        stdout.contains("2 devices and phone links no longer in a profile removed"),
        "{stdout}"
    );
    let one = |rows: &Vec<(String, Option<String>)>| {
        rows.iter().any(|(sk, _)| keys::is_device(sk, Some("keep")))
            && !rows.iter().any(|(sk, _)| keys::is_device(sk, Some("gone")))
    };
    let rows = stack()
        .wait_rows(&id, "only the device still in the profile", one)
        .await;
    assert!(one(&rows), "{rows:?}");
    let old = stack().partition_rows(&keys::phone_pk("+351912000001")).await;
    assert!(!old.iter().any(|(sk, _)| keys::is_phone_link(sk, &id)), "{old:?}");
    let new = stack().partition_rows(&keys::phone_pk("+351912000002")).await;
    assert!(new.iter().any(|(sk, _)| keys::is_phone_link(sk, &id)), "{new:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_import_customers_and_emit_the_samples_with_the_cli() {
    let seed = forewarn_e2e::root().join("infra/seed/customers.json");
    let out = forewarn_cli(&["customers", "import", seed.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seeded: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&seed).unwrap()).unwrap();
    let imported_line = format!("{} customers imported", seeded.len());
    assert!(stdout.contains(&imported_line), "{stdout}");
    let imported = |rows: &Vec<(String, Option<String>)>| {
        rows.iter().any(|(sk, _)| keys::is_profile(sk)) && rows.iter().any(|(sk, _)| keys::is_device(sk, Some("d1")))
    };
    let rows = stack().wait_rows("c-1001", "the profile and a device", imported).await;
    assert!(imported(&rows), "{rows:?}");

    let bad = std::env::temp_dir().join(format!("bad-customers-{}.json", unique()));
    std::fs::write(
        &bad,
        r#"[{"customer_id": "ok-1"}, {"customer_id": "bad-1", "time_zone": "Mars/Base"}]"#,
    )
    .unwrap();
    let out = forewarn_cli(&["customers", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(bad-1).time_zone") && stderr.contains("not an IANA time zone"),
        "{stderr}"
    );

    let events = forewarn_e2e::root().join("events");
    let out = forewarn_cli(&["emit", events.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: usize = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(
            |p| match serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() {
                Value::Array(items) => items.len(),
                _ => 1,
            },
        )
        .sum();
    assert!(stdout.contains(&format!("{n} of {n} events put")), "{stdout}");

    let out = forewarn_cli(&[
        "emit",
        forewarn_e2e::root().join("tests/fixtures/bad").to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "a rejected event fails the command");
    assert!(String::from_utf8_lossy(&out.stderr).contains("detail.flight.estimated_departure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_balance_delivered_after_its_balance_restored_is_not_sent() {
    let c = customer(json!({})).await;
    let resolve = function("resolve").await;
    let notify = function("low-balance").await;
    let now = jiff::Timestamp::now();
    let mut restored = sample("balance-restored.json", &format!("br-{}", c.id), &c.id);
    restored["detail"]["account_id"] = json!("PT50-0001");
    restored["time"] = json!(now.to_string());
    let r = resolve.invoke(restored).await.ok();
    assert_eq!(r["outcome"], "resolved", "{r}");
    let mut low = sample("low-balance.json", &format!("lb-{}", c.id), &c.id);
    low["time"] = json!((now - jiff::SignedDuration::from_secs(60)).to_string());
    let r = notify.invoke(low).await.ok();
    assert_eq!(r["outcome"], "suppressed", "{r}");
    assert!(
        r["reasons"][0].as_str().is_some_and(|x| x.contains("already resolved")),
        "{r}"
    );
    let outcomes = wait_outcomes(&c.id, "the suppression", |o| !o.is_empty()).await;
    let kinds: Vec<_> = outcomes
        .iter()
        .map(|o| o["detail-type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["NotificationSuppressed"], "{outcomes:?}");
    notify.settled_logs().await;
    assert!(stack().pushes_to(&c.endpoint).await.is_empty());
}
