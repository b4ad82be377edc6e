//! forewarn's flows, written once: notify, dispatch, resolve, reply, feedback and activity,
//! each over only the ports it uses. The Lambda functions run them on the AWS adapters; the
//! simulator runs them on the in-memory adapters with a virtual clock. No SDK, no async runtime.
//!
//! # Layout
//!
//! * `ports`: one narrow trait per capability (`Partitions`, `Claims`, `Deliveries`, …,
//!   `Sender`, `Scheduler`, `Bus`); `error`: `FlowError`, what makes a flow fail (the `Port`
//!   that failed, busy, render, corrupt, input, an illegal move), and whether a retry helps.
//! * `records`: what the flows store, and the partition one read returns
//!   (`Partition::customer`, the one reader of the stored profile).
//! * `state`: the delivery state machine, written once; every store checks its writes
//!   against it. `stuck`: rows left pending long after their time.
//! * One module per flow, each an `impl` block on `Service`: `notify`, `dispatch`,
//!   `resolve`, `reply` (with `matching` and `limits`), `feedback` (with `reroute`), `push_feedback` (SNS's word on an endpoint), `sms_feedback` (the SMS provider's delivery events), `receipt` (a critical text not reported delivered in time),
//!   `activity`, `context` (profiles, devices and erasure from the bank's events), and the
//!   sweep in `stuck`.
//! * Steps the flows share: `send`, `cancel`, `reminder`, `report`; `metrics`, counted at
//!   the step they count, from enums (never from a reason's words).
//! * `memory`: in-memory adapters for every port, with the table's conditions; `sim`: the
//!   simulator on them.

pub mod activity;
pub mod cancel;
pub mod context;
pub mod dispatch;
pub mod error;
pub mod feedback;
pub mod import;
mod limits;
pub mod matching;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod ports;
pub mod push_feedback;
pub mod receipt;
pub mod records;
pub mod rejection;
pub mod reminder;
pub mod reply;
pub mod report;
pub mod reroute;
pub mod resolve;
pub mod send;
pub mod service;
pub mod sim;
pub mod sms_feedback;
pub mod stamped;
pub mod state;
pub mod stuck;

pub use error::{FlowError, Port};
pub use report::Report;
pub use service::Service;
