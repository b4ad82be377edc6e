//! forewarn's pure core: domain values, the input and outcome contracts, the decision
//! (policy, timing, zones) and the wording (messages, reply texts). No AWS SDK, no async
//! runtime and no storage formats: the flows, the Lambda functions and the simulator build on it.

pub mod catalog;
pub mod catalog_check;
pub mod conversation;
pub mod customer;
pub mod engine;
pub mod error;
pub mod events;
pub mod habits;
pub mod kinds;
pub mod messages;
pub mod outcomes;
pub mod policy;
pub mod schemas;
pub mod subject;
pub mod timing;
pub mod types;
pub mod windows;
pub mod zones;
