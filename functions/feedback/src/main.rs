//! `feedback`: SES delivery feedback: records deliveries, stops email to hard-bounced or complaining addresses.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::feedback().await
}
