//! The Lambda glue: parse each function's input into its typed contract, run its flow, report
//! the outcome and the requests made, and map failures to a `Diagnostic` that says whether a
//! retry can help.

use std::collections::BTreeMap;
use std::future::Future;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsEvent;
use forewarn_core::conversation::{InboundSms, parse_inbound_sms};
use forewarn_core::events::{DetailType, Event, EventError, parse_event_value};
use forewarn_core::outcomes::{DispatchRequest, SCHEDULED_TIME_FIELD, SCHEDULED_TIME_PLACEHOLDER};
use forewarn_core::policy::classify;
use forewarn_core::time_fault::why_not_a_time;
use forewarn_flows::feedback::EmailFeedback;
use forewarn_flows::ports::Bus;
use forewarn_flows::push_feedback::PushFeedback;
use forewarn_flows::rejection::Envelope;
use forewarn_flows::{FlowError, Report, Service};
use jiff::Timestamp;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use tracing::{Instrument, error, info, info_span};

use crate::counter::RequestCounter;

/// Why an invocation failed; the `error_type` tells Lambda's record what happened.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] EventError),
    #[error("{0}")]
    Flow(#[from] FlowError),
}

impl HandlerError {
    /// The field and reason of an input the function cannot take, however it was found.
    pub fn unreadable(&self) -> Option<EventError> {
        match self {
            HandlerError::InvalidEvent(e) => Some(e.clone()),
            HandlerError::Flow(FlowError::Input(why)) => Some(EventError::new("detail", why.clone())),
            _ => None,
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(self, HandlerError::Flow(e) if e.retryable())
    }

    /// What failed, as the middle of the `error_type` names it: the service, or the kind of
    /// fault. An event the flow does not take is an invalid event, however it was found.
    fn failed(&self) -> &'static str {
        match self {
            HandlerError::InvalidEvent(_) | HandlerError::Flow(FlowError::Input(_)) => "InvalidEvent",
            HandlerError::Flow(FlowError::Port { port, .. }) => port.as_str(),
            HandlerError::Flow(FlowError::Busy(_)) => "Busy",
            HandlerError::Flow(FlowError::Render(_)) => "Render",
            HandlerError::Flow(FlowError::Corrupt { .. }) => "Corrupt",
            HandlerError::Flow(FlowError::IllegalMove(_)) => "IllegalMove",
        }
    }
}

/// Lambda's `error_type`s: `forewarn.<service or fault>.<Retryable|NonRetryable>`, made here
/// and nowhere else. The alarms and the on-failure queues see these.
impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let retry = if e.retryable() { "Retryable" } else { "NonRetryable" };
        Diagnostic {
            error_type: format!("forewarn.{}.{retry}", e.failed()),
            error_message: e.to_string(),
        }
    }
}

/// Every `error_type` an invocation can fail with, each once, in the order of the variants
/// they come from: derived from `FlowError`'s shapes and `HandlerError`, through the one
/// mapping above.
pub fn error_types() -> Vec<String> {
    let invalid = HandlerError::InvalidEvent(EventError::new("", ""));
    let mut all: Vec<String> = std::iter::once(invalid)
        .chain(FlowError::every_shape().into_iter().map(HandlerError::Flow))
        .map(|e| Diagnostic::from(e).error_type)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|t| seen.insert(t.clone()));
    all
}

/// What an invocation returns: the flow's report and the requests it made per service.
#[derive(Debug, Serialize)]
pub struct Response {
    #[serde(flatten)]
    pub report: Report,
    pub requests: BTreeMap<String, u32>,
    /// Time in the handler, and the part of it spent waiting on AWS services.
    pub elapsed_us: u64,
    pub service_us: u64,
}

/// What a producer's payload says of itself (its EventBridge envelope), read leniently so a
/// refused event can still be named in its `EventRejected`.
pub fn envelope(payload: &Value) -> Envelope {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(|s| forewarn_core::types::truncate(s, 128).into_owned())
    };
    Envelope {
        id: text(payload.get("id")),
        source: text(payload.get("source")),
        detail_type: text(payload.get("detail-type")),
        customer_id: text(payload.pointer("/detail/customer_id")),
    }
}

/// The result of a producer's event: when the event could not be read, the producer is told
/// by one `EventRejected` on the bus and the invocation succeeds, so Lambda neither retries it
/// nor parks it in an on-failure queue as if forewarn were down.
pub async fn or_rejected<St, Se, Sc, B: Bus>(
    service: &Service<St, Se, Sc, B>,
    envelope: Envelope,
    now: Timestamp,
    result: Result<Report, HandlerError>,
) -> Result<Report, HandlerError> {
    let Err(e) = result else { return result };
    let Some(why) = e.unreadable() else { return Err(e) };
    info!(event_id = envelope.id.as_deref().unwrap_or(""), field = %why.path, "rejected");
    Ok(service.reject(&envelope, &why, now).await?)
}

/// A business event for the function that handles `expected`, or any notifying kind of the
/// catalog for the generic notifier (`None`).
pub fn notifying_event(payload: Value, expected: Option<DetailType>) -> Result<Event, HandlerError> {
    let event = parse_event_value(payload)?;
    let fits = match expected {
        Some(t) => event.detail_type() == t,
        None => classify(event.detail_type()).is_some(),
    };
    if !fits {
        let handles = expected.map_or_else(|| "the catalog's notifying kinds".to_owned(), |t| t.to_string());
        let why = format!("this function handles {handles}, not {}", event.detail_type());
        return Err(EventError::new("detail-type", why).into());
    }
    info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "deciding");
    Ok(event)
}

/// A resolving event (`BalanceRestored`, `ApplicationCompleted`, `Transaction*`).
pub fn resolving_event(payload: Value) -> Result<Event, HandlerError> {
    let event = parse_event_value(payload)?;
    if classify(event.detail_type()).is_some()
        || event.detail_type() == DetailType::CustomerActivity
        || event.detail_type().is_context()
    {
        let why = format!("{} is not a resolving event", event.detail_type());
        return Err(EventError::new("detail-type", why).into());
    }
    info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "resolving");
    Ok(event)
}

/// What a schedule hands to dispatch, with the time the firing was scheduled for when
/// Scheduler filled it in (a copy of the input that still holds the placeholder has none).
pub fn dispatch_request(mut payload: Value) -> Result<(DispatchRequest, Option<Timestamp>), HandlerError> {
    let scheduled = match payload.as_object_mut().and_then(|o| o.remove(SCHEDULED_TIME_FIELD)) {
        Some(Value::String(t)) if t == SCHEDULED_TIME_PLACEHOLDER => None,
        Some(Value::String(t)) => Some(
            t.parse()
                .map_err(|_| EventError::new(SCHEDULED_TIME_FIELD, why_not_a_time(&t)))?,
        ),
        Some(_) => return Err(EventError::new(SCHEDULED_TIME_FIELD, "not a string").into()),
        None => None,
    };
    let request: DispatchRequest =
        serde_json::from_value(payload).map_err(|e| EventError::new("$", format!("not a dispatch request: {e}")))?;
    info!(customer_id = %request.customer_id, event_id = %request.event_id, channel = %request.channel, "dispatching");
    Ok((request, scheduled))
}

/// The inbound SMS of an SNS notification, each with when SNS received it.
pub fn inbound_sms(payload: Value) -> Result<Vec<(InboundSms, Timestamp)>, HandlerError> {
    let sns: SnsEvent =
        serde_json::from_value(payload).map_err(|e| EventError::new("Records", format!("not an SNS event: {e}")))?;
    if sns.records.is_empty() {
        return Err(EventError::new("Records", "no inbound message").into());
    }
    let mut all = Vec::with_capacity(sns.records.len());
    for (i, record) in sns.records.iter().enumerate() {
        let sms = parse_inbound_sms(&record.sns.message)
            .map_err(|e| EventError::new(format!("Records[{i}].Sns.Message.{}", e.path), e.reason))?;
        info!(inbound_message_id = %sms.inbound_message_id, intent = sms.intent.as_str(),
              from = %sms.from.masked(), "replying");
        let at = Timestamp::from_millisecond(record.sns.timestamp.timestamp_millis())
            .map_err(|e| EventError::new(format!("Records[{i}].Sns.Timestamp"), e.to_string()))?;
        all.push((sms, at));
    }
    Ok(all)
}

/// What the `feedback` function is given: an SES event from the default bus, or the SNS
/// notifications of the platform applications' push feedback topic or of the SMS events topic.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedbackInput {
    Email(EmailFeedback),
    Push(Vec<PushFeedback>),
    /// End User Messaging SMS delivery events, from a configuration set's SNS topic.
    Sms(Vec<forewarn_flows::sms_feedback::SmsFeedback>),
}

/// Reads `feedback`'s input by its shape: SNS delivers `Records`, EventBridge an event.
pub fn feedback_input(payload: Value) -> Result<FeedbackInput, HandlerError> {
    if payload.get("Records").is_none() {
        return email_feedback(payload).map(FeedbackInput::Email);
    }
    let first = payload.pointer("/Records/0/Sns/Message").and_then(Value::as_str);
    if first.is_some_and(crate::sms::is_text_event) {
        let all = crate::sms::parse_sms_feedback(payload)?;
        for fb in &all {
            info!(message_id = %fb.message_id, event = %fb.event_type, "sms feedback");
        }
        return Ok(FeedbackInput::Sms(all));
    }
    let all = crate::push_feedback::parse_push_feedback(payload)?;
    for fb in &all {
        info!(endpoint = %forewarn_core::types::tail(&fb.endpoint, 4), event = ?fb.event, "push feedback");
    }
    Ok(FeedbackInput::Push(all))
}

/// An SES event from the default bus.
pub fn email_feedback(payload: Value) -> Result<EmailFeedback, HandlerError> {
    let feedback = crate::ses::parse_email_feedback(&payload)?;
    info!(message_id = %feedback.message_id, kind = ?feedback.kind, "feedback");
    Ok(feedback)
}

/// A `CustomerActivity` event.
pub fn activity_event(payload: Value) -> Result<Event, HandlerError> {
    let event = parse_event_value(payload)?;
    if event.detail_type() != DetailType::CustomerActivity {
        let why = format!("this function handles CustomerActivity, not {}", event.detail_type());
        return Err(EventError::new("detail-type", why).into());
    }
    info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "learning");
    Ok(event)
}

/// A context event (`CustomerUpserted`, `CustomerChanged`, `CustomerErased`,
/// `DeviceRegistered`, `DeviceRemoved`).
pub fn context_event(payload: Value) -> Result<Event, HandlerError> {
    let event = parse_event_value(payload)?;
    if !event.detail_type().is_context() {
        let why = format!("this function handles the context events, not {}", event.detail_type());
        return Err(EventError::new("detail-type", why).into());
    }
    info!(event_id = %event.id, customer_id = %event.detail.customer_id(), "applying");
    Ok(event)
}

/// The time of the EventBridge `Scheduled Event` that starts a sweep.
pub fn sweep_time(payload: Value) -> Result<Timestamp, HandlerError> {
    let event: EventBridgeEvent<Value> =
        serde_json::from_value(payload).map_err(|e| EventError::new("$", format!("not an EventBridge event: {e}")))?;
    if event.detail_type != "Scheduled Event" {
        let why = format!("this function handles Scheduled Event, not {:?}", event.detail_type);
        return Err(EventError::new("detail-type", why).into());
    }
    let time = event.time.ok_or_else(|| EventError::new("time", "missing"))?;
    let at =
        Timestamp::from_millisecond(time.timestamp_millis()).map_err(|e| EventError::new("time", e.to_string()))?;
    info!(event_id = ?event.id, "sweeping");
    Ok(at)
}

/// Runs `flow` for every invocation until Lambda stops the process, logging one `done` or
/// `failed` line per invocation with the requests it made, and writing its metrics.
pub async fn serve<F, Fut>(
    function: &'static str,
    counter: RequestCounter,
    flow: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, Timestamp) -> Fut,
    Fut: Future<Output = Result<Report, HandlerError>>,
{
    let flow = &flow;
    let counter = &counter;
    let metrics = crate::emf::init(function, crate::config::Env::process().metrics_namespace());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let span = info_span!("invocation", function, request_id = %event.context.request_id);
        async move {
            counter.take_all();
            forewarn_flows::metrics::invocation_started();
            let started = std::time::Instant::now();
            let result = flow(event.payload, Timestamp::now()).await;
            let elapsed = started.elapsed();
            crate::emf::flush(metrics);
            let (requests, waited) = counter.take_all();
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
        .instrument(span)
    }))
    .await
}

/// Logging for the functions: JSON when Lambda asks for it, never a message body or address.
pub fn init_logging() {
    lambda_runtime::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;
    use forewarn_flows::Port;

    #[test]
    fn a_sweep_starts_at_its_scheduled_event_s_time_and_refuses_anything_else() {
        let event = |detail_type: &str| {
            serde_json::json!({"version": "0", "id": "s-1", "detail-type": detail_type, "source": "aws.events",
                "account": "1", "time": "2026-11-23T10:15:00Z", "region": "eu-west-1", "resources": [], "detail": {}})
        };
        let at = sweep_time(event("Scheduled Event")).unwrap();
        assert_eq!(at, "2026-11-23T10:15:00Z".parse::<Timestamp>().unwrap());
        let err = sweep_time(event("LowBalance")).unwrap_err().to_string();
        assert!(err.contains("detail-type") && err.contains("Scheduled Event"), "{err}");
        let err = sweep_time(serde_json::json!({"detail-type": 3}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an EventBridge event"), "{err}");
    }

    #[test]
    fn a_dispatch_request_carries_the_time_scheduler_filled_in_and_nothing_else_new() {
        let request = |t: &str| {
            serde_json::json!({"customer_id": "c-1", "subject": "account:a", "event_id": "lb", "channel": "push",
                "scheduled_time": t})
        };
        let (r, at) = dispatch_request(request("2026-11-23T08:00:00Z")).unwrap();
        assert_eq!(
            (r.event_id.as_str(), at),
            ("lb", Some("2026-11-23T08:00:00Z".parse().unwrap()))
        );
        assert_eq!(dispatch_request(request(SCHEDULED_TIME_PLACEHOLDER)).unwrap().1, None);
        let bad = dispatch_request(request("tomorrow")).unwrap_err().to_string();
        assert!(bad.contains("scheduled_time: not an RFC 3339 time"), "{bad}");
        let late = dispatch_request(request("2026-11-31T08:00:00Z"))
            .unwrap_err()
            .to_string();
        assert!(late.contains("scheduled_time: day 31 is out of range"), "{late}");
        let mut unknown = request("2026-11-23T08:00:00Z");
        unknown["extra"] = serde_json::json!(1);
        assert!(dispatch_request(unknown).unwrap_err().to_string().contains("extra"));
    }

    #[test]
    fn errors_map_to_diagnostics_that_say_whether_a_retry_helps() {
        let d: Diagnostic = HandlerError::InvalidEvent(EventError::new("detail.flight", "missing")).into();
        assert_eq!(d.error_type, "forewarn.InvalidEvent.NonRetryable");
        assert!(d.error_message.contains("detail.flight: missing"));
        let d: Diagnostic = HandlerError::Flow(FlowError::transient(Port::Dynamodb, "ThrottlingException")).into();
        assert_eq!(d.error_type, "forewarn.dynamodb.Retryable");
        let d: Diagnostic = HandlerError::Flow(FlowError::permanent(Port::Ses, "MessageRejected")).into();
        assert_eq!(d.error_type, "forewarn.ses.NonRetryable");
        let d: Diagnostic = HandlerError::Flow(FlowError::Busy("event e is being processed".into())).into();
        assert_eq!(d.error_type, "forewarn.Busy.Retryable");
        let d: Diagnostic = HandlerError::Flow(FlowError::Input("not a CustomerActivity event".into())).into();
        assert_eq!(d.error_type, "forewarn.InvalidEvent.NonRetryable");
    }

    #[test]
    fn the_list_of_error_types_holds_each_once_with_every_service_both_ways() {
        let all = error_types();
        assert_eq!(all.len(), 1 + 2 * Port::ALL.len() + 4, "{all:?}");
        for t in [
            "forewarn.InvalidEvent.NonRetryable",
            "forewarn.eventbridge.Retryable",
            "forewarn.Corrupt.NonRetryable",
            "forewarn.IllegalMove.NonRetryable",
        ] {
            assert!(all.iter().any(|a| a == t), "{t} in {all:?}");
        }
        let d: Diagnostic = HandlerError::Flow(FlowError::corrupt("profile of customer c-1", "bad zone")).into();
        assert!(all.contains(&d.error_type), "{}", d.error_type);
    }

    #[test]
    fn a_function_refuses_an_event_of_another_kind_naming_the_detail_type() {
        let e = serde_json::json!({"version": "0", "id": "x", "detail-type": "BalanceRestored", "source": "s",
            "time": "2026-11-23T10:00:00Z", "detail": {"customer_id": "c", "account_id": "a"}});
        let Err(HandlerError::InvalidEvent(err)) = notifying_event(e.clone(), Some(DetailType::LowBalance)) else {
            panic!("a resolving event is not a low balance");
        };
        assert_eq!(err.path, "detail-type");
        assert!(resolving_event(e).is_ok());
    }
}
