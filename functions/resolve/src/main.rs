//! `resolve`: cancels pending deliveries when a resolving event (BalanceRestored, …) arrives.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::resolve().await
}
