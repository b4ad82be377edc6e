//! forewarn's AWS side: adapters behind the flows' ports (DynamoDB, SNS, SES, EventBridge,
//! Scheduler) with every key format and SDK call, configuration from the environment, and
//! the Lambda glue each function runs.

pub mod bus;
pub mod config;
pub mod counter;
pub mod dynamo;
pub mod emf;
pub mod error;
pub mod functions;
pub mod handler;
pub mod scheduler;
pub mod sender;
pub mod ses;
pub mod sns;
pub mod tls;

pub use handler::init_logging;
