//! Privacy, end to end: every sample event through its function, a reply, a reminder, email
//! feedback and activity, then every log line and every event forewarn put on the bus is
//! searched for the customer's phone number, email address, push endpoint and the text of
//! every message the providers received.

use std::time::Duration;

use forewarn_e2e::runtime::{FunctionProcess, binary};
use forewarn_e2e::{
    DEADLINE, TestCustomer, function_for, inbound_sms, root, sample, stack, wait_for, wait_outcomes, wait_until,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_or_bus_event_of_a_full_run_holds_an_address_or_a_message_body() {
    let c = TestCustomer::seed("priv", json!({"name": "Zélia", "locale": "pt-PT"})).await;
    let (id, phone, email, endpoint) = (c.id.clone(), c.phone.clone(), c.email.clone(), c.endpoint.clone());

    let names = [
        "low-balance",
        "flight-delay",
        "incomplete-application",
        "suspicious-transaction",
        "notify",
        "resolve",
        "activity",
        "dispatch",
        "reply",
        "feedback",
    ];
    let mut procs = Vec::new();
    for name in names {
        let mut f = FunctionProcess::spawn(&binary(name), &stack().function_env()).await;
        f.init_time(Duration::from_secs(20)).await;
        procs.push((name, f));
    }
    let call = |name: &str| &procs.iter().find(|(n, _)| *n == name).unwrap().1;

    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    let mut files: Vec<_> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for (i, path) in files.iter().enumerate() {
        let file = path.file_name().unwrap().to_str().unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let Some(detail_type) = v.as_object().and_then(|o| o["detail-type"].as_str()) else {
            continue; // arrays of activity are covered by customer-activity.json
        };
        let Some(function) = function_for(detail_type) else {
            continue;
        };
        let mut e = sample(file, &format!("p{i}-{id}"), &id);
        if let Some(f) = e["detail"].get_mut("flight") {
            f["scheduled_departure"] = json!(later(3));
            f["estimated_departure"] = json!(later(5));
        }
        if e["detail"].get("expires_at").is_some() {
            e["detail"]["expires_at"] = json!(later(240));
        }
        if let Some(p) = e["detail"].get_mut("upcoming_payment") {
            p["due_at"] = json!(later(120));
        }
        if e["detail"].get("due_at").is_some() {
            e["detail"]["due_at"] = json!(later(120));
        }
        if e["detail"].get("at").is_some() {
            e["detail"]["at"] = json!(jiff::Timestamp::now().to_string());
        }
        // Bad input is part of a full run too: every outcome, even an error, is checked.
        let _ = call(function).invoke(e).await;
    }
    let (_, _, reminder) = stack()
        .wait_schedule("a reminder schedule", |(_, _, input)| {
            input.contains(&format!("\"customer_id\":\"{id}\"")) && input.contains("\"reminder\":true")
        })
        .await;
    let reminder: Value = serde_json::from_str(&reminder).unwrap();
    call("dispatch").invoke(reminder).await.ok();
    // An answer in words is not understood; then a plain SIM answers the question.
    for (body, n) in [("Sim, fui eu", 1), ("sim", 2)] {
        call("reply")
            .invoke(inbound_sms(&phone, body, &format!("in{n}-{id}")))
            .await
            .ok();
    }
    // The email the run sent bounces.
    let m = wait_for("the message id of an email the run sent", DEADLINE, async || {
        let all = stack().deliveries(&id).await;
        all.iter()
            .filter(|d| d.record.channel == forewarn_core::customer::Channel::Email)
            .find_map(|d| d.provider_message_id.clone())
            .ok_or(all)
    })
    .await;
    let bounce = json!({"version": "0", "id": format!("ses-{id}"), "detail-type": "Email Bounced", "source": "aws.ses",
        "account": "123456789012", "time": jiff::Timestamp::now().to_string(), "region": "eu-west-1", "resources": [],
        "detail": {"eventType": "Bounce", "mail": {"messageId": m, "destination": [email], "tags": {"fw-customer": [id]}},
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": email}]}}});
    call("feedback").invoke(bounce).await.ok();

    // Every invocation's final log line: the run is over, all it sent and logged is in.
    let mut logs = String::new();
    for (_, f) in &procs {
        logs.push_str(&f.settled_logs().await);
    }

    let secrets_now = async || {
        let mut secrets = vec![phone.clone(), email.clone(), endpoint.clone(), phone[1..].to_owned()];
        secrets.extend(stack().sms_to(&phone).await);
        for p in stack().pushes_to(&endpoint).await {
            secrets.push(p["default"].as_str().unwrap_or_default().to_owned());
        }
        for (subject, _) in stack().emails_to(&email).await {
            secrets.push(subject);
        }
        secrets.retain(|s| s.chars().count() >= 8);
        secrets
    };
    let what = "messages of every kind in moto's record";
    let secrets = wait_until(what, DEADLINE, secrets_now, |s| s.len() >= 8).await;
    assert!(secrets.len() >= 8, "the run sent messages of every kind: {secrets:?}");

    let events = wait_outcomes(&id, "the run's outcome events", |e| e.len() >= 10).await;
    assert!(
        events.len() >= 10,
        "the run put its outcome events on the bus: {events:?}"
    );
    let bus = serde_json::to_string(&events).unwrap();
    assert!(logs.lines().count() >= 20, "the functions logged: {logs}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "{secret:?} is in the logs:\n{logs}");
        assert!(
            !bus.contains(secret.as_str()),
            "{secret:?} is in an event on the bus:\n{bus}"
        );
    }
}

/// A fault-proxy answer whose message names `who`, as some provider errors do.
fn naming(status: u16, body: String) -> forewarn_e2e::faults::Fault {
    forewarn_e2e::faults::Fault::Respond { status, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_that_names_the_recipient_reaches_no_log_line_returned_error_or_event() {
    use forewarn_e2e::cells::{flight, function_behind, proxy};
    use forewarn_e2e::faults::Rule;
    use forewarn_e2e::runtime::Invocation;
    let mail = TestCustomer::seed(
        "privfault",
        json!({"name": "Zélia", "devices": [], "channel_preferences": {"travel": ["email"]}}),
    )
    .await;
    let sms = TestCustomer::seed(
        "privfault",
        json!({"name": "Zélia", "devices": [], "channel_preferences": {"travel": ["sms"]}}),
    )
    .await;
    let proxy = proxy().await;
    let ses = format!(
        r#"{{"__type":"BadRequestException","message":"Illegal address: {}"}}"#,
        mail.email
    );
    let sns = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded for {}</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        sms.phone
    );
    for (operation, fault) in [
        ("/v2/email/outbound-emails", naming(400, ses)),
        ("Action=Publish", naming(400, sns)),
    ] {
        proxy.add(Rule {
            operation: operation.into(),
            skip: 0,
            times: 20,
            fault,
        });
    }
    let f = function_behind(&proxy, "flight-delay").await;
    let mut returned = String::new();
    for c in [&mail, &sms] {
        match f.invoke(flight(&format!("fd-{}", c.id), &c.id)).await {
            Invocation::Err {
                error_type,
                error_message,
            } => returned += &format!("{error_type}: {error_message}\n"),
            Invocation::Ok(v) => panic!("the provider's error was meant to fail the invocation: {v}"),
        }
    }
    assert!(proxy.fired("/v2/email/outbound-emails") >= 1 && proxy.fired("Action=Publish") >= 1);
    assert!(
        returned.contains("BadRequestException") && returned.contains("Throttling"),
        "{returned}"
    );
    let logs = f.settled_logs().await;
    let mut bus = String::new();
    for c in [&mail, &sms] {
        bus += &serde_json::to_string(&forewarn_e2e::outcomes_for(&c.id).await).unwrap();
    }
    let secrets = [mail.email.as_str(), sms.phone.as_str(), &sms.phone[1..], "Zélia"];
    for s in secrets {
        assert!(!returned.contains(s), "{s:?} is in a returned error:\n{returned}");
        assert!(!logs.contains(s), "{s:?} is in the logs:\n{logs}");
        assert!(!bus.contains(s), "{s:?} is in an event on the bus:\n{bus}");
    }
    assert!(
        returned.contains(&forewarn_core::customer::mask_email(&mail.email)),
        "{returned}"
    );
}
