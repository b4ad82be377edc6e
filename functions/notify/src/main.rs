//! `notify`: decides and sends any notifying kind the catalog declares (e.g. `PaymentDue`), from the EventBridge rule that lists them.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::notify(None).await
}
