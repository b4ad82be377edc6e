//! The `Pending` index: a sparse global secondary index that holds only rows still
//! `scheduled` or `sending` (or failed as stuck and not yet reported), keyed by the day of their time (in a few shards) and their
//! time, so the sweep finds rows stuck past their horizon without scanning the table.

use aws_sdk_dynamodb::types::AttributeValue;
use forewarn_flows::ports::Overdue;
use forewarn_flows::records::StoredDelivery;
use forewarn_flows::{FlowError, Port};
use jiff::{Timestamp, ToSpan};

use super::{DynamoStore, Item, Pk, get_s, n, s};
use crate::error::port_error;

/// The index's name, as template.yaml declares it.
pub const PENDING_INDEX: &str = "Pending";
/// The index's partition key: `PENDING#<day of the row's time>#<shard>`.
pub const PENDING_PK: &str = "pending_pk";
/// The index's sort key: the row's time in epoch milliseconds.
pub const PENDING_AT: &str = "pending_at";
/// Each day's pending rows are spread over this many index partitions.
const SHARDS: u32 = 4;
/// How many days before `before` the sweep looks: a row pending longer was failed by an
/// earlier sweep, or by the customer's next decision.
const LOOKBACK_DAYS: i64 = 2;

/// The index partition of `day`'s rows in `shard`.
fn pending_pk(day: &str, shard: u32) -> String {
    Pk::Pending {
        day: day.to_owned(),
        shard,
    }
    .to_string()
}

fn shard_of(customer: &str) -> u32 {
    customer
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % SHARDS
}

fn day_of(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// The index attributes of `row` while it is pending, or failed as stuck and not yet
/// reported; none after, so the row leaves the index.
pub(crate) fn pending_attributes(row: &StoredDelivery) -> Option<[(String, AttributeValue); 2]> {
    (row.record.is_pending() || row.unreported).then(|| {
        let at = row.record.send_at;
        [
            (
                PENDING_PK.to_owned(),
                s(pending_pk(&day_of(at), shard_of(row.customer_id.as_str()))),
            ),
            (PENDING_AT.to_owned(), n(at.as_millisecond())),
        ]
    })
}

impl DynamoStore {
    /// Every pending row of one index partition due before `before`, oldest first.
    async fn pending_in(&self, pk: String, before: Timestamp, limit: usize) -> Result<Vec<Item>, FlowError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(PENDING_INDEX)
                .key_condition_expression("#pk = :pk AND #at < :before")
                .expression_attribute_names("#pk", PENDING_PK)
                .expression_attribute_names("#at", PENDING_AT)
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":before", n(before.as_millisecond()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| port_error(Port::Dynamodb, e))?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() || items.len() >= limit {
                return Ok(items);
            }
        }
    }
}

impl Overdue for DynamoStore {
    async fn overdue(&self, before: Timestamp, limit: usize) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut rows = Vec::new();
        for back in (0..=LOOKBACK_DAYS).rev() {
            let day = day_of(before - (back * 24).hours());
            for shard in 0..SHARDS {
                for item in self.pending_in(pending_pk(&day, shard), before, limit).await? {
                    let json =
                        get_s(&item, "data").ok_or_else(|| FlowError::corrupt("pending row", "no data attribute"))?;
                    let row: StoredDelivery =
                        serde_json::from_str(json).map_err(|e| FlowError::corrupt("pending row", e))?;
                    rows.push(row);
                }
            }
        }
        rows.sort_by_key(|r| r.record.send_at);
        rows.truncate(limit);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_always_lands_in_the_same_shard_and_shards_spread() {
        assert_eq!(shard_of("c-1001"), shard_of("c-1001"));
        let used: std::collections::BTreeSet<u32> = (0..40).map(|i| shard_of(&format!("c-{i}"))).collect();
        assert_eq!(used.len(), SHARDS as usize, "{used:?}");
    }
}
