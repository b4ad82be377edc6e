//! The devices a customer file lists, as `forewarn customers import` writes them (`DEVICE#…` with its `ENDPOINT#…` index), each write conditional on the device not having been marked unusable; and batch deletes.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{DeleteRequest, ReturnValue, WriteRequest};
use forewarn_core::customer::DeviceProfile;
use forewarn_core::types::Id;
use forewarn_flows::ports::ImportedDevices;
use forewarn_flows::{FlowError, Port};

use super::{DynamoStore, Item, Pk, Sk, get_s, s};
use crate::error::{port_error, unbuilt};

/// Never over a device feedback, the sweep or a Publish refusal marked unusable.
const USABLE: &str = "attribute_not_exists(disabled_reason)";

impl DynamoStore {
    /// Deletes items by key with `BatchWriteItem`, re-sending unprocessed ones.
    pub async fn delete_batch(&self, keys: &[Item]) -> Result<(), FlowError> {
        let requests = keys
            .iter()
            .map(|k| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(k.clone()))
                    .build()
                    .map_err(unbuilt(Port::Dynamodb))?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<Vec<_>, FlowError>>()?;
        self.batch_write(requests, |_| {}).await
    }
}

impl ImportedDevices for DynamoStore {
    async fn put_device(&self, customer_id: &Id, d: &DeviceProfile) -> Result<bool, FlowError> {
        let mut item = Item::from(super::key(&Pk::customer(customer_id), &Sk::Device(d.device_id.clone())));
        item.insert("device".into(), s(serde_json::to_string(d).expect("devices serialize")));
        if let Some(arn) = &d.push_endpoint {
            item.insert("endpoint".into(), s(arn));
        }
        if let Some(why) = &d.disabled_reason {
            item.insert("disabled_reason".into(), s(why));
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(USABLE)
            .send()
            .await;
        match put {
            Ok(_) => {}
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => return Ok(false),
            Err(e) => return Err(port_error(Port::Dynamodb, e)),
        }
        if let Some(arn) = &d.push_endpoint {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(super::endpoints::endpoint_item(arn, customer_id, &d.device_id)))
                .send()
                .await
                .map_err(|e| port_error(Port::Dynamodb, e))?;
        }
        Ok(true)
    }

    async fn delete_device(&self, customer_id: &Id, device_id: &Id) -> Result<(), FlowError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(super::key(
                &Pk::customer(customer_id),
                &Sk::Device(device_id.clone()),
            ))))
            .condition_expression(USABLE)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let old = match deleted {
            Ok(out) => out.attributes,
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => return Ok(()),
            Err(e) => return Err(port_error(Port::Dynamodb, e)),
        };
        if let Some(arn) = old.as_ref().and_then(|o| get_s(o, "endpoint")) {
            self.forget_endpoint(arn, customer_id, device_id).await?;
        }
        Ok(())
    }
}
