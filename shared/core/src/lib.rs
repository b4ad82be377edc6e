//! forewarn's pure core: domain values, the input and outcome contracts, the decision
//! (policy, timing, zones) and the wording (messages, reply texts). No AWS SDK, no async
//! runtime and no storage formats: the flows, the Lambda functions and the simulator build on it.
//!
//! # Layout
//!
//! * Values: `types` (`Id`, `Instant`, `Money`, `Url`), `kinds` (`Channel`, `Category`,
//!   `DeviceKind`), `windows` (weekly time windows), `subject` (what a notice is about, exact
//!   or a prefix), `zones` (a phone's country to its time zones).
//! * The customer: `customer` (the stored profile's contract, and the parsed `Customer` the
//!   policy trusts, with `Customer::destination`, the one match of a channel to its address)
//!   and `habits` (learned hour-of-week habits per device).
//! * Contracts: `events` (EventBridge envelopes and their details; `DetailType`), `outcomes`
//!   (`Outcome`, the outcome events, `DispatchRequest`), `error` (input errors naming the JSON
//!   path) and `schemas` (the JSON Schemas generated from them).
//! * The catalog: `catalog` (every kind as data, built in) and `catalog_check` (what
//!   `forewarn catalog check` checks).
//! * Deciding: `policy` (whether, where and when, with reasons; `policy::Suppression`, why
//!   nothing is sent, with its metric class) and `timing`.
//! * Wording: `messages` (templates × channel × language), `conversation` (reply keywords and
//!   texts) and `engine` (decide and render in one step).
//! * Scale: `capacity` (the time a burst takes through each stage against AWS's quotas).

pub mod capacity;
pub mod catalog;
pub mod catalog_check;
pub mod conversation;
pub mod customer;
pub mod engine;
pub mod error;
pub mod events;
pub mod habits;
pub mod iso4217;
pub mod kinds;
pub mod messages;
pub mod outcomes;
pub mod policy;
pub mod schemas;
pub mod subject;
pub mod time_fault;
pub mod timing;
pub mod types;
pub mod unique_keys;
pub mod windows;
pub mod zones;
