//! Turns SDK errors into the flows' `FlowError`, telling retryable failures from permanent ones.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::operation::BuildError;
use forewarn_flows::{FlowError, Port};

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
pub fn port_error<E, R>(port: Port, err: SdkError<E, R>) -> FlowError
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
    // The provider's own text may name the recipient: it is kept only with every address and
    // number in it masked.
    let message = match err.code() {
        Some(code) => format!("{code}: {}", scrub(err.message().unwrap_or("no message"))),
        None => scrub(&format!(
            "{}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
    };
    FlowError::Port {
        port,
        message,
        retryable,
    }
}

/// A request the SDK would not build (a required field left out): forewarn's own bug, which a
/// retry cannot mend. One mapping for every builder of every client.
pub fn unbuilt(port: Port) -> impl Fn(BuildError) -> FlowError + Copy {
    move |e| FlowError::permanent(port, e.to_string())
}

/// `text` with every email address and every run of seven or more digits (a phone number,
/// with or without its `+`) masked as the rest of forewarn masks them.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let start = out.chars().rev().take_while(|c| word(*c)).count();
            let local: String = out.chars().skip(out.chars().count() - start).collect();
            let end = (i + 1..chars.len()).find(|&j| !word(chars[j])).unwrap_or(chars.len());
            let domain: String = chars[i + 1..end].iter().collect();
            for _ in 0..start {
                out.pop();
            }
            out += &forewarn_core::customer::mask_email(&format!("{local}@{domain}"));
            i = end;
            continue;
        }
        let plus = usize::from(chars[i] == '+');
        let run = chars[i + plus..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run >= 7 {
            let number: String = chars[i..i + plus + run].iter().collect();
            out += &forewarn_core::customer::mask_phone(&format!("+{}", number.trim_start_matches('+')));
            i += plus + run;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
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
        "OptedOut" | "OptedOutException" => "the number is on the account's SMS opt-out list",
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
    use super::{channel_refusal, scrub};

    #[test]
    fn a_provider_message_keeps_its_words_but_not_the_address_or_number_it_names() {
        let text = "Email address is not verified: ana.silva@example.com; +351912345678 is opted out (request 12345)";
        let s = scrub(text);
        assert!(!s.contains("ana.silva") && !s.contains("912345678"), "{s}");
        assert!(s.contains("a***@example.com") && s.contains("+351*******78"), "{s}");
        assert!(
            s.contains("Email address is not verified") && s.contains("(request 12345)"),
            "{s}"
        );
        assert_eq!(scrub("plain words"), "plain words");
    }

    #[test]
    fn permanent_refusals_close_the_channel_and_throttling_or_unknown_codes_do_not() {
        for code in [
            "EndpointDisabled",
            "PlatformApplicationDisabled",
            "InvalidParameter",
            "OptedOut",
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
