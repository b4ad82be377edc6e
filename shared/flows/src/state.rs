//! The delivery state machine, written once: which moves a row may make, and the send lease
//! that makes "only the worker that took the row sends it" hold when workers die or retry.
//!
//! ```text
//! scheduled ──take──▶ sending ──provider took it──▶ sent ──hard bounce──▶ failed
//!     │                 │ ▲ │
//!     │                 │ └─┘ taken over once its lease ran out (attempt + 1)
//!     │                 ├──no provider would take it──▶ failed
//!     │                 ├──released after a retryable error──▶ scheduled
//!     │                 └──no longer allowed when taken──▶ cancelled
//!     ├──withdrawn (resolved, superseded, opted out)──▶ cancelled
//!     ├──too late to be worth sending──▶ expired
//!     └──still not taken hours after its time (stuck: every firing failed)──▶ failed
//! ```
//!
//! Every move is a conditional write on the state the mover read (and, out of `sending`,
//! on the attempt it holds), so two workers never both act on one row.

use forewarn_core::policy::DeliveryStatus;
use jiff::{Timestamp, ToSpan};

pub use crate::error::IllegalMove;
use crate::records::{Commit, Finish, StoredDelivery};

/// Whether a row may move from `from` to `to`.
pub fn may_move(from: DeliveryStatus, to: DeliveryStatus) -> bool {
    use DeliveryStatus::*;
    matches!(
        (from, to),
        (Scheduled, Sending | Cancelled | Expired | Failed)
            | (Sending, Sending | Sent | Failed | Scheduled | Cancelled | Expired)
            | (Sent, Failed)
    )
}

/// What every store asks before it writes a row that was `from` as `to`: a move the machine
/// allows, or facts recorded on a row that stays where it is (a receipt on a sent row, a
/// failed row's report). A debug build (the tests, the simulator) stops at the bug at once;
/// a release build refuses the write.
pub fn check_move(from: DeliveryStatus, to: DeliveryStatus) -> Result<(), IllegalMove> {
    refuse_unless(from == to || may_move(from, to), Some(from), to)
}

/// What every store asks before it writes a row new: a row begins `scheduled`, or `sending`
/// when the worker that writes it sends it at once.
pub fn check_new(to: DeliveryStatus) -> Result<(), IllegalMove> {
    refuse_unless(matches!(to, DeliveryStatus::Scheduled), None, to)
}

/// What a store asks before writing a row as taken: a take writes `sending` (the store's
/// condition holds it to a `scheduled` row or a `sending` one whose lease ran out).
pub fn check_take(to: DeliveryStatus) -> Result<(), IllegalMove> {
    refuse_unless(to == DeliveryStatus::Sending, Some(DeliveryStatus::Scheduled), to)
}

/// The checks of a commit's writes: its new rows begin scheduled, the rows it cancels leave
/// `scheduled` (the commit's condition) for their new state.
pub fn check_commit(c: &Commit) -> Result<(), IllegalMove> {
    c.new_rows.iter().try_for_each(|r| check_new(r.record.status))?;
    c.cancel
        .iter()
        .try_for_each(|r| check_move(DeliveryStatus::Scheduled, r.record.status))
}

/// The checks of a finish's writes: the only rows it writes are new (a reminder).
pub fn check_finish(f: &Finish) -> Result<(), IllegalMove> {
    f.rows.iter().try_for_each(|r| check_new(r.record.status))
}

fn refuse_unless(allowed: bool, from: Option<DeliveryStatus>, to: DeliveryStatus) -> Result<(), IllegalMove> {
    let refused = IllegalMove { from, to };
    debug_assert!(allowed, "{refused}");
    if allowed { Ok(()) } else { Err(refused) }
}

/// Whether a worker may take `row` at `now`: it is scheduled, or its sender's lease ran out.
pub fn takeable(row: &StoredDelivery, now: Timestamp) -> bool {
    match row.record.status {
        DeliveryStatus::Scheduled => true,
        DeliveryStatus::Sending => row.lease_until.is_none_or(|until| until <= now),
        _ => false,
    }
}

/// `row` as the worker taking it at `now` writes it: `sending`, leased for `lease_seconds`,
/// with the next attempt number.
pub fn taken(row: &StoredDelivery, now: Timestamp, lease_seconds: i64) -> StoredDelivery {
    let mut r = row.clone();
    r.record.status = DeliveryStatus::Sending;
    r.lease_until = Some(now + lease_seconds.seconds());
    r.attempt = row.attempt + 1;
    r
}

/// `row` handed back to `scheduled` after a retryable failure, so a retry takes it at once.
pub fn released(row: &StoredDelivery) -> StoredDelivery {
    let mut r = row.clone();
    r.record.status = DeliveryStatus::Scheduled;
    r.lease_until = None;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    const ALL: [DeliveryStatus; 6] = [Scheduled, Sending, Sent, Cancelled, Failed, Expired];

    /// What a store's check does with `check`: `Ok`, or the refusal (a debug build panics first).
    fn refusal(check: impl FnOnce() -> Result<(), IllegalMove> + std::panic::UnwindSafe) -> Option<String> {
        match std::panic::catch_unwind(check) {
            Ok(Ok(())) => None,
            Ok(Err(refused)) => Some(refused.to_string()),
            Err(panic) => Some(panic.downcast_ref::<String>().cloned().unwrap_or_default()),
        }
    }

    #[test]
    fn a_store_writes_every_move_the_machine_allows_or_facts_in_place_and_refuses_every_other() {
        for from in ALL {
            for to in ALL {
                let refused = refusal(move || check_move(from, to));
                let allowed = may_move(from, to) || from == to;
                assert_eq!(refused.is_none(), allowed, "{from:?} → {to:?}: {refused:?}");
                if let Some(why) = refused {
                    assert!(why.contains(&format!("{from:?} as {to:?}")), "{why}");
                }
            }
        }
    }

    #[test]
    fn a_row_is_written_new_only_as_scheduled_and_taken_only_as_sending() {
        for to in ALL {
            assert_eq!(
                refusal(move || check_new(to)).is_none(),
                to == Scheduled,
                "new as {to:?}"
            );
        }
        for to in ALL {
            assert_eq!(
                refusal(move || check_take(to)).is_none(),
                to == Sending,
                "taken as {to:?}"
            );
        }
    }

    #[test]
    fn only_sending_leads_to_sent() {
        for from in ALL {
            assert_eq!(may_move(from, Sent), from == Sending, "{from:?} → sent");
        }
    }

    #[test]
    fn nothing_leaves_cancelled_expired_or_failed() {
        for from in [Cancelled, Expired, Failed] {
            for to in ALL {
                assert!(!may_move(from, to), "{from:?} → {to:?}");
            }
        }
    }

    #[test]
    fn a_sent_row_can_only_turn_failed_by_a_later_bounce() {
        let targets: Vec<_> = ALL.into_iter().filter(|to| may_move(Sent, *to)).collect();
        assert_eq!(targets, [Failed]);
    }

    #[test]
    fn a_scheduled_row_is_never_sent_without_being_taken_first() {
        assert!(may_move(Scheduled, Sending));
        assert!(!may_move(Scheduled, Sent));
    }

    #[test]
    fn a_scheduled_row_no_worker_took_by_its_horizon_may_fail_as_stuck_without_being_sent() {
        // The sweep's move (`stuck`): the stores' check found it missing from the machine.
        assert!(may_move(Scheduled, Failed));
    }
}
