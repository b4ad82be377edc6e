//! Devices by their SNS platform endpoint (`ENDPOINT#<arn>` / `OWNER`), written beside every device that holds one, and the conditional write that marks such a device unusable.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use forewarn_core::types::Id;
use forewarn_flows::ports::PushDevices;
use forewarn_flows::{FlowError, Port};

use super::{DynamoStore, Item, Pk, Sk, get_s, key, s};
use crate::error::port_error;

/// The index item saying that `device_id` of `customer_id` holds `endpoint`.
pub(crate) fn endpoint_item(endpoint: &str, customer_id: &Id, device_id: &Id) -> Item {
    let mut item = Item::from(key(&Pk::Endpoint(endpoint.to_owned()), &Sk::Owner));
    item.insert("customer_id".into(), s(customer_id.as_str()));
    item.insert("device_id".into(), s(device_id.as_str()));
    item
}

impl DynamoStore {
    /// Deletes the index entry of `endpoint` if it still names this customer's device.
    pub(crate) async fn forget_endpoint(&self, endpoint: &str, customer_id: &Id, device: &Id) -> Result<(), FlowError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(&Pk::Endpoint(endpoint.to_owned()), &Sk::Owner))))
            .condition_expression("customer_id = :c AND device_id = :d")
            .expression_attribute_values(":c", s(customer_id.as_str()))
            .expression_attribute_values(":d", s(device.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(port_error(Port::Dynamodb, e)),
        }
    }
}

impl PushDevices for DynamoStore {
    async fn endpoint_owner(&self, endpoint: &str) -> Result<Option<(Id, Id)>, FlowError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(&Pk::Endpoint(endpoint.to_owned()), &Sk::Owner))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(Port::Dynamodb, e))?;
        let Some(item) = out.item else { return Ok(None) };
        let id = |attr: &str| {
            get_s(&item, attr)
                .and_then(|v| Id::parse(v).ok())
                .ok_or_else(|| FlowError::corrupt("endpoint owner", format!("no {attr}")))
        };
        Ok(Some((id("customer_id")?, id("device_id")?)))
    }

    async fn disable_device(
        &self,
        customer_id: &Id,
        device_id: &Id,
        endpoint: &str,
        why: &str,
    ) -> Result<bool, FlowError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(
                &Pk::customer(customer_id),
                &Sk::Device(device_id.clone()),
            ))))
            .update_expression("SET disabled_reason = :why")
            // A device item written before the endpoint attribute existed is trusted on the
            // flow's read of its profile.
            .condition_expression("attribute_exists(device) AND (attribute_not_exists(endpoint) OR endpoint = :arn)")
            .expression_attribute_values(":why", s(why))
            .expression_attribute_values(":arn", s(endpoint))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(port_error(Port::Dynamodb, e)),
        }
    }
}
