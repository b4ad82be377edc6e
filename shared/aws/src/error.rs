//! Turns SDK errors into the core's `PortError`, telling retryable failures from permanent ones.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use forewarn_flows::PortError;

const RETRYABLE_CODES: [&str; 9] = [
    "KMSThrottling",
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

/// A provider's permanent refusal of one message on one channel, in plain words without
/// the provider's text (which may name the recipient): that channel fails and the alert
/// falls over to the next one, instead of the whole notification failing on every retry.
pub fn channel_refusal(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "EndpointDisabled" | "EndpointDisabledException" => "the push endpoint is disabled",
        "PlatformApplicationDisabled" => {
            "the push platform application is disabled (for example an expired APNs certificate)"
        }
        "InvalidParameter" | "ParameterValueInvalid" => "the provider refused the destination as invalid",
        "MessageRejected" => "SES rejected the message",
        "SendingPausedException" => "sending is paused for the SES account or configuration set",
        "AccountSuspendedException" => "the SES account is suspended",
        "MailFromDomainNotVerifiedException" => "the sender's MAIL FROM domain is not verified",
        "LimitExceededException" => "the SES sending quota is used up",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::channel_refusal;

    #[test]
    fn permanent_refusals_close_the_channel_and_throttling_or_unknown_codes_do_not() {
        for code in [
            "EndpointDisabled",
            "PlatformApplicationDisabled",
            "InvalidParameter",
            "MessageRejected",
            "SendingPausedException",
            "AccountSuspendedException",
            "MailFromDomainNotVerifiedException",
            "LimitExceededException",
        ] {
            assert!(channel_refusal(Some(code)).is_some(), "{code}");
        }
        for code in [
            Some("Throttling"),
            Some("InternalError"),
            Some("AuthorizationError"),
            None,
        ] {
            assert_eq!(channel_refusal(code), None, "{code:?}");
        }
    }
}
