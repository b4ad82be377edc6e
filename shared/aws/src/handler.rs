//! The Lambda handlers: parse the input, run the core's flow on the AWS adapters, report.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_lambda_events::sns::SnsEvent;
use forewarn_core::conversation::parse_inbound_sms;
use forewarn_core::engine::Engine;
use forewarn_core::events::{DetailType, EventError, parse_event_value};
use forewarn_core::loops::parse_email_feedback;
use forewarn_core::policy::{Policy, classify};
use forewarn_core::service::{DispatchRequest, PortError, Report, Service};
use jiff::Timestamp;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use tracing::{error, info, instrument};

use crate::bus::EventBridgeBus;
use crate::config::Config;
use crate::counter::RequestCounter;
use crate::dynamo::DynamoStore;
use crate::scheduler::AwsScheduler;
use crate::sender::AwsSender;

/// Which function this process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// Decides and sends one kind of notifying event.
    Notify(DetailType),
    /// Sends a scheduled delivery.
    Dispatch,
    /// Cancels pending deliveries when a resolving event arrives.
    Resolve,
    /// Two-way SMS: answers, STOP, HELP (inbound SMS through SNS).
    Reply,
    /// SES delivery, bounce and complaint events.
    Feedback,
    /// Learns device habits from `CustomerActivity` sessions.
    Activity,
}

/// Why an invocation failed; the `error_type` tells Lambda's record what happened.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] EventError),
    #[error("{0}")]
    Port(#[from] PortError),
}

impl HandlerError {
    pub fn retryable(&self) -> bool {
        matches!(self, HandlerError::Port(p) if p.retryable)
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = match &e {
            HandlerError::InvalidEvent(_) => "forewarn.InvalidEvent.NonRetryable".to_owned(),
            HandlerError::Port(p) if p.retryable => format!("forewarn.{}.Retryable", p.port),
            HandlerError::Port(p) => format!("forewarn.{}.NonRetryable", p.port),
        };
        Diagnostic {
            error_type,
            error_message: e.to_string(),
        }
    }
}

/// What an invocation returns: the flow's report and the requests it made per service.
#[derive(Debug, Serialize)]
pub struct Response {
    #[serde(flatten)]
    pub report: Report,
    pub requests: std::collections::BTreeMap<String, u32>,
    /// Time in the handler, and the part of it spent waiting on AWS services.
    pub elapsed_us: u64,
    pub service_us: u64,
}

pub type AwsService = Service<DynamoStore, AwsSender, AwsScheduler, EventBridgeBus>;

/// One process: the function, its wired service and its request counter.
pub struct App {
    pub function: Function,
    pub service: AwsService,
    pub counter: RequestCounter,
}

impl App {
    /// Builds every client once, from one `SdkConfig`, with the request counter attached.
    pub fn new(function: Function, config: &Config, sdk: &SdkConfig) -> App {
        let counter = RequestCounter::default();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let scheduler = aws_sdk_scheduler::Client::from_conf(
            aws_sdk_scheduler::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let service = Service {
            engine: Engine::new(Policy {
                daily_cap: config.daily_cap,
                reminder_minutes: config.reminder_minutes,
                claim_lease_seconds: config.claim_lease_seconds,
            }),
            store: DynamoStore::new(dynamodb, &config.table),
            sender: AwsSender {
                sns,
                ses,
                from_email: config.sender_email.clone(),
                configuration_set: config.ses_configuration_set.clone(),
                sms_origination: config.sms_origination.clone(),
            },
            scheduler: AwsScheduler {
                client: scheduler,
                group: config.schedule_group.clone(),
                dispatch_arn: config.dispatch_arn.clone(),
                role_arn: config.scheduler_role_arn.clone(),
            },
            bus: EventBridgeBus {
                client: events,
                bus: config.bus.clone(),
            },
        };
        App {
            function,
            service,
            counter,
        }
    }

    /// Handles one invocation.
    #[instrument(skip_all, fields(function = ?self.function, request_id = %event.context.request_id))]
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Response, HandlerError> {
        self.counter.take_all();
        let started = std::time::Instant::now();
        let result = self.run_flow(event.payload).await;
        let elapsed = started.elapsed();
        let (requests, waited) = self.counter.take_all();
        match result {
            Ok(report) => {
                info!(outcome = %report.outcome, sent = report.sent, scheduled = report.scheduled,
                      cancelled = report.cancelled, requests = ?requests, "done");
                Ok(Response {
                    report,
                    requests,
                    elapsed_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                    service_us: u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
                })
            }
            Err(e) => {
                error!(error = %e, retryable = e.retryable(), requests = ?requests, "failed");
                Err(e)
            }
        }
    }

    async fn run_flow(&self, payload: Value) -> Result<Report, HandlerError> {
        let now = Timestamp::now();
        match self.function {
            Function::Dispatch => {
                let request: DispatchRequest = serde_json::from_value(payload)
                    .map_err(|e| EventError::new("$", format!("not a dispatch request: {e}")))?;
                Ok(Box::pin(self.service.dispatch(&request, now)).await?)
            }
            Function::Notify(expected) => {
                let event = parse_event_value(payload)?;
                if event.detail_type() != expected {
                    return Err(EventError::new(
                        "detail-type",
                        format!("this function handles {expected}, not {}", event.detail_type()),
                    )
                    .into());
                }
                info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "deciding");
                Ok(Box::pin(self.service.notify(&event, now)).await?)
            }
            Function::Resolve => {
                let event = parse_event_value(payload)?;
                if classify(event.detail_type()).is_some() {
                    return Err(EventError::new(
                        "detail-type",
                        format!("{} is not a resolving event", event.detail_type()),
                    )
                    .into());
                }
                info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "resolving");
                Ok(Box::pin(self.service.resolve(&event, now)).await?)
            }
            Function::Reply => {
                let sns: SnsEvent = serde_json::from_value(payload)
                    .map_err(|e| EventError::new("Records", format!("not an SNS event: {e}")))?;
                if sns.records.is_empty() {
                    return Err(EventError::new("Records", "no inbound message").into());
                }
                let mut last = Report::default();
                for (i, record) in sns.records.iter().enumerate() {
                    let sms = parse_inbound_sms(&record.sns.message)
                        .map_err(|e| EventError::new(format!("Records[{i}].Sns.Message.{}", e.path), e.reason))?;
                    info!(inbound_message_id = %sms.inbound_message_id, intent = sms.intent.as_str(),
                          from = %sms.from.masked(), "replying");
                    last = Box::pin(self.service.reply(&sms, now)).await?;
                }
                Ok(last)
            }
            Function::Feedback => {
                let feedback = parse_email_feedback(&payload)?;
                info!(message_id = %feedback.message_id, kind = ?feedback.kind, "feedback");
                Ok(Box::pin(self.service.feedback(&feedback, now)).await?)
            }
            Function::Activity => {
                let event = parse_event_value(payload)?;
                if event.detail_type() != DetailType::CustomerActivity {
                    return Err(EventError::new(
                        "detail-type",
                        format!("this function handles CustomerActivity, not {}", event.detail_type()),
                    )
                    .into());
                }
                info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "learning");
                Ok(Box::pin(self.service.activity(&event, now)).await?)
            }
        }
    }
}

/// Runs the function until Lambda stops it: config and clients once, then the event loop.
pub async fn run(function: Function, config: Config) -> Result<(), lambda_runtime::Error> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::tls::http_client(config.tls_roots))
        .load()
        .await;
    let app = App::new(function, &config, &sdk);
    lambda_runtime::run(service_fn(|event| app.handle(event))).await
}

/// Logging for the functions: JSON when Lambda asks for it, never a message body or address.
pub fn init_logging() {
    lambda_runtime::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_diagnostics_that_say_whether_a_retry_helps() {
        let d: Diagnostic = HandlerError::InvalidEvent(EventError::new("detail.flight", "missing")).into();
        assert_eq!(d.error_type, "forewarn.InvalidEvent.NonRetryable");
        assert!(d.error_message.contains("detail.flight: missing"));
        let d: Diagnostic = HandlerError::Port(PortError::retryable("dynamodb", "ThrottlingException")).into();
        assert_eq!(d.error_type, "forewarn.dynamodb.Retryable");
        let d: Diagnostic = HandlerError::Port(PortError::permanent("ses", "MessageRejected")).into();
        assert_eq!(d.error_type, "forewarn.ses.NonRetryable");
    }
}
