//! `sweep`: every 15 minutes, fails delivery rows stuck past their horizon and reports each with `NotificationFailed`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    forewarn_aws::init_logging();
    forewarn_aws::functions::sweep().await
}
