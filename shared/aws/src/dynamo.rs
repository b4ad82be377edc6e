//! The single-table DynamoDB store: one customer partition holds the profile, devices,
//! idempotency claims and delivery rows, so one `Query` serves a decision.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, Update, WriteRequest};
use forewarn_core::customer::{Channel, CustomerProfile, DeviceProfile, PhoneNumber, UnusableContact};
use forewarn_core::outcomes::DispatchRequest;
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use forewarn_flows::PortError;
use forewarn_flows::ports::{Activities, Claims, Contacts, Deliveries, Partitions, Phones};
use forewarn_flows::records::{
    Claim, Commit, CommitResult, DeviceActivity, Finish, Partition, PartitionParts, PhoneBook, Question, StoredDelivery,
};
use jiff::{Timestamp, ToSpan};

use crate::error::port_error;

/// How long an idempotency claim is kept.
pub const CLAIM_RETENTION_DAYS: i64 = 7;

type Item = HashMap<String, AttributeValue>;

pub fn customer_pk(id: &Id) -> String {
    format!("CUSTOMER#{id}")
}

/// The partition of everything kept under a phone number: which customers have it, and the
/// questions sent to it.
pub fn phone_pk(e164: &str) -> String {
    format!("PHONE#{e164}")
}

/// A delivery row's sort key: `DELIVERY#<subject>#<event_id>#<channel>`, `#reminder`
/// appended for a reminder.
pub fn delivery_sk(key: &DispatchRequest) -> String {
    let sk = format!("DELIVERY#{}#{}#{}", key.subject, key.event_id, key.channel);
    if key.reminder { sk + "#reminder" } else { sk }
}

/// A question's sort key under `PHONE#<e164>`: newest sorts last.
pub fn question_sk(q: &Question) -> String {
    format!("QUESTION#{:015}#{}", q.asked_at.as_millisecond().max(0), q.event_id)
}

/// How long an answered or expired question is kept.
const QUESTION_RETENTION_DAYS: i64 = 30;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn corrupt(what: &str, why: impl std::fmt::Display) -> PortError {
    PortError::permanent("dynamodb", format!("unreadable {what}: {why}"))
}

fn status_str(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Scheduled => "scheduled",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Cancelled => "cancelled",
        DeliveryStatus::Failed => "failed",
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// Writes a profile and its devices (for `forewarn customers import` and tests).
    pub fn profile_items(&self, profile: &CustomerProfile) -> Vec<Item> {
        let pk = customer_pk(&profile.customer_id);
        let mut bare = profile.clone();
        let devices = std::mem::take(&mut bare.devices);
        let mut items = vec![Item::from([
            ("PK".into(), s(&pk)),
            ("SK".into(), s("PROFILE")),
            (
                "profile".into(),
                s(serde_json::to_string(&bare).expect("profiles serialize")),
            ),
        ])];
        if let Some(phone) = profile
            .contacts
            .phone
            .as_deref()
            .and_then(|p| PhoneNumber::parse(p).ok())
        {
            items.push(Item::from([
                ("PK".into(), s(phone_pk(phone.e164()))),
                ("SK".into(), s(&pk)),
                ("customer_id".into(), s(profile.customer_id.as_str())),
            ]));
        }
        for d in devices {
            items.push(Item::from([
                ("PK".into(), s(&pk)),
                ("SK".into(), s(format!("DEVICE#{}", d.device_id))),
                (
                    "device".into(),
                    s(serde_json::to_string(&d).expect("devices serialize")),
                ),
            ]));
        }
        items
    }

    /// Writes items with `BatchWriteItem`, 25 a call, re-sending unprocessed items with backoff;
    /// `progress` hears how many were written.
    pub async fn put_batch(&self, items: &[Item], progress: impl Fn(usize)) -> Result<(), PortError> {
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    let put = PutRequest::builder()
                        .set_item(Some(i.clone()))
                        .build()
                        .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, PortError>>()?;
            for attempt in 0..=8u32 {
                let n = requests.len();
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| port_error("dynamodb", e))?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                progress(n - requests.len());
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            if !requests.is_empty() {
                return Err(PortError::retryable(
                    "dynamodb",
                    format!("{} items still unprocessed after 8 retries", requests.len()),
                ));
            }
        }
        Ok(())
    }

    /// Every item of a partition, following pages.
    async fn partition(&self, pk: String) -> Result<Vec<Item>, PortError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(&pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| port_error("dynamodb", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn delivery_item(row: &StoredDelivery) -> Item {
        Item::from([
            ("PK".into(), s(customer_pk(&row.customer_id))),
            ("SK".into(), s(delivery_sk(&row.key()))),
            ("status".into(), s(status_str(row.record.status))),
            ("event_id".into(), s(row.record.event_id.as_str())),
            ("subject".into(), s(&row.record.subject)),
            ("channel".into(), s(row.record.channel.as_str())),
            ("send_at".into(), s(row.record.send_at.to_string())),
            ("data".into(), s(serde_json::to_string(row).expect("rows serialize"))),
            ("expires_at".into(), n(row.expires_at.as_second())),
        ])
    }

    fn claim_item(customer_id: &Id, claim: &Claim) -> Item {
        Item::from([
            ("PK".into(), s(customer_pk(customer_id))),
            ("SK".into(), s(format!("EVENT#{}", claim.event_id))),
            ("completed".into(), AttributeValue::Bool(claim.completed)),
            ("lease_until_ms".into(), n(claim.lease_until.as_millisecond())),
            ("outcome".into(), s(claim.outcome.as_str())),
            (
                "data".into(),
                s(serde_json::to_string(claim).expect("claims serialize")),
            ),
            (
                "expires_at".into(),
                n((claim.lease_until + (CLAIM_RETENTION_DAYS * 24).hours()).as_second()),
            ),
        ])
    }

    fn question_item(q: &Question) -> Item {
        Item::from([
            ("PK".into(), s(phone_pk(&q.phone))),
            ("SK".into(), s(question_sk(q))),
            ("customer_id".into(), s(q.customer_id.as_str())),
            ("data".into(), s(serde_json::to_string(q).expect("questions serialize"))),
            (
                "expires_at".into(),
                n((q.expires_at + (QUESTION_RETENTION_DAYS * 24).hours()).as_second()),
            ),
        ])
    }

    /// A conditional single-item put; `Ok(false)` when the condition does not hold.
    async fn put_if(&self, item: Item, condition: &str, values: Option<Item>) -> Result<bool, PortError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(port_error("dynamodb", e)),
        }
    }

    fn put(&self, item: Item, condition: Option<&str>, values: Option<Item>) -> Result<TransactWriteItem, PortError> {
        // `status` is a reserved word in DynamoDB expressions: conditions say `#st`.
        let names = condition
            .is_some_and(|c| c.contains("#st"))
            .then(|| HashMap::from([("#st".to_owned(), "status".to_owned())]));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_values(values)
            .set_expression_attribute_names(names)
            .build()
            .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn parse(&self, items: Vec<Item>, event_id: Option<&Id>) -> Result<Partition, PortError> {
        let mut part = PartitionParts::default();
        let claim_sk = event_id.map(|e| format!("EVENT#{e}"));
        for item in items {
            let sk = get_s(&item, "SK").unwrap_or_default();
            let data = |what: &str, attr: &str| {
                get_s(&item, attr).ok_or_else(|| corrupt(what, format!("no {attr} attribute")))
            };
            if sk == "PROFILE" {
                part.profile =
                    Some(serde_json::from_str(data("profile", "profile")?).map_err(|e| corrupt("profile", e))?);
            } else if sk.starts_with("DEVICE#") {
                // A device that was disabled before its profile row was written has no `device`.
                let Some(json) = get_s(&item, "device") else { continue };
                let mut d: DeviceProfile = serde_json::from_str(json).map_err(|e| corrupt("device", e))?;
                d.disabled_reason = get_s(&item, "disabled_reason").map(str::to_owned).or(d.disabled_reason);
                part.devices.push(d);
            } else if let Some(channel) = sk.strip_prefix("OPTOUT#") {
                let channel = serde_json::from_value(serde_json::Value::String(channel.into()))
                    .map_err(|e| corrupt("opt-out", e))?;
                part.opted_out.push(channel);
            } else if sk.starts_with("UNUSABLE#") {
                let json = data("unusable contact", "data")?;
                part.unusable
                    .push(serde_json::from_str(json).map_err(|e| corrupt("unusable contact", e))?);
            } else if sk.starts_with("ACTIVITY#") {
                let json = data("activity", "data")?;
                part.activity
                    .push(serde_json::from_str(json).map_err(|e| corrupt("activity", e))?);
            } else if sk.starts_with("DELIVERY#") {
                let json = data("delivery", "data")?;
                part.deliveries
                    .push(serde_json::from_str(json).map_err(|e| corrupt("delivery", e))?);
            } else if claim_sk.as_deref() == Some(sk) {
                let json = data("claim", "data")?;
                part.claim = Some(serde_json::from_str(json).map_err(|e| corrupt("claim", e))?);
            }
        }
        Ok(part.assemble())
    }
}

impl Partitions for DynamoStore {
    async fn load(&self, customer_id: &Id, event_id: Option<&Id>) -> Result<Partition, PortError> {
        let items = self.partition(customer_pk(customer_id)).await?;
        self.parse(items, event_id)
    }
}

impl Claims for DynamoStore {
    async fn commit(&self, commit: &Commit) -> Result<CommitResult, PortError> {
        let claim = Self::claim_item(&commit.customer_id, &commit.claim);
        let mut writes = vec![if commit.take_over {
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
        for row in &commit.new_rows {
            writes.push(self.put(Self::delivery_item(row), None, None)?);
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
                match reasons.first().map(String::as_str) {
                    Some("ConditionalCheckFailed") => Ok(CommitResult::AlreadyClaimed),
                    _ if reasons.iter().any(|r| r == "ConditionalCheckFailed") => Err(PortError::retryable(
                        "dynamodb",
                        "a delivery to cancel changed meanwhile; retrying decides again",
                    )),
                    _ => Err(port_error("dynamodb", e)),
                }
            }
        }
    }

    async fn finish(&self, f: &Finish) -> Result<(), PortError> {
        let mut writes = Vec::new();
        if let (Some(customer_id), Some(claim)) = (&f.customer_id, &f.claim) {
            let update = Update::builder()
                .table_name(&self.table)
                .key("PK", s(customer_pk(customer_id)))
                .key("SK", s(format!("EVENT#{}", claim.event_id)))
                .update_expression("SET completed = :yes, outcome = :outcome, #data = :data")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":outcome", s(claim.outcome.as_str()))
                .expression_attribute_values(":data", s(serde_json::to_string(claim).expect("claims serialize")))
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        for row in &f.rows {
            writes.push(self.put(Self::delivery_item(row), None, None)?);
        }
        for q in &f.questions {
            writes.push(self.put(Self::question_item(q), None, None)?);
        }
        if let Some(customer_id) = &f.customer_id {
            for (device, why) in &f.disabled_devices {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key("PK", s(customer_pk(customer_id)))
                    .key("SK", s(format!("DEVICE#{device}")))
                    .update_expression("SET disabled_reason = :why")
                    .expression_attribute_values(":why", s(why))
                    .build()
                    .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
                writes.push(TransactWriteItem::builder().update(update).build());
            }
        }
        for chunk in writes.chunks(100) {
            self.client
                .transact_write_items()
                .set_transact_items(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| port_error("dynamodb", e))?;
        }
        Ok(())
    }
}

impl Deliveries for DynamoStore {
    async fn delivery(&self, key: &DispatchRequest) -> Result<Option<StoredDelivery>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(customer_pk(&key.customer_id)))
            .key("SK", s(delivery_sk(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error("dynamodb", e))?;
        match out.item {
            None => Ok(None),
            Some(item) => {
                let json = get_s(&item, "data").ok_or_else(|| corrupt("delivery", "no data attribute"))?;
                Ok(Some(serde_json::from_str(json).map_err(|e| corrupt("delivery", e))?))
            }
        }
    }

    async fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> Result<bool, PortError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("PK", s(customer_pk(&row.customer_id)))
            .key("SK", s(delivery_sk(&row.key())))
            .update_expression("SET #st = :to, #data = :data")
            .condition_expression("#st = :from")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":to", s(status_str(row.record.status)))
            .expression_attribute_values(":from", s(status_str(from)))
            .expression_attribute_values(":data", s(serde_json::to_string(row).expect("rows serialize")))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(port_error("dynamodb", e)),
        }
    }
}

impl Phones for DynamoStore {
    async fn phone_book(&self, phone: &PhoneNumber) -> Result<PhoneBook, PortError> {
        let mut book = PhoneBook::default();
        for item in self.partition(phone_pk(phone.e164())).await? {
            let sk = get_s(&item, "SK").unwrap_or_default();
            if sk.starts_with("CUSTOMER#") {
                let id = get_s(&item, "customer_id").ok_or_else(|| corrupt("phone link", "no customer_id"))?;
                book.customers
                    .push(Id::parse(id).map_err(|e| corrupt("phone link", e))?);
            } else if sk.starts_with("QUESTION#") {
                let json = get_s(&item, "data").ok_or_else(|| corrupt("question", "no data attribute"))?;
                book.questions
                    .push(serde_json::from_str(json).map_err(|e| corrupt("question", e))?);
            }
        }
        Ok(book)
    }

    async fn answer(&self, q: &Question) -> Result<bool, PortError> {
        let Some(a) = &q.answer else {
            return Err(PortError::permanent("dynamodb", "an answer to record is missing"));
        };
        let mut item = Self::question_item(q);
        item.insert("answered_by".into(), s(&a.inbound_message_id));
        self.put_if(item, "attribute_exists(PK) AND attribute_not_exists(answered_by)", None)
            .await
    }
}

impl Contacts for DynamoStore {
    async fn opt_out(&self, customer_id: &Id, channel: Channel, reason: &str) -> Result<bool, PortError> {
        let item = Item::from([
            ("PK".into(), s(customer_pk(customer_id))),
            ("SK".into(), s(format!("OPTOUT#{channel}"))),
            ("reason".into(), s(reason)),
        ]);
        self.put_if(item, "attribute_not_exists(PK)", None).await
    }

    async fn suppress_contact(&self, customer_id: &Id, c: &UnusableContact) -> Result<(), PortError> {
        let item = Item::from([
            ("PK".into(), s(customer_pk(customer_id))),
            (
                "SK".into(),
                s(format!("UNUSABLE#{}#{}", c.channel, c.address.to_ascii_lowercase())),
            ),
            ("data".into(), s(serde_json::to_string(c).expect("contacts serialize"))),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error("dynamodb", e))?;
        Ok(())
    }
}

impl Activities for DynamoStore {
    async fn save_activity(
        &self,
        customer_id: &Id,
        a: &DeviceActivity,
        previous_sessions: Option<u32>,
    ) -> Result<bool, PortError> {
        let item = Item::from([
            ("PK".into(), s(customer_pk(customer_id))),
            ("SK".into(), s(format!("ACTIVITY#{}", a.device_id))),
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
