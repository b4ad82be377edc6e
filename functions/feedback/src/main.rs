//! `feedback`: SES delivery feedback: records deliveries, stops email to hard-bounced or complaining addresses.

use forewarn_aws::{Config, Function, handler::init_logging, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Config::from_env()?;
    run(Function::Feedback, config).await
}
