//! Every way the policy suppresses a notice maps to its own bounded metric class, read from
//! the suppression a real decision gives (so a reworded reason cannot move its count).

use forewarn_flows::memory::run_ready as run;
use forewarn_flows::metrics::suppression_class;
use serde_json::json;

mod common;
use common::*;

#[test]
fn each_real_suppression_has_its_own_metric_class() {
    let at = "2026-11-23T12:00:00Z";
    let class = |s: &forewarn_flows::memory::MemoryService, e| {
        let r = run(s.notify(&e, ts(at))).unwrap();
        assert_eq!(r.outcome, forewarn_core::outcomes::Outcome::Suppressed, "{r:?}");
        suppression_class(r.suppression.as_ref())
    };
    let (_, s) = memory(json!({}));
    let mut stranger = low_balance("x", at);
    if let forewarn_core::events::Detail::LowBalance(d) = &mut stranger.detail {
        d.customer_id = forewarn_core::types::Id::parse("nobody").unwrap();
    }
    assert_eq!(class(&s, stranger), "unknown_customer");

    run(s.notify(&low_balance("lb1", at), ts(at))).unwrap();
    assert_eq!(class(&s, low_balance("lb1", at)), "duplicate");
    assert_eq!(class(&s, low_balance("lb2", at)), "repeat");
    let account = |id: &str, account: &str| {
        let detail =
            json!({"customer_id": "c-1", "account_id": account, "balance": {"amount": "5.00", "currency": "EUR"}});
        event(id, "LowBalance", detail, at)
    };
    run(s.notify(&account("lb3", "b"), ts(at))).unwrap();
    assert_eq!(class(&s, account("lb4", "c")), "cap");

    let (_, s) = memory(json!({"devices": [], "contacts": {}}));
    assert_eq!(class(&s, fraud("st", at)), "no_channel");

    let (_, s) = memory(json!({}));
    let restored = event(
        "br",
        "BalanceRestored",
        json!({"customer_id": "c-1", "account_id": "a"}),
        "2026-11-23T12:05:00Z",
    );
    run(s.resolve(&restored, ts("2026-11-23T12:05:00Z"))).unwrap();
    assert_eq!(class(&s, low_balance("late", at)), "resolved");
}

#[test]
fn a_suppressed_input_that_says_not_why_is_counted_as_other() {
    assert_eq!(suppression_class(None), "other");
}
