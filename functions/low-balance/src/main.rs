//! `low-balance`: decides and sends `LowBalance` events from the EventBridge rule.

use forewarn_aws::{Config, Function, handler::init_logging, run};
use forewarn_core::events::DetailType;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Config::from_env()?;
    run(Function::Notify(DetailType::LowBalance), config).await
}
