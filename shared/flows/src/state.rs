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
//!     └──too late to be worth sending──▶ expired
//! ```
//!
//! Every move is a conditional write on the state the mover read (and, out of `sending`,
//! on the attempt it holds), so two workers never both act on one row.

use forewarn_core::policy::DeliveryStatus;
use jiff::{Timestamp, ToSpan};

use crate::records::StoredDelivery;

/// Whether a row may move from `from` to `to`.
pub fn may_move(from: DeliveryStatus, to: DeliveryStatus) -> bool {
    use DeliveryStatus::*;
    matches!(
        (from, to),
        (Scheduled, Sending | Cancelled | Expired)
            | (Sending, Sending | Sent | Failed | Scheduled | Cancelled | Expired)
            | (Sent, Failed)
    )
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
        assert!(!may_move(Scheduled, Failed));
    }
}
