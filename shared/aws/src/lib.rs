//! forewarn's AWS side: adapters behind the core's ports (DynamoDB, SNS, SES, EventBridge,
//! Scheduler), configuration from the environment, and the Lambda handlers the functions run.

pub mod bus;
pub mod config;
pub mod counter;
pub mod dynamo;
pub mod error;
pub mod handler;
pub mod scheduler;
pub mod sender;
pub mod tls;

pub use config::Config;
pub use handler::{Function, run};
