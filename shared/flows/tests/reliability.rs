//! The delivery guarantees on the in-memory adapters: each row is its own unit of work, a
//! step that is not the message never sends it again, and a row goes out once or is
//! accounted for. The fault-injecting end-to-end tests check the same on the real parts.

use forewarn_core::customer::Channel;
use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::run_ready as run;
use serde_json::json;

mod common;
use common::*;

#[test]
fn a_push_that_fails_on_one_device_fails_over_to_the_other_device_and_both_rows_are_kept() {
    let (m, s) = memory(json!({"devices": [
        {"device_id": "p", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd",
            "last_seen": "2026-11-23T11:00:00Z"},
        {"device_id": "t", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/efgh",
            "last_seen": "2026-11-22T11:00:00Z"}]}));
    m.unreachable.borrow_mut().push("abcd".into());
    let r = run(s.notify(&flight("f1", "2026-11-23T12:00:00Z"), ts("2026-11-23T12:00:00Z"))).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(m.sent.borrow()[0].to.masked(), "endpoint/…efgh");
    let rows: Vec<_> = m
        .rows
        .borrow()
        .iter()
        .map(|r| {
            (
                r.record.channel,
                r.device_id.as_ref().map(|d| d.to_string()),
                r.record.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Channel::Push, Some("p".into()), DeliveryStatus::Failed),
            (Channel::Push, Some("t".into()), DeliveryStatus::Sent)
        ]
    );
    assert_ne!(
        m.rows.borrow()[0].key(),
        m.rows.borrow()[1].key(),
        "each device's row has its own key"
    );
    assert!(m.claims.borrow()[0].1.completed);
}
