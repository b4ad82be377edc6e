//! The single-table DynamoDB store: one customer partition holds the profile, devices,
//! idempotency claims and delivery rows, so one `Query` serves a decision. Every key format
//! is in `keys`; `ports` implements the flows' store ports on it.

mod answers;
mod context;
mod endpoints;
mod explain;
mod import;
pub mod keys;
mod overdue;
mod ports;

pub use explain::CustomerRecord;
pub use keys::{KeyError, Pk, Sk};
pub use overdue::{PENDING_AT, PENDING_INDEX, PENDING_PK};

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use forewarn_core::customer::{CustomerProfile, DeviceProfile, PhoneNumber};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use forewarn_flows::records::{Claim, Partition, PartitionParts, Question, StoredDelivery};
use forewarn_flows::{FlowError, Port};
use jiff::ToSpan;

use crate::error::{port_error, unbuilt};

/// How long an idempotency claim is kept: longer than the on-failure queues keep an event
/// (14 days), so an event redriven from one is known as done, not decided afresh.
pub const CLAIM_RETENTION_DAYS: i64 = 15;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// How long an answered or expired question is kept.
const QUESTION_RETENTION_DAYS: i64 = 30;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// The `PK` and `SK` attributes of an item.
pub(crate) fn key(pk: &Pk, sk: &Sk) -> [(String, AttributeValue); 2] {
    [("PK".into(), s(pk.to_string())), ("SK".into(), s(sk.to_string()))]
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// A row's send lease in epoch milliseconds, 0 when it holds none.
pub(crate) fn lease_ms(row: &StoredDelivery) -> i64 {
    row.lease_until.map_or(0, |t| t.as_millisecond())
}

pub(crate) fn status_str(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Scheduled => "scheduled",
        DeliveryStatus::Sending => "sending",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Cancelled => "cancelled",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Expired => "expired",
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
        let pk = Pk::customer(&profile.customer_id);
        let mut bare = profile.clone();
        let devices = std::mem::take(&mut bare.devices);
        let [pk_attr, sk_attr] = key(&pk, &Sk::Profile);
        let mut items = vec![Item::from([
            pk_attr,
            sk_attr,
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
            let mut link = Item::from(key(
                &Pk::phone(phone.e164()),
                &Sk::Customer(profile.customer_id.clone()),
            ));
            link.insert("customer_id".into(), s(profile.customer_id.as_str()));
            items.push(link);
        }
        for d in devices {
            let mut item = Item::from(key(&pk, &Sk::Device(d.device_id.clone())));
            let json = serde_json::to_string(&d).expect("devices serialize");
            item.insert("device".into(), s(json));
            if let Some(arn) = &d.push_endpoint {
                item.insert("endpoint".into(), s(arn));
                items.push(endpoints::endpoint_item(arn, &profile.customer_id, &d.device_id));
            }
            if let Some(why) = &d.disabled_reason {
                item.insert("disabled_reason".into(), s(why));
            }
            items.push(item);
        }
        items
    }

    /// Writes items with `BatchWriteItem`, 25 a call, re-sending unprocessed items with backoff;
    /// `progress` hears how many were written.
    pub async fn put_batch(&self, items: &[Item], progress: impl Fn(usize)) -> Result<(), FlowError> {
        let requests = items
            .iter()
            .map(|i| {
                let put = PutRequest::builder()
                    .set_item(Some(i.clone()))
                    .build()
                    .map_err(unbuilt(Port::Dynamodb))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, FlowError>>()?;
        self.batch_write(requests, progress).await
    }

    /// Sends write requests with `BatchWriteItem`, 25 a call, re-sending unprocessed ones with
    /// backoff; `progress` hears how many went through.
    pub(crate) async fn batch_write(&self, all: Vec<WriteRequest>, progress: impl Fn(usize)) -> Result<(), FlowError> {
        for chunk in all.chunks(25) {
            let mut requests = chunk.to_vec();
            for attempt in 0..=8u32 {
                let n = requests.len();
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| port_error(Port::Dynamodb, e))?;
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
                return Err(FlowError::transient(
                    Port::Dynamodb,
                    format!("{} writes still unprocessed after 8 retries", requests.len()),
                ));
            }
        }
        Ok(())
    }

    /// Every item of a partition, following pages.
    pub(crate) async fn partition(&self, pk: &Pk) -> Result<Vec<Item>, FlowError> {
        let pk = pk.to_string();
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
                .map_err(|e| port_error(Port::Dynamodb, e))?;
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

    pub(crate) fn delivery_item(row: &StoredDelivery) -> Item {
        let mut item = Item::from(key(&Pk::customer(&row.customer_id), &Sk::delivery(&row.key())));
        item.extend([
            ("status".into(), s(status_str(row.record.status))),
            ("event_id".into(), s(row.record.event_id.as_str())),
            ("subject".into(), s(&row.record.subject)),
            ("channel".into(), s(row.record.channel.as_str())),
            ("send_at".into(), s(row.record.send_at.to_string())),
            ("data".into(), s(serde_json::to_string(row).expect("rows serialize"))),
            ("expires_at".into(), n(row.expires_at.as_second())),
            ("attempt".into(), n(i64::from(row.attempt))),
            ("lease_until_ms".into(), n(lease_ms(row))),
        ]);
        item.extend(overdue::pending_attributes(row).into_iter().flatten());
        item
    }

    pub(crate) fn claim_item(customer_id: &Id, claim: &Claim) -> Item {
        let mut item = Item::from(key(&Pk::customer(customer_id), &Sk::Event(claim.event_id.clone())));
        item.extend([
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
        ]);
        item
    }

    pub(crate) fn question_item(q: &Question) -> Item {
        let mut item = Item::from(key(&Pk::phone(&q.phone), &Sk::question(q)));
        item.extend([
            ("customer_id".into(), s(q.customer_id.as_str())),
            ("data".into(), s(serde_json::to_string(q).expect("questions serialize"))),
            (
                "expires_at".into(),
                n((q.expires_at + (QUESTION_RETENTION_DAYS * 24).hours()).as_second()),
            ),
        ]);
        item
    }

    /// A conditional single-item put; `Ok(false)` when the condition does not hold.
    pub(crate) async fn put_if(&self, item: Item, condition: &str, values: Option<Item>) -> Result<bool, FlowError> {
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
            Err(e) => Err(port_error(Port::Dynamodb, e)),
        }
    }

    pub(crate) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: Option<Item>,
    ) -> Result<TransactWriteItem, FlowError> {
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
            .map_err(unbuilt(Port::Dynamodb))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(crate) fn parse(&self, items: Vec<Item>, event_id: Option<&Id>) -> Result<Partition, FlowError> {
        let mut part = PartitionParts::default();
        for item in items {
            let sk = match Sk::parse(get_s(&item, "SK").unwrap_or_default()) {
                Ok(sk) => sk,
                Err(KeyError::Unknown) => continue,
                Err(e) => return Err(FlowError::corrupt("key", e)),
            };
            let data = |what: &str, attr: &str| {
                get_s(&item, attr).ok_or_else(|| FlowError::corrupt(what, format!("no {attr} attribute")))
            };
            let json = |what: &str| data(what, "data");
            let corrupt = |what: &'static str| move |e: serde_json::Error| FlowError::corrupt(what, e);
            match sk {
                Sk::Profile => {
                    part.profile = Some(serde_json::from_str(data("profile", "profile")?).map_err(corrupt("profile"))?);
                }
                Sk::Device(_) => {
                    // A device that was disabled before its profile row was written has no `device`.
                    let Some(json) = get_s(&item, "device") else { continue };
                    let mut d: DeviceProfile = serde_json::from_str(json).map_err(corrupt("device"))?;
                    d.disabled_reason = get_s(&item, "disabled_reason").map(str::to_owned).or(d.disabled_reason);
                    part.devices.push(d);
                }
                Sk::OptOut(channel) => part.opted_out.push(channel),
                Sk::OptIn(channel) => part
                    .opted_in
                    .push((channel, get_s(&item, "reason").unwrap_or("opted in").to_owned())),
                Sk::Unusable { .. } => part
                    .unusable
                    .push(serde_json::from_str(json("unusable contact")?).map_err(corrupt("unusable contact"))?),
                Sk::Activity(_) => part
                    .activity
                    .push(serde_json::from_str(json("activity")?).map_err(corrupt("activity"))?),
                Sk::Delivery(_) => part
                    .deliveries
                    .push(serde_json::from_str(json("delivery")?).map_err(corrupt("delivery"))?),
                Sk::Resolved(_) => part
                    .resolutions
                    .push(serde_json::from_str(json("resolution")?).map_err(corrupt("resolution"))?),
                Sk::Decisions => {
                    let count = item.get("decisions").and_then(|v| v.as_n().ok());
                    part.decisions = count.map_or(Ok(0), |c| {
                        c.parse().map_err(|e| FlowError::corrupt("decision count", e))
                    })?;
                }
                Sk::Event(e) if Some(&e) == event_id => {
                    part.claim = Some(serde_json::from_str(json("claim")?).map_err(corrupt("claim"))?);
                }
                _ => {}
            }
        }
        Ok(part.assemble())
    }
}
