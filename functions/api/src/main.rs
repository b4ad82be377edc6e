//! `api`: the HTTP API (a function URL, IAM-signed) that does what the context events do, answering at once.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::api().await
}
