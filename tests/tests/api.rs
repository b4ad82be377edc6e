//! The HTTP API end to end: the real `api` binary through the Runtime API harness, given
//! function URL requests (payload 2.0), on the local stack: a customer put and read back with
//! its ETag, a stale If-Match refused without losing the other change, concurrent patches
//! never silently lost, a device registered by its token, malformed input named by its field,
//! and an erasure that leaves only the marker.

use std::sync::atomic::{AtomicI64, Ordering};

use forewarn_e2e::runtime::FunctionProcess;
use forewarn_e2e::{function_with_apns, stack, unique};
use serde_json::{Value, json};

/// Each request's time, a millisecond after the one before: the order the test makes them in.
fn next_time() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = jiff::Timestamp::now().as_millisecond();
    let prev = LAST.fetch_max(now, Ordering::SeqCst).max(now);
    LAST.fetch_add(1, Ordering::SeqCst);
    prev + 1
}

/// A function URL request (payload 2.0).
fn request(method: &str, path: &str, if_match: Option<&str>, body: Option<Value>) -> Value {
    let mut headers = json!({"host": "abc123.lambda-url.eu-west-1.on.aws", "content-type": "application/json"});
    if let Some(tag) = if_match {
        headers["if-match"] = json!(tag);
    }
    json!({"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123",
            "authorizer": {"iam": {"accessKey": "AKIA", "accountId": "123456789012", "callerId": "AIDA",
                "principalOrgId": null, "userArn": "arn:aws:iam::123456789012:user/bank-backend", "userId": "AIDA"}},
            "domainName": "abc123.lambda-url.eu-west-1.on.aws", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "e2e"},
            "requestId": format!("url-{}", unique()), "routeKey": "$default", "stage": "$default",
            "time": "02/Dec/2026:06:00:00 +0000", "timeEpoch": next_time()},
        "body": body.map(|b| b.to_string()), "isBase64Encoded": false})
}

/// An answer: status, ETag, JSON body (null when none).
#[derive(Debug)]
struct Answer {
    status: u64,
    etag: Option<String>,
    body: Value,
}

async fn call(f: &FunctionProcess, method: &str, path: &str, if_match: Option<&str>, body: Option<Value>) -> Answer {
    let r = f.invoke(request(method, path, if_match, body)).await.ok();
    Answer {
        status: r["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode: {r}")),
        etag: r["headers"]["etag"].as_str().map(str::to_owned),
        body: r["body"]
            .as_str()
            .map_or(Value::Null, |b| serde_json::from_str(b).expect("a JSON body")),
    }
}

fn profile(n: u32) -> Value {
    json!({"name": "Sam Example", "locale": "en-GB", "time_zone": "Europe/Lisbon",
        "contacts": {"email": format!("api{n}@example.com"), "phone": format!("+35191{n:07}")}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_put_is_read_back_with_its_etag_and_a_stale_if_match_keeps_the_other_change() {
    let n = unique();
    let path = format!("/customers/api-{n}");
    let api = function_with_apns("api").await;
    assert_eq!(call(&api, "GET", &path, None, None).await.status, 404);
    let put = call(&api, "PUT", &path, None, Some(profile(n))).await;
    assert_eq!((put.status, put.etag.as_deref()), (200, Some("\"1\"")), "{put:?}");
    let got = call(&api, "GET", &path, None, None).await;
    assert_eq!((got.status, got.etag.as_deref()), (200, Some("\"1\"")), "{got:?}");
    assert_eq!(got.body["profile"], profile(n));

    let first = call(
        &api,
        "PATCH",
        &path,
        Some("\"1\""),
        Some(json!({"set": {"locale": "pt-PT"}})),
    )
    .await;
    assert_eq!((first.status, first.etag.as_deref()), (200, Some("\"2\"")), "{first:?}");
    let stale = call(
        &api,
        "PATCH",
        &path,
        Some("\"1\""),
        Some(json!({"set": {"time_zone": "Asia/Tokyo"}})),
    )
    .await;
    assert_eq!((stale.status, stale.etag.as_deref()), (412, Some("\"2\"")), "{stale:?}");
    assert_eq!(stale.body["field"], "If-Match");
    let p = call(&api, "GET", &path, None, None).await.body["profile"].clone();
    assert_eq!(
        (p["locale"].as_str(), p["time_zone"].as_str()),
        (Some("pt-PT"), Some("Europe/Lisbon")),
        "{p}"
    );

    let prefs = call(
        &api,
        "PUT",
        &format!("{path}/preferences"),
        Some("\"2\""),
        Some(json!({"muted_categories": ["applications"]})),
    )
    .await;
    assert_eq!(
        (prefs.status, prefs.body.clone()),
        (200, json!({"muted_categories": ["applications"]})),
        "{prefs:?}"
    );
    let p = call(&api, "GET", &path, None, None).await.body["profile"].clone();
    assert_eq!(
        (p.get("locale"), &p["contacts"]),
        (None, &profile(n)["contacts"]),
        "the other fields stay: {p}"
    );
    let logs = api.settled_logs().await;
    assert!(
        !logs.contains("@example.com") && !logs.contains(&format!("+35191{n:07}")),
        "no contact in the logs"
    );
}

const LOCALES: [&str; 3] = ["pt-PT", "fr-FR", "de-DE"];
const ZONES: [&str; 3] = ["Asia/Tokyo", "Europe/Paris", "America/Lima"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_of_different_fields_both_land_and_with_the_same_if_match_one_is_refused() {
    let n = unique();
    let path = format!("/customers/api-{n}");
    let (a, b) = (function_with_apns("api").await, function_with_apns("api").await);
    assert_eq!(call(&a, "PUT", &path, None, Some(profile(n))).await.status, 200);
    for round in 0..3 {
        let (x, y) = tokio::join!(
            call(
                &a,
                "PATCH",
                &path,
                None,
                Some(json!({"set": {"locale": LOCALES[round]}}))
            ),
            call(
                &b,
                "PATCH",
                &path,
                None,
                Some(json!({"set": {"time_zone": ZONES[round]}}))
            ),
        );
        assert_eq!((x.status, y.status), (200, 200), "{x:?} {y:?}");
        let p = call(&a, "GET", &path, None, None).await.body["profile"].clone();
        assert_eq!(p["locale"], LOCALES[round], "{p}");
        assert_eq!(p["time_zone"], ZONES[round], "{p}");
    }
    let tag = call(&a, "GET", &path, None, None).await.etag.expect("an ETag");
    let (x, y) = tokio::join!(
        call(
            &a,
            "PATCH",
            &path,
            Some(&tag),
            Some(json!({"set": {"locale": "es-ES"}}))
        ),
        call(
            &b,
            "PATCH",
            &path,
            Some(&tag),
            Some(json!({"set": {"time_zone": "Europe/London"}}))
        ),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 412],
        "one write on the same read wins, the other is told: {x:?} {y:?}"
    );
    let p = call(&a, "GET", &path, None, None).await.body["profile"].clone();
    let landed = (p["locale"] == "es-ES", p["time_zone"] == "Europe/London");
    assert_eq!(
        landed,
        (x.status == 200, y.status == 200),
        "exactly the accepted change is stored: {p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_registered_by_token_has_its_endpoint_and_an_erased_customer_is_a_404() {
    let n = unique();
    let (c, token) = (format!("api-{n}"), format!("{n:08}cccc0001"));
    let path = format!("/customers/{c}");
    let api = function_with_apns("api").await;
    assert_eq!(call(&api, "PUT", &path, None, Some(profile(n))).await.status, 200);
    let device = json!({"token": token, "platform": "apns", "kind": "phone", "app": "com.example.bank"});
    let r = call(
        &api,
        "PUT",
        &format!("{path}/devices/phone"),
        Some("\"1\""),
        Some(device),
    )
    .await;
    assert_eq!((r.status, r.body["device_id"].as_str()), (200, Some("phone")), "{r:?}");
    assert!(
        !r.body.to_string().contains(&token),
        "no token in the answer: {}",
        r.body
    );
    let data = stack().moto_data().await;
    let endpoints = data["sns"]["PlatformEndpoint"].as_array().cloned().unwrap_or_default();
    assert!(
        endpoints.iter().any(|e| e["attributes"]["Token"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(&token))),
        "an SNS endpoint holds the token"
    );
    let got = call(&api, "GET", &path, None, None).await;
    assert_eq!(got.body["devices"][0]["device_id"], "phone", "{got:?}");

    let gone = call(
        &api,
        "DELETE",
        &path,
        Some("\"1\""),
        Some(json!({"reference": "DSR-7"})),
    )
    .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    let rows = stack().rows(&c).await;
    assert_eq!(
        rows.iter().map(|(sk, _)| sk.as_str()).collect::<Vec<_>>(),
        ["ERASED"],
        "{rows:?}"
    );
    let after = call(&api, "GET", &path, None, None).await;
    assert_eq!(
        (after.status, after.body["field"].as_str()),
        (404, Some("customer_id")),
        "{after:?}"
    );
    let logs = api.settled_logs().await;
    assert!(!logs.contains(&token), "no token in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_answers_400_naming_the_field_and_unknown_routes_404_or_405() {
    let api = function_with_apns("api").await;
    let c = format!("/customers/api-{}", unique());
    let cases = [
        (
            "PUT",
            c.clone(),
            json!({"contacts": {"phone": "12345"}}),
            "contacts.phone",
        ),
        (
            "PATCH",
            c.clone(),
            json!({"set": {"time_zone": "Mars/Olympus"}}),
            "set.time_zone",
        ),
        (
            "PUT",
            format!("{c}/devices/d"),
            json!({"token": "a token", "platform": "apns", "kind": "phone", "app": "a"}),
            "token",
        ),
        (
            "PUT",
            format!("{c}/preferences"),
            json!({"quiet_hours": {"start": "25:00", "end": "07:00"}}),
            "quiet_hours.start",
        ),
    ];
    for (method, path, body, field) in cases {
        let r = call(&api, method, &path, None, Some(body.clone())).await;
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some(field)),
            "{body}: {r:?}"
        );
        assert!(!r.body.to_string().contains("a token"), "{r:?}");
    }
    let r = api.invoke(request("PUT", &c, None, None)).await.ok();
    assert_eq!(r["statusCode"], 400, "{r}");
    assert_eq!(call(&api, "GET", "/accounts/a-1", None, None).await.status, 404);
    let r = api.invoke(request("POST", &c, None, Some(json!({})))).await.ok();
    assert_eq!(
        (r["statusCode"].as_u64(), r["headers"]["allow"].as_str()),
        (Some(405), Some("GET, PUT, PATCH, DELETE")),
        "{r}"
    );
    let logs = api.settled_logs().await;
    assert!(!logs.contains("a token"), "no token in the logs");
}
