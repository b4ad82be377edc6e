//! The stores hold every write to the delivery state machine: a move it forbids is refused
//! before anything is written (a debug build stops at it, as these tests run).

use std::panic::{AssertUnwindSafe, catch_unwind};

use forewarn_core::policy::DeliveryStatus;
use forewarn_flows::memory::run_ready as run;
use forewarn_flows::ports::Deliveries;

mod common;
use common::*;

/// The panic message of `f` in a debug build, or its error in a release build.
fn refusal<T: std::fmt::Debug>(f: impl FnOnce() -> Result<T, forewarn_flows::FlowError>) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => panic!("the store wrote an illegal move: {v:?}"),
        Ok(Err(e)) => e.to_string(),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    }
}

#[test]
fn the_memory_store_refuses_to_move_a_sent_row_back_to_scheduled_and_keeps_it_as_it_was() {
    let (m, s) = memory(serde_json::json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let sent = m.rows.borrow()[0].clone();
    assert_eq!(sent.record.status, DeliveryStatus::Sent);
    let mut back = sent.clone();
    back.record.status = DeliveryStatus::Scheduled;
    let why = refusal(|| run(m.transition(&back, DeliveryStatus::Sent)));
    assert!(why.contains("Sent as Scheduled"), "{why}");
    assert_eq!(m.rows.borrow()[0], sent, "nothing was written");
}

#[test]
fn the_memory_store_refuses_a_row_written_new_as_sent_and_a_take_that_does_not_write_sending() {
    let (m, s) = memory(serde_json::json!({}));
    run(s.notify(&fraud("st", "2026-11-23T03:00:00Z"), ts("2026-11-23T03:00:00Z"))).unwrap();
    let mut new = m.rows.borrow()[0].clone();
    new.record.channel = forewarn_core::customer::Channel::Email;
    let rows_before = m.rows.borrow().len();
    let why = refusal(|| run(m.insert(&new)));
    assert!(why.contains("new as Sent"), "{why}");
    let why = refusal(|| run(m.take(&new, ts("2026-11-23T03:01:00Z"))));
    assert!(why.contains("as Sent"), "{why}");
    assert_eq!(m.rows.borrow().len(), rows_before, "nothing was written");
}
