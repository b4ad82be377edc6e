//! The flows' store ports on the single table: conditional puts and updates, transactions
//! that claim an event with its rows, and the partition reads.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use forewarn_core::customer::{Channel, PhoneNumber, UnusableContact};
use forewarn_core::outcomes::DispatchRequest;
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use forewarn_flows::ports::{Activities, Claims, Contacts, Deliveries, Partitions, Phones, Resolutions};
use forewarn_flows::records::{
    AnswerCount, Commit, CommitResult, DeviceActivity, Finish, Partition, PhoneBook, Question, RETENTION_DAYS,
    Resolution, StoredDelivery,
};
use forewarn_flows::{FlowError, Port, state};
use jiff::{Timestamp, ToSpan};

use super::{DynamoStore, Item, KeyError, PENDING_AT, PENDING_PK, Pk, Sk, get_s, lease_ms, n, s, status_str};
use crate::error::{port_error, unbuilt};

impl Partitions for DynamoStore {
    async fn load(&self, customer_id: &Id, event_id: Option<&Id>) -> Result<Partition, FlowError> {
        let items = self.partition(&Pk::customer(customer_id)).await?;
        self.parse(items, event_id)
    }
}

impl Claims for DynamoStore {
    async fn commit(&self, commit: &Commit) -> Result<CommitResult, FlowError> {
        state::check_commit(commit)?;
        let claim = Self::claim_item(&commit.customer_id, &commit.claim);
        let mut writes = vec![if commit.takes_over() {
            self.put(
                claim,
                Some("completed = :no AND lease_until_ms < :now"),
                Some(Item::from([
                    (":no".into(), AttributeValue::Bool(false)),
                    (":now".into(), n(Timestamp::now().as_millisecond())),
                ])),
            )?
        } else {
            self.put(claim, Some("attribute_not_exists(PK)"), None)?
        }];
        if let Some(read) = commit.decisions {
            writes.push(self.count_decision(&commit.customer_id, read)?);
        }
        for row in &commit.new_rows {
            writes.push(self.put(Self::delivery_item(row), None, None)?);
        }
        for q in &commit.questions {
            writes.push(self.question_upsert(q)?);
        }
        for row in &commit.cancel {
            writes.push(self.put(
                Self::delivery_item(row),
                Some("#st = :scheduled"),
                Some(Item::from([(":scheduled".into(), s("scheduled"))])),
            )?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(CommitResult::Committed),
            Err(e) => {
                let reasons: Vec<String> = e
                    .as_service_error()
                    .and_then(|s| match s {
                        TransactWriteItemsError::TransactionCanceledException(t) => t.cancellation_reasons.clone(),
                        _ => None,
                    })
                    .unwrap_or_default()
                    .iter()
                    .map(|r| r.code.clone().unwrap_or_default())
                    .collect();
                match commit_refusal(&reasons) {
                    Some(CommitResult::Conflict) if reasons.iter().any(|r| r == "TransactionConflict") => {
                        // Another transaction on the same items was in flight: wait a little,
                        // so a burst of decisions for one customer spreads out, then re-read.
                        tokio::time::sleep(conflict_backoff(&commit.claim.event_id)).await;
                        Ok(CommitResult::Conflict)
                    }
                    Some(refused) => Ok(refused),
                    None => Err(port_error(Port::Dynamodb, e)),
                }
            }
        }
    }

    async fn finish(&self, f: &Finish) -> Result<(), FlowError> {
        state::check_finish(f)?;
        let mut writes = Vec::new();
        if let (Some(customer_id), Some(claim)) = (&f.customer_id, &f.claim) {
            let update = Update::builder()
                .table_name(&self.table)
                .key("PK", s(Pk::customer(customer_id).to_string()))
                .key("SK", s(Sk::Event(claim.event_id.clone()).to_string()))
                .update_expression("SET completed = :yes, outcome = :outcome, #data = :data")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":outcome", s(claim.outcome.as_str()))
                .expression_attribute_values(":data", s(serde_json::to_string(claim).expect("claims serialize")))
                .build()
                .map_err(unbuilt(Port::Dynamodb))?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        for row in &f.rows {
            writes.push(self.put(Self::delivery_item(row), None, None)?);
        }
        for q in &f.questions {
            writes.push(self.question_upsert(q)?);
        }
        if let Some(customer_id) = &f.customer_id {
            for (device, why) in &f.disabled_devices {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key("PK", s(Pk::customer(customer_id).to_string()))
                    .key("SK", s(Sk::Device(device.clone()).to_string()))
                    .update_expression("SET disabled_reason = :why")
                    .expression_attribute_values(":why", s(why))
                    .build()
                    .map_err(unbuilt(Port::Dynamodb))?;
                writes.push(TransactWriteItem::builder().update(update).build());
            }
        }
        for chunk in writes.chunks(100) {
            self.client
                .transact_write_items()
                .set_transact_items(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| port_error(Port::Dynamodb, e))?;
        }
        Ok(())
    }
}

impl Deliveries for DynamoStore {
    async fn delivery(&self, key: &DispatchRequest) -> Result<Option<StoredDelivery>, FlowError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(Pk::customer(&key.customer_id).to_string()))
            .key("SK", s(Sk::delivery(key).to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(Port::Dynamodb, e))?;
        match out.item {
            None => Ok(None),
            Some(item) => {
                let json = get_s(&item, "data").ok_or_else(|| FlowError::corrupt("delivery", "no data attribute"))?;
                Ok(Some(
                    serde_json::from_str(json).map_err(|e| FlowError::corrupt("delivery", e))?,
                ))
            }
        }
    }

    async fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> Result<bool, FlowError> {
        state::check_move(from, row.record.status)?;
        // Out of `sending`, only the worker holding the latest attempt may move the row.
        let condition = if from == DeliveryStatus::Sending {
            "#st = :from AND attempt = :attempt"
        } else {
            "#st = :from"
        };
        self.update_row(row, condition, &[(":from", s(status_str(from)))]).await
    }
    async fn take(&self, row: &StoredDelivery, now: Timestamp) -> Result<bool, FlowError> {
        state::check_take(row.record.status)?;
        let condition =
            "#st = :scheduled OR (#st = :sending AND (attribute_not_exists(lease_until_ms) OR lease_until_ms <= :now))";
        let values = [
            (":scheduled", s(status_str(DeliveryStatus::Scheduled))),
            (":sending", s(status_str(DeliveryStatus::Sending))),
            (":now", n(now.as_millisecond())),
        ];
        self.update_row(row, condition, &values).await
    }
    async fn insert(&self, row: &StoredDelivery) -> Result<bool, FlowError> {
        state::check_new(row.record.status)?;
        self.put_if(Self::delivery_item(row), "attribute_not_exists(PK)", None)
            .await
    }
}

impl DynamoStore {
    /// Counts one more decision for the customer if the count is still `read`.
    fn count_decision(&self, customer_id: &Id, read: u64) -> Result<TransactWriteItem, FlowError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("PK", s(Pk::customer(customer_id).to_string()))
            .key("SK", s(Sk::Decisions.to_string()))
            .update_expression("SET decisions = :next")
            .condition_expression(if read == 0 {
                "attribute_not_exists(decisions) OR decisions = :read"
            } else {
                "decisions = :read"
            })
            .expression_attribute_values(":read", n(read as i64))
            .expression_attribute_values(":next", n(read as i64 + 1))
            .build()
            .map_err(unbuilt(Port::Dynamodb))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Writes a question if it is new, and what is known of it since: the provider's id
    /// (`sent_id`) and whether it is closed because it never went out (`closed`). An answer,
    /// kept in the question's `data`, is never overwritten.
    fn question_upsert(&self, q: &Question) -> Result<TransactWriteItem, FlowError> {
        let item = Self::question_item(q);
        let mut set = vec![
            "#data = if_not_exists(#data, :data)",
            "customer_id = if_not_exists(customer_id, :cid)",
            "expires_at = if_not_exists(expires_at, :ttl)",
        ];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("PK", item["PK"].clone())
            .key("SK", item["SK"].clone())
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":data", item["data"].clone())
            .expression_attribute_values(":cid", item["customer_id"].clone())
            .expression_attribute_values(":ttl", item["expires_at"].clone());
        if let Some(id) = &q.provider_message_id {
            set.push("sent_id = :sent");
            update = update.expression_attribute_values(":sent", s(id));
        }
        if q.expires_at <= q.asked_at {
            set.push("closed = :closed");
            update = update.expression_attribute_values(":closed", AttributeValue::Bool(true));
        }
        let update = update
            .update_expression(format!("SET {}", set.join(", ")))
            .build()
            .map_err(unbuilt(Port::Dynamodb))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Writes `row`'s status, attempt, lease and data if `condition` holds; false if it does not.
    async fn update_row(
        &self,
        row: &StoredDelivery,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, FlowError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(Pk::customer(&row.customer_id).to_string()))
            .key("SK", s(Sk::delivery(&row.key()).to_string()))
            .condition_expression(condition)
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":to", s(status_str(row.record.status)))
            .expression_attribute_values(":attempt", n(i64::from(row.attempt)))
            .expression_attribute_values(":lease", n(lease_ms(row)))
            .expression_attribute_values(":data", s(serde_json::to_string(row).expect("rows serialize")));
        for (k, v) in values {
            update = update.expression_attribute_values(*k, v.clone());
        }
        // The row stays in the `Pending` index while pending, and leaves it once final.
        let set = "SET #st = :to, #data = :data, attempt = :attempt, lease_until_ms = :lease";
        update = match super::overdue::pending_attributes(row) {
            Some([(pk, pk_value), (at, at_value)]) => update
                .update_expression(format!("{set}, {pk} = :pending_pk, {at} = :pending_at"))
                .expression_attribute_values(":pending_pk", pk_value)
                .expression_attribute_values(":pending_at", at_value),
            None => update.update_expression(format!("{set} REMOVE {PENDING_PK}, {PENDING_AT}")),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(port_error(Port::Dynamodb, e)),
        }
    }
}

impl Resolutions for DynamoStore {
    async fn resolved(&self, customer_id: &Id, r: &Resolution) -> Result<(), FlowError> {
        let at = r.at.as_millisecond();
        let item = Item::from([
            ("PK".into(), s(Pk::customer(customer_id).to_string())),
            ("SK".into(), s(Sk::Resolved(r.subject.to_string()).to_string())),
            ("at_ms".into(), n(at)),
            (
                "data".into(),
                s(serde_json::to_string(r).expect("resolutions serialize")),
            ),
            (
                "expires_at".into(),
                n((r.at + (RETENTION_DAYS * 24).hours()).as_second()),
            ),
        ]);
        // An older resolution arriving late keeps the newer one.
        self.put_if(
            item,
            "attribute_not_exists(PK) OR at_ms < :at",
            Some(Item::from([(":at".into(), n(at))])),
        )
        .await?;
        Ok(())
    }
}

impl Phones for DynamoStore {
    async fn phone_book(&self, phone: &PhoneNumber) -> Result<PhoneBook, FlowError> {
        let mut book = PhoneBook::default();
        for item in self.partition(&Pk::phone(phone.e164())).await? {
            let sk = match Sk::parse(get_s(&item, "SK").unwrap_or_default()) {
                Ok(sk) => sk,
                Err(KeyError::Unknown) => continue,
                Err(e) => return Err(FlowError::corrupt("key", e)),
            };
            match sk {
                Sk::Customer(_) => {
                    let id = get_s(&item, "customer_id")
                        .ok_or_else(|| FlowError::corrupt("phone link", "no customer_id"))?;
                    book.customers
                        .push(Id::parse(id).map_err(|e| FlowError::corrupt("phone link", e))?);
                }
                Sk::Question { .. } => book.questions.push(question_of(&item)?),
                Sk::Answers(count) => book.answers.push(super::answers::window(count, &item)?),
                _ => {}
            }
        }
        Ok(book)
    }

    async fn answer(&self, q: &Question) -> Result<bool, FlowError> {
        let Some(a) = &q.answer else {
            return Err(FlowError::permanent(Port::Dynamodb, "an answer to record is missing"));
        };
        let mut item = Self::question_item(q);
        item.insert("answered_by".into(), s(&a.inbound_message_id));
        self.put_if(item, "attribute_exists(PK) AND attribute_not_exists(answered_by)", None)
            .await
    }

    async fn count_answer(
        &self,
        phone: &PhoneNumber,
        count: AnswerCount,
        by: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<bool, FlowError> {
        self.count_answer_in(phone, count, by, now, limit).await
    }
}

impl Contacts for DynamoStore {
    async fn opt_out(&self, customer_id: &Id, channel: Channel, reason: &str) -> Result<bool, FlowError> {
        let item = Item::from([
            ("PK".into(), s(Pk::customer(customer_id).to_string())),
            ("SK".into(), s(Sk::OptOut(channel).to_string())),
            ("reason".into(), s(reason)),
        ]);
        self.put_if(item, "attribute_not_exists(PK)", None).await
    }

    /// One transaction: the opt-out deleted, only if it is there, and the opt-in recorded.
    async fn opt_in(&self, customer_id: &Id, channel: Channel, reason: &str) -> Result<bool, FlowError> {
        let pk = Pk::customer(customer_id).to_string();
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("PK", s(&pk))
            .key("SK", s(Sk::OptOut(channel).to_string()))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unbuilt(Port::Dynamodb))?;
        let opt_in = Item::from([
            ("PK".into(), s(&pk)),
            ("SK".into(), s(Sk::OptIn(channel).to_string())),
            ("reason".into(), s(reason)),
        ]);
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.put(opt_in, None, None)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let not_opted_out = e.as_service_error().is_some_and(|s| match s {
                    TransactWriteItemsError::TransactionCanceledException(t) => t
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                });
                if not_opted_out {
                    Ok(false)
                } else {
                    Err(port_error(Port::Dynamodb, e))
                }
            }
        }
    }

    async fn suppress_contact(&self, customer_id: &Id, c: &UnusableContact) -> Result<(), FlowError> {
        let item = Item::from([
            ("PK".into(), s(Pk::customer(customer_id).to_string())),
            ("SK".into(), s(Sk::unusable(c.channel, &c.address).to_string())),
            ("data".into(), s(serde_json::to_string(c).expect("contacts serialize"))),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error(Port::Dynamodb, e))?;
        Ok(())
    }
}

impl Activities for DynamoStore {
    async fn save_activity(
        &self,
        customer_id: &Id,
        a: &DeviceActivity,
        previous_sessions: Option<u32>,
    ) -> Result<bool, FlowError> {
        let item = Item::from([
            ("PK".into(), s(Pk::customer(customer_id).to_string())),
            ("SK".into(), s(Sk::Activity(a.device_id.clone()).to_string())),
            ("sessions".into(), n(i64::from(a.habits.sessions))),
            ("data".into(), s(serde_json::to_string(a).expect("habits serialize"))),
        ]);
        match previous_sessions {
            None => self.put_if(item, "attribute_not_exists(PK)", None).await,
            Some(p) => {
                self.put_if(
                    item,
                    "sessions = :previous",
                    Some(Item::from([(":previous".into(), n(i64::from(p)))])),
                )
                .await
            }
        }
    }
}

/// A question as its item holds it, with what was learned after it was first written
/// (`question_upsert`): the provider's message id, and whether it was closed.
fn question_of(item: &Item) -> Result<Question, FlowError> {
    let json = get_s(item, "data").ok_or_else(|| FlowError::corrupt("question", "no data attribute"))?;
    let mut q: Question = serde_json::from_str(json).map_err(|e| FlowError::corrupt("question", e))?;
    if let Some(id) = get_s(item, "sent_id") {
        q.provider_message_id = Some(id.to_owned());
    }
    if item.get("closed").and_then(|v| v.as_bool().ok()) == Some(&true) {
        q.expires_at = q.expires_at.min(q.asked_at);
    }
    Ok(q)
}

/// What a cancelled claim transaction means, from its cancellation reasons (the claim is its
/// first item): the event was claimed already; another decision for the customer, a change to
/// a row to cancel, or a transaction in flight on the same items (`TransactionConflict`) — a
/// conflict to re-read and decide again; or anything else, an error.
fn commit_refusal(reasons: &[String]) -> Option<CommitResult> {
    match reasons.first().map(String::as_str) {
        Some("ConditionalCheckFailed") => Some(CommitResult::AlreadyClaimed),
        _ if reasons
            .iter()
            .any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict") =>
        {
            Some(CommitResult::Conflict)
        }
        _ => None,
    }
}

/// 20–100 ms, spread by the event id, so concurrent deciders of one customer do not retry in
/// step.
fn conflict_backoff(event_id: &Id) -> std::time::Duration {
    let spread = event_id
        .as_str()
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    std::time::Duration::from_millis(20 + spread % 81)
}

#[cfg(test)]
mod commit_tests {
    use super::*;

    fn reasons(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_transaction_conflict_is_a_conflict_to_decide_again_not_an_error() {
        assert_eq!(
            commit_refusal(&reasons(&["None", "TransactionConflict"])),
            Some(CommitResult::Conflict)
        );
        assert_eq!(
            commit_refusal(&reasons(&["TransactionConflict", "None"])),
            Some(CommitResult::Conflict)
        );
    }

    #[test]
    fn a_claim_that_exists_is_already_claimed_and_a_changed_row_is_a_conflict() {
        assert_eq!(
            commit_refusal(&reasons(&["ConditionalCheckFailed", "None"])),
            Some(CommitResult::AlreadyClaimed)
        );
        assert_eq!(
            commit_refusal(&reasons(&["None", "ConditionalCheckFailed"])),
            Some(CommitResult::Conflict)
        );
        assert_eq!(commit_refusal(&reasons(&["None", "ValidationError"])), None);
        assert_eq!(commit_refusal(&[]), None);
    }

    #[test]
    fn conflict_backoffs_differ_between_events_and_stay_short() {
        let a = conflict_backoff(&Id::parse("lb-0001").unwrap());
        let b = conflict_backoff(&Id::parse("lb-0002").unwrap());
        assert_ne!(a, b);
        for d in [a, b] {
            assert!(d >= std::time::Duration::from_millis(20) && d <= std::time::Duration::from_millis(100));
        }
    }
}
