//! The in-memory context store and SNS endpoints: the table's conditions on revisions and stamps, the devices kept in the profile notify reads.

use std::collections::BTreeMap;
use std::rc::Rc;

use forewarn_core::customer::{CustomerProfile, PhoneNumber};
use forewarn_core::events::{ProfileField, PushPlatform, PushToken};
use forewarn_core::types::Id;

use super::Memory;
use crate::error::FlowError;
use crate::ports::{ContextStore, Endpoints};
use crate::stamped::{DeviceState, Erasure, Stamp, StampedProfile, StoredContext};

/// What the in-memory context store holds beside the profiles.
#[derive(Default)]
pub struct ContextMemory {
    /// Each customer's field stamps and profile revision.
    pub stamps: Vec<(Id, BTreeMap<ProfileField, Stamp>, u64)>,
    /// Each customer's device states.
    pub devices: Vec<(Id, DeviceState)>,
    /// The markers erasures left.
    pub erasures: Vec<(Id, Erasure)>,
    /// The platform endpoints: `(arn, platform, token, enabled)`.
    pub endpoints: Vec<MemoryEndpoint>,
}

/// One SNS platform endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEndpoint {
    pub arn: String,
    pub platform: PushPlatform,
    pub token: PushToken,
    pub enabled: bool,
}

impl Memory {
    /// Keeps the devices of `customer_id`'s profile in step with their states: a device
    /// registered is there, enabled again; one removed is gone.
    fn sync_devices(&self, customer_id: &Id) {
        let ctx = self.context.borrow();
        let states: Vec<&DeviceState> = ctx
            .devices
            .iter()
            .filter(|(c, _)| c == customer_id)
            .map(|(_, d)| d)
            .collect();
        let mut profiles = self.profiles.borrow_mut();
        let Some(p) = profiles.iter_mut().find(|p| &p.customer_id == customer_id) else {
            return;
        };
        p.devices.retain(|d| !states.iter().any(|s| s.device_id == d.device_id));
        p.devices.extend(states.iter().filter_map(|s| s.device()));
        let registered: Vec<&Id> = states
            .iter()
            .filter(|s| s.registration.is_some())
            .map(|s| &s.device_id)
            .collect();
        self.disabled
            .borrow_mut()
            .retain(|(c, d, _)| c != customer_id || !registered.contains(&d));
    }
}

impl ContextStore for Rc<Memory> {
    async fn context(&self, customer_id: &Id) -> Result<StoredContext, FlowError> {
        let ctx = self.context.borrow();
        let stamps = ctx.stamps.iter().find(|(c, ..)| c == customer_id);
        let profile = self
            .profiles
            .borrow()
            .iter()
            .find(|p| &p.customer_id == customer_id)
            .cloned();
        Ok(StoredContext {
            revision: profile.as_ref().map(|_| stamps.map_or(0, |s| s.2)),
            profile: profile.map(|p| StampedProfile {
                profile: CustomerProfile { devices: vec![], ..p },
                stamps: stamps.map(|s| s.1.clone()).unwrap_or_default(),
            }),
            devices: ctx
                .devices
                .iter()
                .filter(|(c, _)| c == customer_id)
                .map(|(_, d)| d.clone())
                .collect(),
            erased: ctx
                .erasures
                .iter()
                .find(|(c, _)| c == customer_id)
                .map(|(_, e)| e.clone()),
        })
    }

    async fn save_profile(
        &self,
        customer_id: &Id,
        p: &StampedProfile,
        expected: Option<u64>,
    ) -> Result<bool, FlowError> {
        let held = self.context(customer_id).await?.revision;
        if held != expected {
            return Ok(false);
        }
        {
            let mut profiles = self.profiles.borrow_mut();
            let devices = match profiles.iter().position(|x| &x.customer_id == customer_id) {
                Some(i) => profiles.remove(i).devices,
                None => vec![],
            };
            profiles.push(CustomerProfile {
                devices,
                ..p.profile.clone()
            });
            let mut ctx = self.context.borrow_mut();
            ctx.stamps.retain(|(c, ..)| c != customer_id);
            ctx.stamps
                .push((customer_id.clone(), p.stamps.clone(), expected.map_or(1, |r| r + 1)));
        }
        self.sync_devices(customer_id);
        Ok(true)
    }

    async fn save_device(
        &self,
        customer_id: &Id,
        d: &DeviceState,
        expected: Option<&Stamp>,
    ) -> Result<bool, FlowError> {
        {
            let mut ctx = self.context.borrow_mut();
            let mine = |(c, x): &(Id, DeviceState)| c == customer_id && x.device_id == d.device_id;
            if ctx.devices.iter().find(|x| mine(x)).map(|(_, x)| &x.stamp) != expected {
                return Ok(false);
            }
            ctx.devices.retain(|x| !mine(x));
            ctx.devices.push((customer_id.clone(), d.clone()));
        }
        self.sync_devices(customer_id);
        Ok(true)
    }

    async fn token_owner(&self, platform: PushPlatform, token: &PushToken) -> Result<Option<(Id, Id)>, FlowError> {
        let ctx = self.context.borrow();
        Ok(ctx.devices.iter().find_map(|(c, d)| {
            let r = d.registration.as_ref()?;
            (r.platform == platform && &r.token == token).then(|| (c.clone(), d.device_id.clone()))
        }))
    }

    async fn erase(&self, customer_id: &Id, erasure: &Erasure) -> Result<Option<BTreeMap<String, usize>>, FlowError> {
        if self
            .context(customer_id)
            .await?
            .erased
            .is_some_and(|e| e.stamp >= erasure.stamp)
        {
            return Ok(None);
        }
        let mut removed = BTreeMap::new();
        let mut count = |what: &str, n: usize| {
            if n > 0 {
                *removed.entry(what.to_owned()).or_insert(0) += n;
            }
        };
        let mine = |c: &Id| c == customer_id;
        {
            let mut profiles = self.profiles.borrow_mut();
            let held: Vec<&CustomerProfile> = profiles.iter().filter(|p| mine(&p.customer_id)).collect();
            count("device", held.iter().map(|p| p.devices.len()).sum());
            let phone = |p: &&&CustomerProfile| {
                p.contacts
                    .phone
                    .as_deref()
                    .is_some_and(|x| PhoneNumber::parse(x).is_ok())
            };
            count("phone link", held.iter().filter(phone).count());
            count("profile", drain(&mut profiles, |p| mine(&p.customer_id)));
        }
        let mut ctx = self.context.borrow_mut();
        count("registration", drain(&mut ctx.devices, |(c, _)| mine(c)));
        ctx.stamps.retain(|(c, ..)| !mine(c));
        ctx.erasures.retain(|(c, _)| !mine(c));
        let mut marker = erasure.clone();
        count("delivery", drain(&mut self.rows.borrow_mut(), |r| mine(&r.customer_id)));
        count("claim", drain(&mut self.claims.borrow_mut(), |(c, _)| mine(c)));
        count(
            "question",
            drain(&mut self.questions.borrow_mut(), |q| mine(&q.customer_id)),
        );
        count("habits", drain(&mut self.activity.borrow_mut(), |(c, _)| mine(c)));
        count("opt-out", drain(&mut self.opt_outs.borrow_mut(), |(c, _)| mine(c)));
        count("opt-in", drain(&mut self.opt_ins.borrow_mut(), |(c, ..)| mine(c)));
        count(
            "unusable address",
            drain(&mut self.unusable.borrow_mut(), |(c, _)| mine(c)),
        );
        count(
            "disabled device",
            drain(&mut self.disabled.borrow_mut(), |(c, ..)| mine(c)),
        );
        count(
            "resolution",
            drain(&mut self.resolutions.borrow_mut(), |(c, _)| mine(c)),
        );
        count(
            "decision count",
            drain(&mut self.decisions.borrow_mut(), |(c, _)| mine(c)),
        );
        marker.removed = removed.clone();
        ctx.erasures.push((customer_id.clone(), marker));
        Ok(Some(removed))
    }
}

/// Removes the items `which` picks, and says how many.
fn drain<T>(items: &mut Vec<T>, which: impl Fn(&T) -> bool) -> usize {
    let before = items.len();
    items.retain(|x| !which(x));
    before - items.len()
}

impl Endpoints for Rc<Memory> {
    async fn register(&self, platform: PushPlatform, token: &PushToken, _customer: &Id) -> Result<String, FlowError> {
        let mut ctx = self.context.borrow_mut();
        if let Some(e) = ctx
            .endpoints
            .iter_mut()
            .find(|e| e.platform == platform && &e.token == token)
        {
            e.enabled = true;
            return Ok(e.arn.clone());
        }
        let app = match platform {
            PushPlatform::Apns => "APNS/forewarn-apns",
            PushPlatform::ApnsSandbox => "APNS_SANDBOX/forewarn-apns-sandbox",
            PushPlatform::Fcm => "GCM/forewarn-fcm",
        };
        let arn = format!(
            "arn:aws:sns:eu-west-1:123456789012:endpoint/{app}/{:08}",
            ctx.endpoints.len() + 1
        );
        ctx.endpoints.push(MemoryEndpoint {
            arn: arn.clone(),
            platform,
            token: token.clone(),
            enabled: true,
        });
        Ok(arn)
    }

    async fn retire(&self, endpoint: &str) -> Result<(), FlowError> {
        self.context.borrow_mut().endpoints.retain(|e| e.arn != endpoint);
        Ok(())
    }
}
