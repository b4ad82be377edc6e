//! End to end, closing the loops: two-way SMS answers and STOP, escalation reminders, email
//! and push delivery feedback, and habits learned from activity — the real binaries on the
//! local stack, each test with customers of its own.

use forewarn_core::conversation::{ReplyText, reply_sms};
use forewarn_e2e::{
    TestCustomer, function, inbound_sms, outcomes_settled, sample, ses_event, stack, unique, wait_outcomes,
};
use serde_json::{Value, json};

async fn customer(patch: Value) -> TestCustomer {
    TestCustomer::seed("loop", patch).await
}

/// Outcome or business events of `detail_type` for a customer: waits until at least
/// `at_least` reached the queue, then returns all of them put so far (none still on its way),
/// so a test can assert on their exact number, zero included.
async fn events_of(customer_id: &str, detail_type: &str, at_least: usize) -> Vec<Value> {
    let of_type = |events: &Vec<Value>| events.iter().filter(|e| e["detail-type"] == detail_type).count();
    wait_outcomes(customer_id, &format!("{at_least} {detail_type} events"), |e| {
        of_type(e) >= at_least
    })
    .await
    .into_iter()
    .filter(|e| e["detail-type"] == detail_type)
    .collect()
}

fn is_reminder_of(customer_id: &str) -> impl Fn(&(String, String, String)) -> bool {
    let owner = format!("\"customer_id\":\"{customer_id}\"");
    move |(_, _, input)| input.contains(&owner) && input.contains("\"reminder\":true")
}

/// The reminder schedule of a customer, once it exists: (expression, dispatch request).
async fn reminder_schedule(customer_id: &str) -> (String, Value) {
    let what = format!("a reminder schedule for {customer_id}");
    let (_, expression, input) = stack().wait_schedule(&what, is_reminder_of(customer_id)).await;
    (expression, serde_json::from_str(&input).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_reply_confirms_the_transaction_once_acknowledges_it_and_cancels_the_reminder() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let reply = function("reply").await;
    let dispatch = function("dispatch").await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(
        (r["outcome"].as_str(), r["scheduled"].as_u64()),
        (Some("send_now"), Some(1)),
        "{r}"
    );
    let (_, request) = reminder_schedule(&c.id).await;

    let r = reply
        .invoke(inbound_sms(&c.phone, " Yes! ", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "confirmed", "{r}");
    assert_eq!(r["cancelled"], 1, "the reminder is cancelled: {r}");
    let confirmed = events_of(&c.id, "TransactionConfirmed", 1).await;
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    let d = &confirmed[0]["detail"];
    assert_eq!(
        (d["transaction_id"].as_str(), d["channel"].as_str()),
        (Some("tx-88231"), Some("sms"))
    );
    assert!(
        d["answered_at"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{d}"
    );
    let sms = stack().wait_sms_to(&c.phone, 2).await;
    assert_eq!(sms.len(), 2, "the alert and the acknowledgement: {sms:?}");
    assert_eq!(sms[1], reply_sms("en-GB", ReplyText::Confirmed));

    let again = reply
        .invoke(inbound_sms(&c.phone, "YES", &format!("in2-{}", c.id)))
        .await
        .ok();
    assert_eq!(
        again["outcome"], "no_open_question",
        "a repeated answer changes nothing: {again}"
    );
    assert_eq!(events_of(&c.id, "TransactionConfirmed", 1).await.len(), 1);

    stack()
        .wait_no_schedule("the reminder's schedule is deleted", is_reminder_of(&c.id))
        .await;
    assert_eq!(
        dispatch.invoke(request).await.ok()["sent"],
        0,
        "a late firing sends nothing"
    );
    dispatch.settled_logs().await;
    assert_eq!(
        stack().wait_pushes_to(&c.endpoint, 1).await.len(),
        1,
        "only the alert's push"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_reply_disputes_the_transaction() {
    let c = customer(json!({"locale": "pt-PT"})).await;
    let fraud = function("suspicious-transaction").await;
    let reply = function("reply").await;
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    let r = reply
        .invoke(inbound_sms(&c.phone, "não", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "disputed", "{r}");
    let disputed = events_of(&c.id, "TransactionDisputed", 1).await;
    assert_eq!(disputed.len(), 1, "{disputed:?}");
    assert!(events_of(&c.id, "TransactionConfirmed", 0).await.is_empty());
    assert_eq!(
        stack().wait_sms_to(&c.phone, 2).await.last().map(String::as_str),
        Some(reply_sms("pt-PT", ReplyText::Disputed).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_from_another_number_or_after_expiry_gives_no_event() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let reply = function("reply").await;
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    let stranger = format!("+35193{:07}", unique());
    let r = reply
        .invoke(inbound_sms(&stranger, "YES", &format!("in-s-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "unknown_sender", "{r}");
    assert_eq!(
        stack().wait_sms_to(&stranger, 1).await,
        [reply_sms("en", ReplyText::UnknownSender)]
    );

    // A question asked 25 hours ago, as an earlier alert would have left it.
    let old = customer(json!({})).await;
    let asked = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(25);
    stack().seed_question(&old.id, &old.phone, "tx-old", asked).await;
    let r = reply
        .invoke(inbound_sms(&old.phone, "yes", &format!("in-o-{}", old.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "expired", "{r}");
    assert_eq!(
        stack().wait_sms_to(&old.phone, 1).await,
        [reply_sms("en-GB", ReplyText::Expired)]
    );

    for id in [&c.id, &old.id] {
        let answers: Vec<Value> = outcomes_settled(id)
            .await
            .into_iter()
            .filter(|e| e["detail-type"].as_str().is_some_and(|t| t.starts_with("Transaction")))
            .collect();
        assert!(answers.is_empty(), "{answers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_managed_stop_is_confirmed_once_and_stops_later_sms() {
    let c = customer(json!({})).await;
    let reply = self_managed_reply().await;
    let fraud = function("suspicious-transaction").await;
    let r = reply
        .invoke(inbound_sms(&c.phone, "STOP", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "opted_out", "{r}");
    let r = reply
        .invoke(inbound_sms(&c.phone, "stop", &format!("in2-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["sent"], 0, "confirmed once: {r}");
    reply.settled_logs().await;
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await,
        [reply_sms("en-GB", ReplyText::OptedOut)]
    );

    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["sent"], 1, "push only: {r}");
    fraud.settled_logs().await;
    assert_eq!(stack().wait_sms_to(&c.phone, 1).await.len(), 1, "no SMS after STOP");
    let sent = events_of(&c.id, "NotificationSent", 1).await;
    assert_eq!(sent.len(), 1);
    let reasons = sent[0]["detail"]["reasons"].to_string();
    assert!(reasons.contains("sms skipped: the customer opted out"), "{reasons}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_from_one_number_sent_at_once_to_two_reply_processes_get_exactly_one_answer() {
    let (a, b) = (function("reply").await, function("reply").await);
    let n = unique();
    let stranger = format!("+35196{n:07}");
    let texts = |p: &'static str| {
        let stranger = stranger.clone();
        (0..3).map(move |i| inbound_sms(&stranger, "hello?", &format!("in-{p}{i}-{n}")))
    };
    let several = async |f: &forewarn_e2e::runtime::FunctionProcess, texts: Vec<Value>| {
        let mut results = Vec::new();
        for t in texts {
            results.push(f.invoke(t).await.ok());
        }
        results
    };
    let (ra, rb) = tokio::join!(several(&a, texts("a").collect()), several(&b, texts("b").collect()));
    let all: Vec<Value> = ra.into_iter().chain(rb).collect();
    assert!(all.iter().all(|r| r["outcome"] == "unknown_sender"), "{all:?}");
    let sent: u64 = all.iter().map(|r| r["sent"].as_u64().unwrap_or(0)).sum();
    assert_eq!(sent, 1, "one answer for six texts: {all:?}");
    let limited = all
        .iter()
        .filter(|r| {
            r["reasons"]
                .to_string()
                .contains("no answer sent: this number already got")
        })
        .count();
    assert_eq!(limited, 5, "every other text is reported with why: {all:?}");
    assert_eq!(stack().wait_sms_to(&stranger, 1).await.len(), 1);
    let logs = a.settled_logs().await + &b.settled_logs().await;
    assert_eq!(
        stack().sms_to(&stranger).await.len(),
        1,
        "still one, with both processes done"
    );
    let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(&stranger[1..])).collect();
    assert!(leaks.is_empty(), "no phone number in the logs: {leaks:?}");
}

/// `reply` for a number whose opt-outs are self-managed: forewarn answers STOP, START and HELP.
async fn self_managed_reply() -> forewarn_e2e::runtime::FunctionProcess {
    use forewarn_e2e::runtime::{FunctionProcess, binary};
    let mut env = stack().function_env();
    env.push(("FOREWARN_SMS_SELF_MANAGED_OPT_OUTS".into(), "true".into()));
    let mut f = FunctionProcess::spawn(&binary("reply"), &env).await;
    f.init_time(std::time::Duration::from_secs(20)).await;
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_aws_manages_opt_outs_end_and_start_are_recorded_without_an_answer_of_ours() {
    let c = customer(json!({})).await;
    let reply = function("reply").await;
    let fraud = function("suspicious-transaction").await;
    let r = reply
        .invoke(inbound_sms(&c.phone, "End.", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("opted_out"), Some(0)),
        "{r}"
    );
    let r = reply
        .invoke(inbound_sms(&c.phone, "start", &format!("in2-{}", c.id)))
        .await
        .ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("opted_in"), Some(0)),
        "{r}"
    );
    reply.settled_logs().await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["sent"], 2, "SMS and push again: {r}");
    assert!(
        r["reasons"]
            .to_string()
            .contains("SMS allowed again: the customer replied START on"),
        "{r}"
    );
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await.len(),
        1,
        "only the alert, no answer of ours"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_yes_with_two_open_questions_asks_which_and_a_numbered_yes_confirms_only_that_one() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let reply = function("reply").await;
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    let mut second = sample("suspicious-transaction.json", &format!("st2-{}", c.id), &c.id);
    second["detail"]["transaction_id"] = json!("tx-2");
    second["detail"]["merchant"]["name"] = json!("Livraria Porto");
    second["detail"]["amount"]["amount"] = json!("12.00");
    fraud.invoke(second).await.ok();
    stack().wait_sms_to(&c.phone, 2).await;

    let r = reply
        .invoke(inbound_sms(&c.phone, "YES", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "ambiguous", "{r}");
    let sms = stack().wait_sms_to(&c.phone, 3).await;
    let which = sms.last().unwrap();
    assert!(
        which.contains("YES 1 for Electro Mundo 1249.99 EUR, YES 2 for Livraria Porto 12.00 EUR"),
        "{which}"
    );
    let r = reply
        .invoke(inbound_sms(&c.phone, "yes 2", &format!("in2-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "confirmed", "{r}");
    let confirmed = events_of(&c.id, "TransactionConfirmed", 1).await;
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    assert_eq!(confirmed[0]["detail"]["transaction_id"], "tx-2");
    let r = reply
        .invoke(inbound_sms(&c.phone, "NO", &format!("in3-{}", c.id)))
        .await
        .ok();
    assert_eq!(r["outcome"], "disputed", "{r}");
    let disputed = events_of(&c.id, "TransactionDisputed", 1).await;
    assert_eq!(disputed.len(), 1, "{disputed:?}");
    assert_eq!(disputed[0]["detail"]["transaction_id"], "tx-88231");
    for e in outcomes_settled(&c.id).await {
        let text = e.to_string();
        assert!(!text.contains("Livraria") && !text.contains(&c.phone), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_question_gets_exactly_one_reminder_on_the_next_channel() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let dispatch = function("dispatch").await;
    let before = jiff::Timestamp::now();
    fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    let (expression, request) = reminder_schedule(&c.id).await;
    let at: jiff::civil::DateTime = expression
        .trim_start_matches("at(")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let at = at.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    let wait = at.duration_since(before).as_secs();
    assert!(
        (15 * 60..=16 * 60 + 5).contains(&wait),
        "15 minutes later: {expression}"
    );

    assert_eq!(dispatch.invoke(request.clone()).await.ok()["sent"], 1);
    assert_eq!(dispatch.invoke(request).await.ok()["sent"], 0, "exactly one reminder");
    dispatch.settled_logs().await;
    let pushes = stack().wait_pushes_to(&c.endpoint, 2).await;
    assert_eq!(
        pushes.len(),
        2,
        "the alert and the reminder, by push since the SMS went out: {pushes:?}"
    );
    assert!(pushes[1].to_string().contains("Reminder"), "{}", pushes[1]);
    assert_eq!(stack().wait_sms_to(&c.phone, 1).await.len(), 1, "no second SMS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_bounce_stops_email_to_that_address() {
    let c = customer(json!({"channel_preferences": {"applications": ["email", "sms"]},
        "devices": [{"device_id": "desk", "kind": "desktop", "active_hours": ["Mon-Sun 00:00-12:00", "Mon-Sun 12:00-00:00"]}]}))
    .await;
    let application = function("incomplete-application").await;
    let feedback = function("feedback").await;
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(240)).to_string();
    let mut first = sample("application-incomplete.json", &format!("ai1-{}", c.id), &c.id);
    first["detail"]["expires_at"] = json!(later);
    assert_eq!(application.invoke(first).await.ok()["outcome"], "send_now");
    assert_eq!(stack().wait_emails_to(&c.email, 1).await.len(), 1);
    let message_id = stack()
        .wait_deliveries(&c.id, "the email's message id", |d| {
            d.iter().any(|d| d.provider_message_id.is_some())
        })
        .await
        .into_iter()
        .find_map(|d| d.provider_message_id)
        .expect("the email's message id");

    let r = feedback
        .invoke(ses_event("Email Delivered", "Delivery", &message_id, &c))
        .await
        .ok();
    assert_eq!(r["outcome"], "delivered", "{r}");
    let r = feedback
        .invoke(ses_event("Email Bounced", "Bounce", &message_id, &c))
        .await
        .ok();
    assert_eq!(r["outcome"], "bounced", "{r}");
    assert_eq!(events_of(&c.id, "NotificationDelivered", 1).await.len(), 1);
    let bounced = events_of(&c.id, "NotificationBounced", 1).await;
    assert_eq!(bounced.len(), 1);
    assert!(!bounced[0].to_string().contains(&c.email), "no address in the outcome");

    let mut second = sample("application-incomplete.json", &format!("ai2-{}", c.id), &c.id);
    second["detail"]["application_id"] = json!("app-2");
    second["detail"]["expires_at"] = json!(later);
    let r = application.invoke(second).await.ok();
    assert_eq!(r["sent"], 1, "{r}");
    application.settled_logs().await;
    assert_eq!(
        stack().wait_emails_to(&c.email, 1).await.len(),
        1,
        "no email to the bounced address"
    );
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await.len(),
        1,
        "the next channel instead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_alert_whose_email_bounces_hard_after_it_was_sent_goes_out_by_sms() {
    let c = customer(json!({"devices": [], "channel_preferences": {"security": ["email"]}})).await;
    let fraud = function("suspicious-transaction").await;
    let feedback = function("feedback").await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["sent"], 1, "{r}");
    assert_eq!(stack().wait_emails_to(&c.email, 1).await.len(), 1);
    let message_id = stack()
        .wait_deliveries(&c.id, "the email's message id", |d| {
            d.iter().any(|d| d.provider_message_id.is_some())
        })
        .await
        .into_iter()
        .find_map(|d| d.provider_message_id)
        .expect("the email's message id");

    let bounce = ses_event("Email Bounced", "Bounce", &message_id, &c);
    let r = feedback.invoke(bounce.clone()).await.ok();
    assert_eq!(
        (r["outcome"].as_str(), r["sent"].as_u64()),
        (Some("bounced"), Some(1)),
        "{r}"
    );
    let sms = stack().wait_sms_to(&c.phone, 1).await;
    assert!(
        sms[0].to_string().contains("YES"),
        "the SMS asks its question: {}",
        sms[0]
    );
    let again = feedback.invoke(bounce).await.ok();
    assert_eq!(again["outcome"], "bounced", "{again}");
    feedback.settled_logs().await;
    assert_eq!(
        stack().wait_sms_to(&c.phone, 1).await.len(),
        1,
        "the bounce reported twice re-routes once"
    );
    let sent = events_of(&c.id, "NotificationSent", 2).await;
    assert!(
        sent.iter().any(|e| e["detail"]["channel"] == "sms"),
        "the re-routed SMS is accounted for: {sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_stops_push_to_that_device() {
    let c = customer(json!({"channel_preferences": {"travel": ["push", "sms"]}})).await;
    stack().disable_endpoint(&c.endpoint).await;
    let flight = function("flight-delay").await;
    let later = |h: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h)).to_string();
    for (n, booking) in ["B1", "B2"].iter().enumerate() {
        let mut event = sample("flight-delayed.json", &format!("fd{n}-{}", c.id), &c.id);
        event["detail"]["booking_ref"] = json!(booking);
        event["detail"]["flight"]["scheduled_departure"] = json!(later(3));
        event["detail"]["flight"]["estimated_departure"] = json!(later(5));
        assert_eq!(flight.invoke(event).await.ok()["sent"], 1);
    }
    flight.settled_logs().await;
    assert_eq!(stack().wait_sms_to(&c.phone, 2).await.len(), 2, "both by SMS");
    let disabled = events_of(&c.id, "DeviceDisabled", 1).await;
    assert_eq!(disabled.len(), 1, "{disabled:?}");
    assert_eq!(disabled[0]["detail"]["device_id"], "phone");
    let rows = stack()
        .wait_rows(&c.id, "a failed push", |rows| {
            rows.iter().any(|(sk, st)| {
                forewarn_e2e::keys::delivery(sk).is_some_and(|d| d.channel == forewarn_core::customer::Channel::Push)
                    && st.as_deref() == Some("failed")
            })
        })
        .await;
    let failed_push: Vec<_> = rows
        .iter()
        .filter(|(sk, st)| {
            forewarn_e2e::keys::delivery(sk).is_some_and(|d| d.channel == forewarn_core::customer::Channel::Push)
                && st.as_deref() == Some("failed")
        })
        .collect();
    assert_eq!(
        failed_push.len(),
        1,
        "the second alert does not try the device: {rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_evening_sessions_on_a_desktop_move_a_low_urgency_message_to_that_evening_window() {
    let quiet = json!({"quiet_hours": {"start": "23:00", "end": "07:00"}, "devices": []});
    let learner = customer(quiet.clone()).await;
    let control = customer(quiet).await;
    let activity = function("activity").await;
    let application = function("incomplete-application").await;

    let lisbon = jiff::tz::TimeZone::get("Europe/Lisbon").unwrap();
    let today = jiff::Timestamp::now().to_zoned(lisbon.clone()).date();
    let mut n = 0;
    for back in 1..=21 {
        let day = today - jiff::Span::new().days(back);
        if day.weekday().to_monday_zero_offset() > 4 {
            continue;
        }
        for hour in [20, 21] {
            let at = day.at(hour, 10, 0, 0).to_zoned(lisbon.clone()).unwrap().timestamp();
            let event = json!({"version": "0", "id": format!("act-{n}-{}", learner.id), "detail-type": "CustomerActivity",
                "source": "com.example.bank.web", "account": "123456789012", "time": jiff::Timestamp::now().to_string(),
                "region": "eu-west-1", "resources": [],
                "detail": {"customer_id": learner.id, "device_id": "laptop", "device_kind": "desktop",
                           "platform": "web", "at": at.to_string()}});
            let r = activity.invoke(event.clone()).await.ok();
            assert!(matches!(r["outcome"].as_str(), Some("recorded" | "learned")), "{r}");
            if n == 0 {
                assert_eq!(activity.invoke(event).await.ok()["duplicate"], true, "counted once");
            }
            n += 1;
        }
    }
    assert_eq!(n, 30);

    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(240)).to_string();
    for c in [&learner, &control] {
        let mut event = sample("application-incomplete.json", &format!("ai-{}", c.id), &c.id);
        event["detail"]["expires_at"] = json!(later);
        application.invoke(event).await.ok();
    }
    let reasons = |events: Vec<Value>| {
        events
            .iter()
            .map(|e| e["detail"]["reasons"].to_string())
            .collect::<String>()
    };
    let decided = |id: String| async move { wait_outcomes(&id, "the decision's outcome", |e| !e.is_empty()).await };
    let learned = reasons(decided(learner.id.clone()).await);
    assert!(
        learned.contains("Mon-Fri 20:00-22:00, learned from 30 sessions"),
        "the learned evening window decides: {learned}"
    );
    let plain = reasons(decided(control.id.clone()).await);
    assert!(plain.contains("no desktop or tablet habits known"), "{plain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banks_transaction_confirmed_closes_the_sms_question_and_cancels_the_reminder() {
    let c = customer(json!({})).await;
    let fraud = function("suspicious-transaction").await;
    let resolve = function("resolve").await;
    let reply = function("reply").await;
    let r = fraud
        .invoke(sample("suspicious-transaction.json", &format!("st-{}", c.id), &c.id))
        .await
        .ok();
    assert_eq!(r["scheduled"], 1, "the reminder: {r}");
    reminder_schedule(&c.id).await;
    let mut confirmed = sample("transaction-confirmed.json", &format!("tc-{}", c.id), &c.id);
    confirmed["detail"]["transaction_id"] = json!("tx-88231");
    let r = resolve.invoke(confirmed).await.ok();
    assert!(
        r["reasons"].as_array().is_some_and(|rs| rs
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.contains("closed the open question")))),
        "{r}"
    );
    assert_eq!(r["cancelled"], 1, "the reminder is cancelled: {r}");
    stack()
        .wait_no_schedule("the reminder's schedule is deleted", is_reminder_of(&c.id))
        .await;
    let late = reply
        .invoke(inbound_sms(&c.phone, "YES", &format!("in-{}", c.id)))
        .await
        .ok();
    assert_eq!(late["outcome"], "no_open_question", "the bank closed it: {late}");
    assert!(
        events_of(&c.id, "TransactionConfirmed", 0).await.is_empty(),
        "forewarn confirms nothing itself"
    );
}
