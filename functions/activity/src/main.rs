//! `activity`: learns each device's usual hours from CustomerActivity sessions.

use forewarn_aws::{Config, Function, handler::init_logging, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Config::from_env()?;
    run(Function::Activity, config).await
}
