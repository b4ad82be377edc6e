//! forewarn's pure core: event contracts, customer context, policy, timing and messages.
//! No AWS SDK and no async runtime: the Lambda functions and the simulator share it.

pub mod conversation;
pub mod customer;
pub mod engine;
pub mod events;
pub mod habits;
pub mod loops;
pub mod messages;
pub mod policy;
pub mod schemas;
pub mod service;
pub mod sim;
pub mod timing;
pub mod types;
pub mod zones;
