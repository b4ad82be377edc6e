//! Routing, `If-Match` and the status of every answer, on the in-memory adapters.

use super::*;
use forewarn_core::engine::Engine;
use forewarn_flows::memory::{Memory, MemoryService};

fn service() -> MemoryService {
    Memory::service(Engine::without_messages(Default::default()), vec![]).1
}

fn request(method: &str, path: &str, if_match: Option<&str>, body: Value, at: &str) -> ApiRequest {
    ApiRequest {
        method: method.into(),
        path: path.into(),
        if_match: if_match.map(str::to_owned),
        body: if body.is_null() {
            vec![]
        } else {
            body.to_string().into_bytes()
        },
        time: at.parse().unwrap(),
        request_id: format!("r-{method}-{at}"),
    }
}

async fn call(
    s: &MemoryService,
    method: &str,
    path: &str,
    if_match: Option<&str>,
    body: Value,
    at: &str,
) -> ApiResponse {
    handle(s, &request(method, path, if_match, body, at)).await.1
}

fn profile() -> Value {
    json!({"name": "Sam Example", "locale": "en-GB", "time_zone": "Europe/Lisbon",
        "contacts": {"email": "sam@example.com", "phone": "+351910000001"}})
}

#[test]
fn every_route_is_found_by_its_method_and_path_and_ids_are_percent_decoded() {
    let c = route("PUT", "/customers/c%201/devices/d-1").unwrap();
    assert_eq!(
        (c.action, c.customer_id.as_str(), c.device_id.as_ref().map(Id::as_str)),
        (Action::PutDevice, "c 1", Some("d-1"))
    );
    assert_eq!(
        route("GET", "/customers/c-1/preferences").unwrap().action,
        Action::GetPreferences
    );
    assert_eq!(route("DELETE", "/customers/c-1").unwrap().action, Action::EraseCustomer);
}

#[test]
fn an_unknown_path_is_a_404_and_an_unknown_method_a_405_saying_what_is_allowed() {
    assert_eq!(route("GET", "/accounts/a-1").unwrap_err().status, 404);
    assert_eq!(route("GET", "/customers/c-1/devices").unwrap_err().status, 404);
    let r = route("POST", "/customers/c-1").unwrap_err();
    assert_eq!((r.status, r.allow.as_deref()), (405, Some("GET, PUT, PATCH, DELETE")));
    let r = route("GET", "/customers/c-1/devices/d").unwrap_err();
    assert_eq!((r.status, r.allow.as_deref()), (405, Some("PUT, DELETE")));
    assert_eq!(
        route("GET", "/customers/%ZZ").unwrap_err().body.unwrap()["field"],
        "customer_id"
    );
}

#[test]
fn if_match_reads_a_quoted_revision_or_a_star_and_refuses_what_can_never_match() {
    assert_eq!(precondition(None).unwrap(), Precondition::None);
    assert_eq!(precondition(Some("*")).unwrap(), Precondition::Exists);
    assert_eq!(precondition(Some(" \"7\" ")).unwrap(), Precondition::Revision(7));
    assert_eq!(precondition(Some("W/\"7\"")).unwrap_err().status, 412);
    assert_eq!(precondition(Some("\"abc\"")).unwrap_err().status, 412);
    assert_eq!(precondition(Some("7")).unwrap_err().status, 400);
}

#[test]
fn an_error_body_never_echoes_a_quoted_value() {
    let r = ApiResponse::error(
        400,
        "contacts",
        "invalid type: string \"+447700900123\", expected struct Contacts",
    );
    assert_eq!(
        r.body.unwrap()["reason"],
        "invalid type: string \"…\", expected struct Contacts"
    );
}

#[tokio::test]
async fn a_put_customer_is_read_back_with_its_etag_and_an_unknown_one_is_a_404() {
    let s = service();
    assert_eq!(
        call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:00:00Z")
            .await
            .status,
        404
    );
    let put = call(&s, "PUT", "/customers/c-1", None, profile(), "2026-11-20T09:00:00Z").await;
    assert_eq!((put.status, put.etag), (200, Some(1)), "{put:?}");
    let got = call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:01:00Z").await;
    assert_eq!((got.status, got.etag_header().as_deref()), (200, Some("\"1\"")));
    assert_eq!(got.body.as_ref().unwrap()["profile"], profile());
    let prefs = call(
        &s,
        "GET",
        "/customers/c-1/preferences",
        None,
        Value::Null,
        "2026-11-20T09:01:00Z",
    )
    .await;
    assert_eq!(prefs.body.unwrap(), json!({"locale": "en-GB"}));
}

#[tokio::test]
async fn a_patch_on_a_stale_etag_is_a_412_and_the_other_change_is_kept() {
    let s = service();
    call(&s, "PUT", "/customers/c-1", None, profile(), "2026-11-20T09:00:00Z").await;
    let first = call(
        &s,
        "PATCH",
        "/customers/c-1",
        Some("\"1\""),
        json!({"set": {"locale": "pt-PT"}}),
        "2026-11-20T09:01:00Z",
    )
    .await;
    assert_eq!((first.status, first.etag), (200, Some(2)));
    let stale = call(
        &s,
        "PATCH",
        "/customers/c-1",
        Some("\"1\""),
        json!({"set": {"time_zone": "Asia/Tokyo"}}),
        "2026-11-20T09:02:00Z",
    )
    .await;
    assert_eq!((stale.status, stale.etag), (412, Some(2)), "{stale:?}");
    let got = call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:03:00Z").await;
    let p = &got.body.unwrap()["profile"];
    assert_eq!(
        (p["locale"].as_str(), p["time_zone"].as_str()),
        (Some("pt-PT"), Some("Europe/Lisbon"))
    );
}

#[tokio::test]
async fn malformed_input_is_a_400_naming_the_field_as_the_events_do_below_their_detail() {
    let s = service();
    let cases = [
        (
            "PUT",
            "/customers/c-1",
            json!({"contacts": {"phone": "12345"}}),
            "contacts.phone",
        ),
        ("PUT", "/customers/c-1", json!({"nickname": "x"}), "nickname"),
        (
            "PATCH",
            "/customers/c-1",
            json!({"set": {"time_zone": "Mars/Base"}}),
            "set.time_zone",
        ),
        (
            "PATCH",
            "/customers/c-1",
            json!({"set": {"locale": "en-GB"}, "cleared": ["locale"]}),
            "cleared",
        ),
        ("PATCH", "/customers/c-1", json!({}), "$"),
        (
            "PUT",
            "/customers/c-1/devices/d",
            json!({"token": "a token", "platform": "apns", "kind": "phone", "app": "a"}),
            "token",
        ),
        ("PUT", "/customers/c-1/preferences", json!({"name": "x"}), "name"),
        (
            "PUT",
            "/customers/c-1/preferences",
            json!({"quiet_hours": {"start": "25:00", "end": "07:00"}}),
            "quiet_hours.start",
        ),
    ];
    for (method, path, body, field) in cases {
        let r = call(&s, method, path, None, body.clone(), "2026-11-20T09:00:00Z").await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        let b = r.body.unwrap();
        assert_eq!(b["field"], field, "{body}: {b}");
        assert!(!b["reason"].to_string().contains("a token"), "{b}");
    }
    let r = handle(
        &s,
        &ApiRequest {
            body: b"{".to_vec(),
            ..request("PUT", "/customers/c-1", None, Value::Null, "2026-11-20T09:00:00Z")
        },
    )
    .await
    .1;
    assert_eq!((r.status, r.body.unwrap()["field"].as_str()), (400, Some("$")));
}

#[tokio::test]
async fn an_erased_customer_answers_404_and_a_change_made_before_the_erasure_is_a_409() {
    let s = service();
    call(&s, "PUT", "/customers/c-1", None, profile(), "2026-11-20T09:00:00Z").await;
    let gone = call(
        &s,
        "DELETE",
        "/customers/c-1",
        Some("\"1\""),
        json!({"reference": "DSR-1"}),
        "2026-11-20T10:00:00Z",
    )
    .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    assert_eq!(
        call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T10:01:00Z")
            .await
            .status,
        404
    );
    let late = call(
        &s,
        "PATCH",
        "/customers/c-1",
        None,
        json!({"set": {"locale": "pt-PT"}}),
        "2026-11-20T09:30:00Z",
    )
    .await;
    assert_eq!(late.status, 409, "{late:?}");
    assert_eq!(late.body.unwrap()["field"], "locale");
    let stale = call(
        &s,
        "DELETE",
        "/customers/c-1",
        Some("\"1\""),
        Value::Null,
        "2026-11-20T11:00:00Z",
    )
    .await;
    assert_eq!(stale.status, 412, "no profile is held any more");
}

#[tokio::test]
async fn a_device_is_registered_shown_without_its_token_and_removed() {
    let s = service();
    call(&s, "PUT", "/customers/c-1", None, profile(), "2026-11-20T09:00:00Z").await;
    let body = json!({"token": "00aa11bb", "platform": "apns", "kind": "phone", "app": "com.example.bank"});
    let r = call(
        &s,
        "PUT",
        "/customers/c-1/devices/phone",
        None,
        body,
        "2026-11-20T09:01:00Z",
    )
    .await;
    assert_eq!((r.status, r.etag), (200, Some(1)), "{r:?}");
    let b = r.body.unwrap();
    assert_eq!(
        (b["device_id"].as_str(), b["platform"].as_str()),
        (Some("phone"), Some("apns"))
    );
    assert!(!b.to_string().contains("00aa11bb"), "{b}");
    let got = call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:02:00Z").await;
    assert_eq!(got.body.unwrap()["devices"].as_array().map(Vec::len), Some(1));
    let r = call(
        &s,
        "DELETE",
        "/customers/c-1/devices/phone",
        None,
        Value::Null,
        "2026-11-20T09:03:00Z",
    )
    .await;
    assert_eq!(r.status, 204);
    let got = call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:04:00Z").await;
    assert_eq!(got.body.unwrap()["devices"], json!([]));
}

#[tokio::test]
async fn put_preferences_sets_the_chosen_fields_clears_the_others_and_keeps_the_rest_of_the_profile() {
    let s = service();
    let mut p = profile();
    p["opted_out"] = json!(["sms"]);
    call(&s, "PUT", "/customers/c-1", None, p, "2026-11-20T09:00:00Z").await;
    let prefs = json!({"muted_categories": ["applications"], "quiet_hours": {"start": "22:00", "end": "07:00"}});
    let r = call(
        &s,
        "PUT",
        "/customers/c-1/preferences",
        Some("*"),
        prefs.clone(),
        "2026-11-20T09:01:00Z",
    )
    .await;
    assert_eq!((r.status, r.body.clone().unwrap()), (200, prefs), "{r:?}");
    let got = call(&s, "GET", "/customers/c-1", None, Value::Null, "2026-11-20T09:02:00Z")
        .await
        .body
        .unwrap();
    assert_eq!(got["profile"]["contacts"], profile()["contacts"]);
    assert_eq!(
        (got["profile"].get("opted_out"), got["profile"].get("locale")),
        (None, None)
    );
}
