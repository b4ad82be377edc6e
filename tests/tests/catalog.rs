//! A kind declared only in the catalog (`PaymentDue`, resolved by `PaymentMade` or
//! `BalanceRestored`) end to end: the generic `notify` binary decides and sends it in the
//! customer's language, and the `resolve` binary cancels it, on DynamoDB Local and moto.

use forewarn_e2e::{TestCustomer, function, sample, stack};
use serde_json::{Value, json};

fn later(hours: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours)).to_string()
}

/// The bundled `PaymentDue` sample for customer `c`, due in `due_in` hours.
fn payment_due(c: &TestCustomer, due_in: i64) -> Value {
    let mut e = sample("payment-due.json", &format!("pd-{}", c.id), &c.id);
    e["detail"]["due_at"] = json!(later(due_in));
    e
}

/// A customer (in `locale`) whose quiet hours run from an hour ago to three hours ahead, so a
/// normal notice waits for their end.
async fn in_quiet_hours(locale: &str) -> TestCustomer {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap());
    let hour = |h: i64| {
        (now.clone() + jiff::SignedDuration::from_hours(h))
            .strftime("%H:00")
            .to_string()
    };
    let quiet = json!({"quiet_hours": {"start": hour(-1), "end": hour(3)}, "locale": locale});
    TestCustomer::seed("cat", quiet).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_due_goes_out_through_the_generic_notifier_in_the_customers_own_language() {
    let c = TestCustomer::seed("cat", json!({"locale": "de-DE", "time_zone": "Europe/Berlin"})).await;
    let notify = function("notify").await;
    let r = notify.invoke(payment_due(&c, 48)).await.ok();
    assert_eq!(r["outcome"], "send_now", "{r}");
    let pushes = stack().wait_pushes_to(&c.endpoint, 1).await;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    let push = pushes[0].to_string();
    assert!(
        push.contains("Zahlung fällig") || push.contains("Zahlung f\\u00e4llig"),
        "{push}"
    );
    assert!(push.contains("112,40"), "German number format: {push}");
    assert!(push.contains("Stadtwerke Berlin"), "{push}");
    let sent = |rows: &Vec<(String, Option<String>)>| {
        rows.iter().any(|(sk, st)| {
            forewarn_e2e::keys::delivery(sk).is_some_and(|d| d.subject == "payment:DE89-0007:sepa-dd-4471")
                && st.as_deref() == Some("sent")
        })
    };
    let rows = stack().wait_rows(&c.id, "a sent PaymentDue row", sent).await;
    assert!(sent(&rows), "{rows:?}");

    // The same event again is a duplicate; another one for the same payment is a repeat.
    let again = notify.invoke(payment_due(&c, 48)).await.ok();
    assert_eq!(again["outcome"], "suppressed", "{again}");
    let mut repeat = payment_due(&c, 48);
    repeat["id"] = json!(format!("pd2-{}", c.id));
    let r = notify.invoke(repeat).await.ok();
    assert_eq!(r["outcome"], "suppressed", "{r}");
    assert!(
        r.to_string()
            .contains("payment DE89-0007 sepa-dd-4471 was already notified"),
        "{r}"
    );
    notify.settled_logs().await;
    assert_eq!(
        stack().pushes_to(&c.endpoint).await.len(),
        1,
        "one message for one payment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_made_before_the_notice_goes_out_cancels_it_and_its_schedule() {
    let c = in_quiet_hours("es-ES").await;
    let notify = function("notify").await;
    let resolve = function("resolve").await;
    let r = notify.invoke(payment_due(&c, 72)).await.ok();
    assert_eq!(r["outcome"], "scheduled", "{r}");
    stack()
        .wait_schedule(&format!("a schedule for {}", c.id), |(_, _, i)| i.contains(&c.id))
        .await;

    let mut paid = sample("payment-made.json", &format!("pm-{}", c.id), &c.id);
    paid["detail"]["account_id"] = json!("DE89-0007");
    paid["detail"]["payment_id"] = json!("sepa-dd-4471");
    let r = resolve.invoke(paid).await.ok();
    assert_eq!(r["cancelled"], 1, "{r}");
    stack()
        .wait_no_schedule("the schedule is deleted", |(_, _, i)| i.contains(&c.id))
        .await;

    // A notice for that payment that arrives late is already resolved.
    let mut late = payment_due(&c, 72);
    late["id"] = json!(format!("pd-late-{}", c.id));
    late["time"] = json!(later(-1));
    let r = notify.invoke(late).await.ok();
    assert_eq!(r["outcome"], "suppressed", "{r}");
    assert!(r.to_string().contains("already resolved"), "{r}");
    assert!(stack().pushes_to(&c.endpoint).await.is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_balance_restored_settles_every_payment_due_of_the_account() {
    let c = in_quiet_hours("en-GB").await;
    let notify = function("notify").await;
    let resolve = function("resolve").await;
    assert_eq!(notify.invoke(payment_due(&c, 72)).await.ok()["outcome"], "scheduled");
    let mut restored = sample("balance-restored.json", &format!("br-{}", c.id), &c.id);
    restored["detail"]["account_id"] = json!("DE89-0007");
    let r = resolve.invoke(restored).await.ok();
    assert_eq!(r["cancelled"], 1, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_notifier_refuses_a_resolving_event_naming_the_detail_type() {
    let c = TestCustomer::seed("cat", json!({})).await;
    let notify = function("notify").await;
    let message = notify
        .invoke(sample("payment-made.json", &format!("pm-{}", c.id), &c.id))
        .await
        .rejected();
    assert!(
        message.contains("detail-type") && message.contains("PaymentMade"),
        "{message}"
    );
    let mut bad = payment_due(&c, 48);
    bad["detail"]["amount"]["currency"] = json!("euro");
    let message = notify.invoke(bad).await.rejected();
    assert!(message.contains("detail.amount.currency"), "{message}");
}
