//! `context`: applies the bank's context events (profiles, devices, erasure) and keeps push endpoints.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::context().await
}
