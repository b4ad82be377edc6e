//! A number's counted automatic answers, `Pk::Phone` / `Sk::Answers` (`PHONE#<e164>` / `ANSWERS#<count>`): a 24-hour window from its first answer, counted with conditional writes.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use forewarn_core::customer::PhoneNumber;
use forewarn_flows::records::{ANSWER_WINDOW_HOURS, AnswerCount, AnswerWindow};
use forewarn_flows::{FlowError, Port};
use jiff::{Timestamp, ToSpan};

use super::{DynamoStore, Item, Pk, Sk, n, s};
use crate::error::port_error;

/// The window an `ANSWERS#<count>` item holds (a count this version does not know is
/// skipped by `Sk::parse`).
pub(crate) fn window(count: AnswerCount, item: &Item) -> Result<AnswerWindow, FlowError> {
    let number = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| FlowError::corrupt("answer count", format!("no {k}")))
    };
    let started =
        Timestamp::from_millisecond(number("started_ms")?).map_err(|e| FlowError::corrupt("answer count", e))?;
    let by = item.get("by").and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default();
    Ok(AnswerWindow {
        count,
        started,
        answered: u32::try_from(number("answered")?).unwrap_or(u32::MAX),
        by,
    })
}

impl DynamoStore {
    /// One more answer in a live window with room (`ADD`, conditioned on the window and the
    /// count), else a new window where none is live (`SET`, conditioned on there being none).
    /// Each is one conditional `UpdateItem`, so two concurrent replies cannot both pass.
    pub(crate) async fn count_answer_in(
        &self,
        phone: &PhoneNumber,
        count: AnswerCount,
        by: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<bool, FlowError> {
        if limit == 0 {
            return Ok(false);
        }
        let cutoff = n((now - ANSWER_WINDOW_HOURS.hours()).as_millisecond());
        let more = self
            .update_answers(phone, count, by)
            .update_expression("ADD #n :one, #by :by")
            .condition_expression("started_ms > :cutoff AND #n < :limit")
            .expression_attribute_values(":cutoff", cutoff.clone())
            .expression_attribute_values(":limit", n(i64::from(limit)));
        if Self::counted(more.send().await)? {
            return Ok(true);
        }
        // Kept a day past the window, for `forewarn explain` and the next reply's read.
        let expires = (now + (2 * ANSWER_WINDOW_HOURS).hours()).as_second();
        let new = self
            .update_answers(phone, count, by)
            .update_expression("SET #n = :one, #by = :by, started_ms = :now, expires_at = :ttl")
            .condition_expression("attribute_not_exists(#n) OR started_ms <= :cutoff")
            .expression_attribute_values(":cutoff", cutoff)
            .expression_attribute_values(":now", n(now.as_millisecond()))
            .expression_attribute_values(":ttl", n(expires));
        Self::counted(new.send().await)
    }

    fn update_answers(
        &self,
        phone: &PhoneNumber,
        count: AnswerCount,
        by: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(Pk::phone(phone.e164()).to_string()))
            .key("SK", s(Sk::Answers(count).to_string()))
            // `by` is a reserved word in DynamoDB expressions.
            .expression_attribute_names("#n", "answered")
            .expression_attribute_names("#by", "by")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":by", AttributeValue::Ss(vec![by.to_owned()]))
    }

    /// Whether a conditional count went through: false when its condition did not hold.
    fn counted<T, E>(result: Result<T, aws_sdk_dynamodb::error::SdkError<E>>) -> Result<bool, FlowError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        aws_sdk_dynamodb::error::SdkError<E>: ProvideErrorMetadata,
    {
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(port_error(Port::Dynamodb, e)),
        }
    }
}
