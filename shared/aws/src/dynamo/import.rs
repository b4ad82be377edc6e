//! Customer import's clean-up: a profile written again replaces the stored one whole, so the
//! devices it no longer lists and the link from a phone number it no longer has are removed,
//! and nothing is sent to a device or number the bank took away.

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use forewarn_core::customer::{CustomerProfile, DeviceProfile, PhoneNumber};
use forewarn_flows::{FlowError, Port};

use super::{DynamoStore, Item, KeyError, Pk, Sk, get_s};
use crate::error::unbuilt;

impl DynamoStore {
    /// The keys of what the stored partition of `profile`'s customer holds and `profile` no
    /// longer does: devices it does not list, and the link from its former phone number.
    pub async fn stale_keys(&self, profile: &CustomerProfile) -> Result<Vec<Item>, FlowError> {
        let pk = Pk::customer(&profile.customer_id);
        let phone_of = |p: &CustomerProfile| {
            p.contacts
                .phone
                .as_deref()
                .and_then(|x| PhoneNumber::parse(x).ok())
                .map(|x| x.e164().to_owned())
        };
        let mut stale = Vec::new();
        for item in self.partition(&pk).await? {
            let sk = match Sk::parse(get_s(&item, "SK").unwrap_or_default()) {
                Ok(sk) => sk,
                Err(KeyError::Unknown) => continue,
                Err(e) => return Err(FlowError::corrupt("key", e)),
            };
            if sk == Sk::Profile {
                let json =
                    get_s(&item, "profile").ok_or_else(|| FlowError::corrupt("profile", "no profile attribute"))?;
                let old: CustomerProfile = serde_json::from_str(json).map_err(|e| FlowError::corrupt("profile", e))?;
                if let Some(old_phone) = phone_of(&old).filter(|o| Some(o) != phone_of(profile).as_ref()) {
                    stale.push(key(&Pk::phone(&old_phone), &Sk::Customer(profile.customer_id.clone())));
                }
            } else if let Sk::Device(device) = &sk
                && !profile.devices.iter().any(|d: &DeviceProfile| &d.device_id == device)
            {
                stale.push(key(&pk, &sk));
            }
        }
        Ok(stale)
    }

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

fn key(pk: &Pk, sk: &Sk) -> Item {
    Item::from(super::key(pk, sk))
}
