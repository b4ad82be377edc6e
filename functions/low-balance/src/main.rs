//! `low-balance`: decides and sends `LowBalance` events from the EventBridge rule.

use forewarn_core::events::DetailType;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::notify(Some(DetailType::LowBalance)).await
}
