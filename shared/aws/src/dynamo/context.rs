//! The context store on the table: the profile with its field stamps and revision (`PROFILE`), device registrations (`REGISTRATION#…` beside `DEVICE#…`), the token index (`TOKEN#…` / `OWNER`) and the erasure marker (`ERASED`), all written conditionally.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use forewarn_core::customer::{CustomerProfile, PhoneNumber};
use forewarn_core::events::{PushPlatform, PushToken};
use forewarn_core::types::Id;
use forewarn_flows::context::{DeviceState, Erasure, Stamp, StampedProfile, StoredContext};
use forewarn_flows::ports::ContextStore;
use forewarn_flows::records::Question;
use forewarn_flows::{FlowError, Port};

use super::{DynamoStore, Item, KeyError, Pk, Sk, get_s, key, n, s};
use crate::error::{port_error, unbuilt};

fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> FlowError {
    move |e| FlowError::corrupt(what, e)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("context records serialize")
}

fn token_pk(platform: PushPlatform, token: &PushToken) -> Pk {
    Pk::Token {
        platform: platform.as_str().to_owned(),
        token: token.expose().to_owned(),
    }
}

fn e164(p: &CustomerProfile) -> Option<String> {
    let phone = p.contacts.phone.as_deref()?;
    PhoneNumber::parse(phone).ok().map(|x| x.e164().to_owned())
}

impl DynamoStore {
    /// A conditional transaction: true if it went through, false if a condition failed.
    async fn transact_if(&self, writes: Vec<TransactWriteItem>) -> Result<bool, FlowError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let failed = e.as_service_error().is_some_and(|s| match s {
                    TransactWriteItemsError::TransactionCanceledException(t) => t
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                });
                if failed {
                    Ok(false)
                } else {
                    Err(port_error(Port::Dynamodb, e))
                }
            }
        }
    }

    fn delete_write(&self, pk: &Pk, sk: &Sk) -> Result<TransactWriteItem, FlowError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(pk, sk))))
            .build()
            .map_err(unbuilt(Port::Dynamodb))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The phone number's items that are this customer's: the link and the questions sent.
    async fn phone_items(&self, customer_id: &Id, phone: &str) -> Result<Vec<(&'static str, Item)>, FlowError> {
        let pk = Pk::phone(phone);
        let mut mine = Vec::new();
        for item in self.partition(&pk).await? {
            let sk = match Sk::parse(get_s(&item, "SK").unwrap_or_default()) {
                Ok(sk) => sk,
                Err(KeyError::Unknown) => continue,
                Err(e) => return Err(FlowError::corrupt("key", e)),
            };
            let ours = match &sk {
                Sk::Customer(c) if c == customer_id => Some("phone link"),
                Sk::Question { .. } => get_s(&item, "data")
                    .and_then(|d| serde_json::from_str::<Question>(d).ok())
                    .filter(|q| &q.customer_id == customer_id)
                    .map(|_| "question"),
                _ => None,
            };
            if let Some(what) = ours {
                mine.push((what, Item::from(key(&pk, &sk))));
            }
        }
        Ok(mine)
    }
}

impl ContextStore for DynamoStore {
    async fn context(&self, customer_id: &Id) -> Result<StoredContext, FlowError> {
        let mut ctx = StoredContext::default();
        for item in self.partition(&Pk::customer(customer_id)).await? {
            let sk = match Sk::parse(get_s(&item, "SK").unwrap_or_default()) {
                Ok(sk) => sk,
                Err(KeyError::Unknown) => continue,
                Err(e) => return Err(FlowError::corrupt("key", e)),
            };
            match sk {
                Sk::Profile => {
                    let p = get_s(&item, "profile").ok_or_else(|| FlowError::corrupt("profile", "no profile"))?;
                    let profile: CustomerProfile = serde_json::from_str(p).map_err(corrupt("profile"))?;
                    let stamps = match get_s(&item, "stamps") {
                        Some(j) => serde_json::from_str(j).map_err(corrupt("profile stamps"))?,
                        None => BTreeMap::new(),
                    };
                    let revision = item.get("revision").and_then(|v| v.as_n().ok()).map_or(Ok(0), |r| {
                        r.parse().map_err(|e| FlowError::corrupt("profile revision", e))
                    })?;
                    ctx.revision = Some(revision);
                    ctx.profile = Some(StampedProfile { profile, stamps });
                }
                Sk::Registration(_) => {
                    let d = get_s(&item, "state").ok_or_else(|| FlowError::corrupt("registration", "no state"))?;
                    ctx.devices
                        .push(serde_json::from_str(d).map_err(corrupt("registration"))?);
                }
                Sk::Erased => {
                    let e = get_s(&item, "erasure").ok_or_else(|| FlowError::corrupt("erasure", "no erasure"))?;
                    ctx.erased = Some(serde_json::from_str(e).map_err(corrupt("erasure"))?);
                }
                _ => {}
            }
        }
        Ok(ctx)
    }

    async fn save_profile(
        &self,
        customer_id: &Id,
        p: &StampedProfile,
        expected: Option<u64>,
    ) -> Result<bool, FlowError> {
        let pk = Pk::customer(customer_id);
        let before = self.context(customer_id).await?.profile;
        let next = expected.map_or(1, |r| r + 1);
        let mut item = Item::from(key(&pk, &Sk::Profile));
        item.insert(
            "profile".into(),
            s(json(&CustomerProfile {
                devices: vec![],
                ..p.profile.clone()
            })),
        );
        item.insert("stamps".into(), s(json(&p.stamps)));
        item.insert("revision".into(), n(i64::try_from(next).unwrap_or(i64::MAX)));
        let (condition, values) = match expected {
            None => ("attribute_not_exists(PK)", None),
            Some(0) => (
                "attribute_exists(PK) AND (attribute_not_exists(revision) OR revision = :r)",
                Some(0),
            ),
            Some(r) => ("revision = :r", Some(r)),
        };
        let values = values.map(|r| Item::from([(":r".to_owned(), n(i64::try_from(r).unwrap_or(i64::MAX)))]));
        let mut writes = vec![self.put(item, Some(condition), values)?];
        let (old, new) = (before.as_ref().and_then(|b| e164(&b.profile)), e164(&p.profile));
        if old != new {
            if let Some(old) = &old {
                writes.push(self.delete_write(&Pk::phone(old), &Sk::Customer(customer_id.clone()))?);
            }
            if let Some(new) = &new {
                let mut link = Item::from(key(&Pk::phone(new), &Sk::Customer(customer_id.clone())));
                link.insert("customer_id".into(), s(customer_id.as_str()));
                writes.push(self.put(link, None, None)?);
            }
        }
        self.transact_if(writes).await
    }

    async fn save_device(
        &self,
        customer_id: &Id,
        d: &DeviceState,
        expected: Option<&Stamp>,
    ) -> Result<bool, FlowError> {
        let pk = Pk::customer(customer_id);
        let previous = self
            .context(customer_id)
            .await?
            .devices
            .into_iter()
            .find(|x| x.device_id == d.device_id);
        let mut item = Item::from(key(&pk, &Sk::Registration(d.device_id.clone())));
        item.insert("state".into(), s(json(d)));
        item.insert("stamp".into(), s(json(&d.stamp)));
        let (condition, values) = match expected {
            None => ("attribute_not_exists(PK)", None),
            Some(st) => ("stamp = :st", Some(Item::from([(":st".to_owned(), s(json(st)))]))),
        };
        let mut writes = vec![self.put(item, Some(condition), values)?];
        let device_sk = Sk::Device(d.device_id.clone());
        match (d.device(), &d.registration) {
            (Some(device), Some(r)) => {
                let mut item = Item::from(key(&pk, &device_sk));
                item.insert("device".into(), s(json(&device)));
                item.insert("endpoint".into(), s(&r.endpoint));
                writes.push(self.put(item, None, None)?);
                writes.push(self.put(
                    super::endpoints::endpoint_item(&r.endpoint, customer_id, &d.device_id),
                    None,
                    None,
                )?);
                let mut owner = Item::from(key(&token_pk(r.platform, &r.token), &Sk::Owner));
                owner.insert("customer_id".into(), s(customer_id.as_str()));
                owner.insert("device_id".into(), s(d.device_id.as_str()));
                writes.push(self.put(owner, None, None)?);
            }
            _ => writes.push(self.delete_write(&pk, &device_sk)?),
        }
        if !self.transact_if(writes).await? {
            return Ok(false);
        }
        // The token this device held before, if it changed: its index goes, unless another
        // device took the token since.
        if let Some(old) = previous.and_then(|p| p.registration) {
            let same = d
                .registration
                .as_ref()
                .is_some_and(|r| r.token == old.token && r.platform == old.platform);
            if !same {
                self.forget_token(customer_id, &d.device_id, old.platform, &old.token)
                    .await?;
            }
            if d.registration.as_ref().is_none_or(|r| r.endpoint != old.endpoint) {
                self.forget_endpoint(&old.endpoint, customer_id, &d.device_id).await?;
            }
        }
        Ok(true)
    }

    async fn token_owner(&self, platform: PushPlatform, token: &PushToken) -> Result<Option<(Id, Id)>, FlowError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(&token_pk(platform, token), &Sk::Owner))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(Port::Dynamodb, e))?;
        let Some(item) = out.item else { return Ok(None) };
        let id = |attr: &str| {
            get_s(&item, attr)
                .and_then(|v| Id::parse(v).ok())
                .ok_or_else(|| FlowError::corrupt("token owner", format!("no {attr}")))
        };
        Ok(Some((id("customer_id")?, id("device_id")?)))
    }

    async fn erase(&self, customer_id: &Id, erasure: &Erasure) -> Result<Option<BTreeMap<String, usize>>, FlowError> {
        let ctx = self.context(customer_id).await?;
        if ctx.erased.as_ref().is_some_and(|e| e.stamp >= erasure.stamp) {
            return Ok(None);
        }
        let pk = Pk::customer(customer_id);
        let mut removed: BTreeMap<String, usize> = BTreeMap::new();
        let mut keys = Vec::new();
        for item in self.partition(&pk).await? {
            let Ok(sk) = Sk::parse(get_s(&item, "SK").unwrap_or_default()) else {
                continue;
            };
            let what = match &sk {
                Sk::Erased => continue,
                Sk::Profile => "profile",
                Sk::Device(_) => "device",
                Sk::Registration(_) => "registration",
                Sk::Delivery(_) => "delivery",
                Sk::Event(_) => "claim",
                Sk::Activity(_) => "habits",
                Sk::OptOut(_) => "opt-out",
                Sk::OptIn(_) => "opt-in",
                Sk::Unusable { .. } => "unusable address",
                Sk::Resolved(_) => "resolution",
                Sk::Decisions => "decision count",
                _ => "other",
            };
            if let (Sk::Device(device), Some(arn)) = (&sk, get_s(&item, "endpoint")) {
                self.forget_endpoint(arn, customer_id, device).await?;
            }
            *removed.entry(what.to_owned()).or_default() += 1;
            keys.push(Item::from(key(&pk, &sk)));
        }
        for r in ctx
            .devices
            .iter()
            .filter_map(|d| d.registration.as_ref().map(|r| (d, r)))
        {
            self.forget_token(customer_id, &r.0.device_id, r.1.platform, &r.1.token)
                .await?;
            self.forget_endpoint(&r.1.endpoint, customer_id, &r.0.device_id).await?;
        }
        if let Some(phone) = ctx.profile.as_ref().and_then(|p| e164(&p.profile)) {
            for (what, k) in self.phone_items(customer_id, &phone).await? {
                *removed.entry(what.to_owned()).or_default() += 1;
                keys.push(k);
            }
        }
        self.delete_batch(&keys).await?;
        let mut marker = Item::from(key(&pk, &Sk::Erased));
        let kept = Erasure {
            removed: removed.clone(),
            ..erasure.clone()
        };
        marker.insert("erasure".into(), s(json(&kept)));
        marker.insert("stamp".into(), s(json(&kept.stamp)));
        let condition = "attribute_not_exists(PK) OR stamp < :st";
        let values = Item::from([(":st".to_owned(), s(json(&erasure.stamp)))]);
        self.put_if(marker, condition, Some(values)).await?;
        removed.retain(|_, n| *n > 0);
        Ok(Some(removed))
    }
}

impl DynamoStore {
    /// Deletes the index entry of `token` if it still names this customer's device.
    async fn forget_token(
        &self,
        customer_id: &Id,
        device: &Id,
        platform: PushPlatform,
        token: &PushToken,
    ) -> Result<(), FlowError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(key(&token_pk(platform, token), &Sk::Owner))))
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
