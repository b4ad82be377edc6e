//! `reply`: two-way SMS: matches YES/NO answers to open fraud questions, records STOP, answers HELP.

use forewarn_aws::{Config, Function, handler::init_logging, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let config = Config::from_env()?;
    run(Function::Reply, config).await
}
