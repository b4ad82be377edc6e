//! `hello-lambda`: the smallest `lambda_runtime` function, the baseline forewarn's init times are compared with.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|e: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(json!({"hello": e.payload}))
    }))
    .await
}
