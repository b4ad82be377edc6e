//! The single-table DynamoDB store: one customer partition holds the profile, devices,
//! idempotency claims and delivery rows, so one `Query` serves a decision.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use forewarn_core::customer::{CustomerProfile, DeviceProfile};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::service::{Claim, Commit, CommitResult, Partition, PortError, Store, StoredDelivery};
use forewarn_core::types::Id;
use jiff::{Timestamp, ToSpan};

use crate::error::port_error;

/// How long an idempotency claim is kept.
pub const CLAIM_RETENTION_DAYS: i64 = 7;

type Item = HashMap<String, AttributeValue>;

pub fn customer_pk(id: &Id) -> String {
    format!("CUSTOMER#{id}")
}

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

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn delivery_item(row: &StoredDelivery) -> Item {
        Item::from([
            ("PK".into(), s(customer_pk(&row.customer_id))),
            ("SK".into(), s(row.sort_key())),
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
            ("outcome".into(), s(&claim.outcome)),
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

    fn parse(&self, items: Vec<Item>, event_id: &Id) -> Result<Partition, PortError> {
        let mut part = Partition::default();
        let mut devices: Vec<DeviceProfile> = Vec::new();
        let claim_sk = format!("EVENT#{event_id}");
        for item in items {
            let sk = get_s(&item, "SK").unwrap_or_default();
            if sk == "PROFILE" {
                let json = get_s(&item, "profile").ok_or_else(|| corrupt("profile", "no profile attribute"))?;
                part.profile = Some(serde_json::from_str(json).map_err(|e| corrupt("profile", e))?);
            } else if sk.starts_with("DEVICE#") {
                let json = get_s(&item, "device").ok_or_else(|| corrupt("device", "no device attribute"))?;
                devices.push(serde_json::from_str(json).map_err(|e| corrupt("device", e))?);
            } else if sk.starts_with("DELIVERY#") {
                let json = get_s(&item, "data").ok_or_else(|| corrupt("delivery", "no data attribute"))?;
                part.deliveries
                    .push(serde_json::from_str(json).map_err(|e| corrupt("delivery", e))?);
            } else if sk == claim_sk {
                let json = get_s(&item, "data").ok_or_else(|| corrupt("claim", "no data attribute"))?;
                part.claim = Some(serde_json::from_str(json).map_err(|e| corrupt("claim", e))?);
            }
        }
        if let Some(p) = &mut part.profile {
            devices.sort_by(|a, b| a.device_id.cmp(&b.device_id));
            p.devices = devices;
        }
        Ok(part)
    }
}

impl Store for DynamoStore {
    async fn load(&self, customer_id: &Id, event_id: &Id) -> Result<Partition, PortError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(customer_pk(customer_id)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| port_error("dynamodb", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        self.parse(items, event_id)
    }

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

    async fn finish(&self, customer_id: &Id, claim: &Claim, rows: &[StoredDelivery]) -> Result<(), PortError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("PK", s(customer_pk(customer_id)))
            .key("SK", s(format!("EVENT#{}", claim.event_id)))
            .update_expression("SET completed = :yes, outcome = :outcome, #data = :data")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":outcome", s(&claim.outcome))
            .expression_attribute_values(":data", s(serde_json::to_string(claim).expect("claims serialize")))
            .build()
            .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
        let mut writes = vec![TransactWriteItem::builder().update(update).build()];
        for row in rows {
            writes.push(self.put(Self::delivery_item(row), None, None)?);
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

    async fn delivery(&self, customer_id: &Id, sort_key: &str) -> Result<Option<StoredDelivery>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", s(customer_pk(customer_id)))
            .key("SK", s(sort_key))
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
            .key("SK", s(row.sort_key()))
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
