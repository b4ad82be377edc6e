//! A port's failure, told apart as retryable (Lambda tries again) or permanent.

/// A port failed; `retryable` tells Lambda whether trying again can help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{port}: {message}")]
pub struct PortError {
    /// The service or step at fault: `dynamodb`, `sns`, `idempotency`, `input`, …
    pub port: &'static str,
    pub message: String,
    pub retryable: bool,
}

impl PortError {
    pub fn retryable(port: &'static str, message: impl Into<String>) -> Self {
        PortError {
            port,
            message: message.into(),
            retryable: true,
        }
    }
    pub fn permanent(port: &'static str, message: impl Into<String>) -> Self {
        PortError {
            port,
            message: message.into(),
            retryable: false,
        }
    }
}
