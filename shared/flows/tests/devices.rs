//! Devices forewarn learned are dead, on the in-memory adapters: SNS's push feedback marks a
//! device unusable until a new registration, and a customer file imported again never revives
//! it nor overwrites what newer context events or the customer set.

mod common;

use common::{event, flight, memory, ts};
use forewarn_core::customer::{Channel, CustomerProfile};
use forewarn_core::engine::Destination;
use forewarn_core::events::ProfileField;
use forewarn_core::outcomes::{Outcome, OutcomeType};
use forewarn_flows::import::import;
use forewarn_flows::memory::run_ready as run;
use forewarn_flows::push_feedback::{PushEvent, PushFeedback, PushRefusal};
use serde_json::json;

const ARN: &str = "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd";

fn dead_token(endpoint: &str) -> PushFeedback {
    PushFeedback {
        endpoint: endpoint.into(),
        event: PushEvent::DeliveryFailure(PushRefusal::from_code("InvalidPlatformToken")),
        message_id: "sns-1".into(),
        at: ts("2026-12-02T09:00:00Z"),
    }
}

fn file(patch: serde_json::Value) -> CustomerProfile {
    let mut p = json!({"customer_id": "c-1", "locale": "en", "time_zone": "Europe/Lisbon",
        "contacts": {"phone": "+351912345678", "email": "ana@example.com"},
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "devices": [{"device_id": "p", "kind": "phone", "push_endpoint": ARN}]});
    for (k, v) in patch.as_object().unwrap() {
        p[k] = v.clone();
    }
    serde_json::from_value(p).unwrap()
}

#[test]
fn a_delivery_failure_sns_reports_makes_the_device_unusable_and_the_next_push_first_notice_falls_over() {
    let (m, s) = memory(json!({}));
    let r = run(s.push_feedback(&dead_token(ARN), ts("2026-12-02T09:00:05Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Recorded, "{r:?}");
    let disabled = m.disabled.borrow().clone();
    assert_eq!(disabled.len(), 1);
    assert_eq!(
        disabled[0].2,
        "the push service rejected the token (InvalidPlatformToken) on 2026-12-02"
    );
    let outcomes = m.outcomes.borrow().clone();
    assert_eq!(outcomes[0].detail_type, OutcomeType::DeviceDisabled);
    assert!(
        outcomes[0].reasons.iter().all(|why| !why.contains("arn:")),
        "{:?}",
        outcomes[0].reasons
    );
    // A flight delay goes push first; with its only device dead it goes by SMS, saying push
    // was skipped (the device's own reason is on the device: `forewarn explain` shows it).
    let r = run(s.notify(&flight("f-1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    let sent = m.sent.borrow().clone();
    assert!(!sent.is_empty(), "{r:?}");
    assert!(
        sent.iter().all(|x| !matches!(x.to, Destination::Endpoint(_))),
        "{sent:?}"
    );
    assert!(
        r.reasons.iter().any(|why| why.starts_with("push skipped")),
        "{:?}",
        r.reasons
    );
    assert!(sent.iter().any(|x| matches!(x.to, Destination::Phone(_))), "{sent:?}");
}

#[test]
fn the_same_failure_again_keeps_the_first_reason_and_an_unknown_endpoint_is_unmatched() {
    let (m, s) = memory(json!({}));
    run(s.push_feedback(&dead_token(ARN), ts("2026-12-02T09:00:05Z"))).unwrap();
    let again = run(s.push_feedback(&dead_token(ARN), ts("2026-12-02T09:10:00Z"))).unwrap();
    assert!(again.duplicate, "{again:?}");
    assert_eq!(m.disabled.borrow().len(), 1);
    let other = run(s.push_feedback(
        &dead_token("arn:aws:sns:eu-west-1:1:endpoint/GCM/app/zz"),
        ts("2026-12-02T09:00:05Z"),
    ))
    .unwrap();
    assert_eq!(other.outcome, Outcome::Unmatched);
}

#[test]
fn a_failure_that_is_not_the_device_s_fault_leaves_it_usable() {
    let (m, s) = memory(json!({}));
    let fb = PushFeedback {
        event: PushEvent::DeliveryFailure(PushRefusal::from_code("InvalidNotificationLength")),
        ..dead_token(ARN)
    };
    let r = run(s.push_feedback(&fb, ts("2026-12-02T09:00:05Z"))).unwrap();
    assert_eq!(r.outcome, Outcome::Suppressed);
    assert!(m.disabled.borrow().is_empty());
}

#[test]
fn a_re_import_of_the_same_file_does_not_revive_a_dead_device() {
    let (m, s) = memory(json!({}));
    run(s.push_feedback(&dead_token(ARN), ts("2026-12-02T09:00:05Z"))).unwrap();
    let plan = run(import(&m, &file(json!({})), false)).unwrap();
    assert!(plan.devices_written.is_empty(), "{plan:?}");
    assert!(
        plan.kept.iter().any(|k| k.contains("device p stays unusable")),
        "{plan:?}"
    );
    let p = m.profiles.borrow()[0].clone();
    assert_eq!(p.devices.len(), 1);
    let part = run(forewarn_flows::ports::Partitions::load(&m, &p.customer_id, None)).unwrap();
    assert!(part.profile.unwrap().devices[0].disabled_reason.is_some());
}

#[test]
fn an_import_never_overwrites_a_field_a_context_event_set_nor_a_stop_opt_out() {
    let (m, s) = memory(json!({}));
    let changed = event(
        "ch-1",
        "CustomerChanged",
        json!({"customer_id": "c-1", "set": {"locale": "pt-PT"}, "changed_at": "2026-11-20T10:00:00Z"}),
        "2026-11-20T10:00:00Z",
    );
    run(s.context(&changed, changed.time.0)).unwrap();
    m.opt_outs
        .borrow_mut()
        .push((file(json!({})).customer_id, Channel::Sms));
    let dry = run(import(&m, &file(json!({"name": "Ana"})), true)).unwrap();
    assert_eq!(dry.fields_set, vec![ProfileField::Name], "{dry:?}");
    assert!(
        dry.kept.iter().any(|k| k.starts_with("locale: a newer change")),
        "{dry:?}"
    );
    assert!(dry.kept.iter().any(|k| k.contains("sms opt-out")), "{dry:?}");
    assert_eq!(m.profiles.borrow()[0].name, None, "a dry run writes nothing");
    run(import(&m, &file(json!({"name": "Ana"})), false)).unwrap();
    let p = m.profiles.borrow()[0].clone();
    assert_eq!((p.name.as_deref(), p.locale.as_deref()), (Some("Ana"), Some("pt-PT")));
    // An import replaces what an earlier import set; a later event still wins over both.
    let again = run(import(&m, &file(json!({"name": "Ana Sousa"})), false)).unwrap();
    assert_eq!(again.fields_set, vec![ProfileField::Name], "{again:?}");
}

#[test]
fn a_new_registration_is_the_only_thing_that_makes_a_dead_device_usable_again() {
    let (m, s) = memory(json!({"devices": []}));
    let register = |id: &str, at: &str| {
        event(
            id,
            "DeviceRegistered",
            json!({"customer_id": "c-1", "device_id": "p", "platform": "apns", "kind": "phone",
                "app": "com.example.bank", "changed_at": at,
                "token": "5f1c0ffee0000000000000000000000000000000000000000000000000000a01"}),
            at,
        )
    };
    let first = register("r-1", "2026-12-01T09:00:00Z");
    run(s.context(&first, first.time.0)).unwrap();
    let arn = m.profiles.borrow()[0].devices[0].push_endpoint.clone().unwrap();
    run(s.push_feedback(&dead_token(&arn), ts("2026-12-02T09:00:05Z"))).unwrap();
    // The same registration redelivered is no new registration.
    run(s.context(&first, first.time.0)).unwrap();
    assert_eq!(m.disabled.borrow().len(), 1);
    // The app registering the same token again, later, does: SNS's recipe enables it again.
    let later = register("r-2", "2026-12-03T09:00:00Z");
    run(s.context(&later, later.time.0)).unwrap();
    assert!(m.disabled.borrow().is_empty());
}

#[test]
fn an_erased_customer_is_not_brought_back_by_an_import() {
    let (m, s) = memory(json!({}));
    let erase = event(
        "er-1",
        "CustomerErased",
        json!({"customer_id": "c-1", "changed_at": "2026-11-25T06:00:00Z"}),
        "2026-11-25T06:00:00Z",
    );
    run(s.context(&erase, erase.time.0)).unwrap();
    let plan = run(import(&m, &file(json!({})), false)).unwrap();
    assert!(plan.is_empty(), "{plan:?}");
    assert!(plan.kept[0].contains("erased"), "{plan:?}");
    assert!(m.profiles.borrow().is_empty());
}

#[test]
fn a_device_the_app_registered_keeps_its_registration_over_the_file_s_entry() {
    let (m, s) = memory(json!({"devices": []}));
    let reg = event(
        "r-1",
        "DeviceRegistered",
        json!({"customer_id": "c-1", "device_id": "p", "platform": "apns", "kind": "phone",
            "app": "com.example.bank", "changed_at": "2026-12-01T09:00:00Z",
            "token": "5f1c0ffee0000000000000000000000000000000000000000000000000000a01"}),
        "2026-12-01T09:00:00Z",
    );
    run(s.context(&reg, reg.time.0)).unwrap();
    let registered = m.profiles.borrow()[0].devices[0].push_endpoint.clone();
    let plan = run(import(&m, &file(json!({})), false)).unwrap();
    assert!(plan.devices_written.is_empty(), "{plan:?}");
    assert!(
        plan.kept.iter().any(|k| k.contains("registered by the app")),
        "{plan:?}"
    );
    assert_eq!(m.profiles.borrow()[0].devices[0].push_endpoint, registered);
}
