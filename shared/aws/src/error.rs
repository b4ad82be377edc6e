//! Turns SDK errors into the core's `PortError`, telling retryable failures from permanent ones.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use forewarn_flows::PortError;

const RETRYABLE_CODES: [&str; 8] = [
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "InternalServerError",
    "ServiceUnavailable",
    "InternalFailure",
];

/// Classifies an SDK error: throttling, 5xx, timeouts and connection failures are retryable.
pub fn port_error<E, R>(port: &'static str, err: SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(s) => {
            s.raw().status() >= 500 || s.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c))
        }
        _ => false,
    };
    let message = match err.code() {
        Some(code) => format!("{code}: {}", err.message().unwrap_or("no message")),
        None => format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&err)),
    };
    PortError {
        port,
        message,
        retryable,
    }
}

/// The HTTP status of a raw response.
pub trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}
