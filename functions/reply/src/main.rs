//! `reply`: two-way SMS: matches YES/NO answers to open fraud questions, records STOP, answers HELP.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::reply().await
}
