//! forewarn's flows, written once: notify, dispatch, resolve, reply, feedback and activity,
//! each over only the ports it uses. The Lambda functions run them on the AWS adapters; the
//! simulator runs them on the in-memory adapters with a virtual clock. No SDK, no async runtime.

pub mod activity;
pub mod cancel;
pub mod dispatch;
pub mod error;
pub mod feedback;
mod limits;
pub mod matching;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod ports;
pub mod records;
pub mod reminder;
pub mod reply;
pub mod report;
pub mod reroute;
pub mod resolve;
pub mod send;
pub mod service;
pub mod sim;
pub mod state;
pub mod stuck;

pub use error::{FlowError, Port};
pub use report::Report;
pub use service::Service;
