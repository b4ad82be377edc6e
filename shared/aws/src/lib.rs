//! forewarn's AWS side: adapters behind the flows' ports (DynamoDB, SNS, SES, EventBridge,
//! Scheduler) with every key format and SDK call, configuration from the environment, and
//! the Lambda glue each function runs.
//!
//! # Layout
//!
//! * `dynamo`: the single table; `dynamo::keys` spells every key (`Pk`, `Sk`) once.
//! * Providers: `sns` (SMS, push), `endpoints` (SNS platform endpoints from push tokens), `ses` (email, and its events), `sender` (the two behind the
//!   `Sender` port); `scheduler` and `bus`.
//! * `error`: SDK errors to `FlowError` (retryable or permanent; one mapping for builder
//!   errors), with provider text masked; `counter`: requests per service; `tls`; `emf`.
//! * `config`: `Env`, each function's settings from its environment, checked at start.
//! * `handler`: typed input per function, and `HandlerError` to Lambda's `Diagnostic`: every
//!   `error_type` is made there (`handler::error_types()` lists them); `functions`: one
//!   entry point per function, each building only its own clients.
//! * `api`: the HTTP API (routes, `If-Match`, statuses) over the context flow; `api_bodies`
//!   its JSON bodies; `api_openapi` its OpenAPI document; `api_serve` the `lambda_http` glue.

pub mod api;
pub mod api_bodies;
pub mod api_openapi;
pub mod api_serve;
pub mod bus;
pub mod config;
pub mod counter;
pub mod dynamo;
pub mod emf;
pub mod endpoints;
pub mod error;
pub mod functions;
pub mod handler;
pub mod push_feedback;
pub mod scheduler;
pub mod sender;
pub mod ses;
pub mod sms;
pub mod sns;
pub mod tls;

pub use handler::init_logging;
