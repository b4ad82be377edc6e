//! `dispatch`: invoked by an EventBridge Scheduler schedule to send one scheduled delivery.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::dispatch().await
}
