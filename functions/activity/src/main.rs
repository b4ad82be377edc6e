//! `activity`: learns each device's usual hours from CustomerActivity sessions.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::activity().await
}
