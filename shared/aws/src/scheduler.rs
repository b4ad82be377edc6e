//! One-time EventBridge Scheduler schedules that invoke `dispatch` at a delivery's send time.

use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};
use forewarn_core::outcomes::{DispatchRequest, SCHEDULED_TIME_FIELD, SCHEDULED_TIME_PLACEHOLDER};
use forewarn_flows::ports::Scheduler;
use forewarn_flows::{FlowError, Port};
use jiff::Timestamp;

use crate::error::{port_error, unbuilt};

/// The oldest a schedule's firing may be before Scheduler gives up on it.
pub const MAX_FIRING_AGE_SECONDS: i32 = 3600;

#[derive(Clone, Debug)]
pub struct AwsScheduler {
    pub client: aws_sdk_scheduler::Client,
    pub group: String,
    /// What a schedule invokes, and as whom; a function that only deletes schedules has none.
    pub target: Option<ScheduleTarget>,
}

/// The dispatch function and the role Scheduler assumes to invoke it.
#[derive(Clone, Debug)]
pub struct ScheduleTarget {
    pub dispatch_arn: String,
    pub role_arn: String,
}

/// A stable, valid schedule name for a delivery (≤ 64 chars, `[0-9a-zA-Z-_.]`).
pub fn schedule_name(request: &DispatchRequest) -> String {
    // FNV-1a over the row's key: stable across builds and platforms, unlike std's hasher.
    // A receipt check names the row it checks: its schedule is apart from the row's send.
    let key = crate::dynamo::Sk::delivery(request).to_string();
    let check: &[u8] = if request.receipt_check { b"#receipt" } else { b"" };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in request
        .customer_id
        .as_str()
        .bytes()
        .chain([0])
        .chain(key.bytes())
        .chain(check.iter().copied())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fw-{h:016x}")
}

/// A schedule's input: the request, and the scheduled time that Scheduler fills in when it fires.
pub fn schedule_input(request: &DispatchRequest) -> String {
    let mut v = serde_json::to_value(request).expect("requests serialize");
    v[SCHEDULED_TIME_FIELD] = serde_json::Value::String(SCHEDULED_TIME_PLACEHOLDER.into());
    v.to_string()
}

/// `at(2026-11-23T08:00:00)` in UTC; Scheduler has one-minute precision, so seconds are dropped
/// and the time rounded up, never early.
pub fn at_expression(t: Timestamp) -> String {
    let secs = t.as_second();
    let minute = secs.div_euclid(60) * 60
        + if secs.rem_euclid(60) > 0 || t.subsec_nanosecond() > 0 {
            60
        } else {
            0
        };
    let t = Timestamp::from_second(minute).unwrap_or(t);
    format!("at({})", t.strftime("%Y-%m-%dT%H:%M:%S"))
}

impl Scheduler for AwsScheduler {
    async fn create(&self, at: Timestamp, request: &DispatchRequest) -> Result<(), FlowError> {
        let err = unbuilt(Port::Scheduler);
        let Some(t) = &self.target else {
            return Err(FlowError::permanent(
                Port::Scheduler,
                "this function creates no schedules",
            ));
        };
        let target = Target::builder()
            .arn(&t.dispatch_arn)
            .role_arn(&t.role_arn)
            .input(schedule_input(request))
            // Scheduler retries for a day by default; dispatch expires what is late anyway,
            // and an hour bounds how stale a firing can be.
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_event_age_in_seconds(MAX_FIRING_AGE_SECONDS)
                    .maximum_retry_attempts(10)
                    .build(),
            )
            .build()
            .map_err(err)?;
        let result = self
            .client
            .create_schedule()
            .name(schedule_name(request))
            .group_name(&self.group)
            .schedule_expression(at_expression(at))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(err)?,
            )
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConflictException") => Ok(()),
            Err(e) => Err(port_error(Port::Scheduler, e)),
        }
    }

    async fn delete(&self, request: &DispatchRequest) -> Result<(), FlowError> {
        match self
            .client
            .delete_schedule()
            .name(schedule_name(request))
            .group_name(&self.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(port_error(Port::Scheduler, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_round_up_to_the_minute_in_utc() {
        let cases = [
            ("2026-11-23T08:00:00Z", "at(2026-11-23T08:00:00)"),
            ("2026-11-23T08:00:01Z", "at(2026-11-23T08:01:00)"),
            ("2026-11-23T08:59:30.5Z", "at(2026-11-23T09:00:00)"),
        ];
        for (t, want) in cases {
            assert_eq!(at_expression(t.parse().unwrap()), want);
        }
    }

    fn request(customer: &str) -> DispatchRequest {
        serde_json::from_value(serde_json::json!({"customer_id": customer, "subject": "account:a",
            "event_id": "lb", "channel": "push"}))
        .unwrap()
    }

    #[test]
    fn schedule_names_are_stable_and_valid() {
        let a = schedule_name(&request("c-1"));
        assert_eq!(a, schedule_name(&request("c-1")));
        assert_ne!(a, schedule_name(&request("c-2")));
        assert!(a.len() <= 64 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn a_receipt_check_has_a_schedule_apart_from_the_send_of_the_row_it_checks() {
        let send = request("c-1");
        let mut check = send.clone();
        check.receipt_check = true;
        assert_ne!(schedule_name(&send), schedule_name(&check));
        assert_eq!(
            crate::dynamo::Sk::delivery(&send).to_string(),
            crate::dynamo::Sk::delivery(&check).to_string()
        );
        assert!(schedule_input(&check).contains(r#""receipt_check":true"#));
        assert!(!schedule_input(&send).contains("receipt_check"));
    }

    #[test]
    fn each_device_of_a_push_has_a_schedule_and_a_row_key_of_its_own() {
        let mut phone = request("c-1");
        phone.device_id = Some(forewarn_core::types::Id::parse("phone").unwrap());
        let mut tablet = phone.clone();
        tablet.device_id = Some(forewarn_core::types::Id::parse("tablet").unwrap());
        assert_ne!(schedule_name(&phone), schedule_name(&tablet));
        assert_eq!(
            crate::dynamo::Sk::delivery(&tablet).to_string(),
            "DELIVERY#account:a#lb#push#device#tablet"
        );
    }
}
