//! What makes a flow fail, each failure told retryable (Lambda tries again) or permanent.

use std::fmt;

use forewarn_core::policy::DeliveryStatus;

/// The services behind the ports. An in-memory adapter names the service it stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    Dynamodb,
    Sns,
    /// AWS End User Messaging SMS (`pinpoint-sms-voice-v2`), when it sends the texts.
    SmsVoice,
    Ses,
    Scheduler,
    EventBridge,
}

impl Port {
    pub const ALL: [Port; 6] = [
        Port::Dynamodb,
        Port::Sns,
        Port::SmsVoice,
        Port::Ses,
        Port::Scheduler,
        Port::EventBridge,
    ];

    /// The service's name in errors, logs and Lambda's `error_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Port::Dynamodb => "dynamodb",
            Port::Sns => "sns",
            Port::SmsVoice => "smsvoice",
            Port::Ses => "ses",
            Port::Scheduler => "scheduler",
            Port::EventBridge => "eventbridge",
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A write a store was asked to make that the state machine does not allow: a bug in a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the state machine refuses to write a delivery row {} as {to:?}", from.map_or("new".to_owned(), |f| format!("{f:?}")))]
pub struct IllegalMove {
    /// The state the row was in, or `None` for a row written new.
    pub from: Option<DeliveryStatus>,
    pub to: DeliveryStatus,
}

/// Why a flow stopped; `retryable()` tells Lambda whether trying again can help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// A service failed or refused the request.
    #[error("{port}: {message}")]
    Port {
        port: Port,
        message: String,
        retryable: bool,
    },
    /// Another invocation holds the event's claim or the row's send lease, or kept changing
    /// what this one read: retry later.
    #[error("busy: {0}")]
    Busy(String),
    /// A message could not be written from its template.
    #[error("render: {0}")]
    Render(String),
    /// A stored record that cannot be read; `record` names it by its ids, never by a person's
    /// data.
    #[error("unreadable {record}: {reason}")]
    Corrupt { record: String, reason: String },
    /// Not the event this flow takes.
    #[error("input: {0}")]
    Input(String),
    /// A store was asked for a write the delivery state machine forbids: a bug, refused.
    #[error(transparent)]
    IllegalMove(#[from] IllegalMove),
}

impl FlowError {
    /// A failure of `port` that may pass: throttling, a 5xx, a timeout.
    pub fn transient(port: Port, message: impl Into<String>) -> Self {
        FlowError::Port {
            port,
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure of `port` that trying again cannot mend.
    pub fn permanent(port: Port, message: impl Into<String>) -> Self {
        FlowError::Port {
            port,
            message: message.into(),
            retryable: false,
        }
    }

    /// A stored record that cannot be read.
    pub fn corrupt(record: impl Into<String>, reason: impl fmt::Display) -> Self {
        FlowError::Corrupt {
            record: record.into(),
            reason: reason.to_string(),
        }
    }

    /// Whether Lambda's retry can succeed where this invocation failed.
    pub fn retryable(&self) -> bool {
        match self {
            FlowError::Port { retryable, .. } => *retryable,
            FlowError::Busy(_) => true,
            FlowError::Render(_) | FlowError::Corrupt { .. } | FlowError::Input(_) | FlowError::IllegalMove(_) => false,
        }
    }

    /// One error of every shape: each port both ways, and each other variant; the lists of
    /// what can fail (Lambda's `error_type`s) are derived from it.
    pub fn every_shape() -> Vec<FlowError> {
        let ports = Port::ALL
            .into_iter()
            .flat_map(|p| [FlowError::transient(p, ""), FlowError::permanent(p, "")]);
        let others = [
            FlowError::Busy(String::new()),
            FlowError::Render(String::new()),
            FlowError::corrupt("", ""),
            FlowError::Input(String::new()),
            FlowError::IllegalMove(IllegalMove {
                from: None,
                to: DeliveryStatus::Sent,
            }),
        ];
        let all: Vec<FlowError> = ports.chain(others).collect();
        for e in &all {
            // A new variant stops the build here until it has a shape in the list above.
            match e {
                FlowError::Port { .. }
                | FlowError::Busy(_)
                | FlowError::Render(_)
                | FlowError::Corrupt { .. }
                | FlowError::Input(_)
                | FlowError::IllegalMove(_) => {}
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_error_reads_as_the_service_then_its_message() {
        let e = FlowError::transient(Port::EventBridge, "Throttling: rate exceeded");
        assert_eq!(e.to_string(), "eventbridge: Throttling: rate exceeded");
        assert!(e.retryable());
        assert!(!FlowError::permanent(Port::Ses, "MessageRejected").retryable());
    }

    #[test]
    fn only_a_busy_claim_or_a_passing_port_failure_is_worth_a_retry() {
        let retryable: Vec<String> = FlowError::every_shape()
            .iter()
            .filter(|e| e.retryable())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            retryable,
            [
                "dynamodb: ",
                "sns: ",
                "smsvoice: ",
                "ses: ",
                "scheduler: ",
                "eventbridge: ",
                "busy: "
            ]
        );
    }

    #[test]
    fn every_port_names_a_different_service() {
        let mut names: Vec<&str> = Port::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Port::ALL.len());
    }
}
