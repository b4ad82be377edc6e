//! Devices: a push token made into an SNS platform endpoint, refreshed, moved to the customer that registered it last, and removed.

use forewarn_core::events::DeviceRegistered;
use forewarn_core::outcomes::Outcome;
use forewarn_core::types::Id;

use super::{ATTEMPTS, DeviceState, Registration, Stamp, busy};
use crate::error::FlowError;
use crate::ports::{Bus, ContextStore, Endpoints, Partitions, Scheduler};
use crate::report::Report;
use crate::service::Service;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    /// Registers `d`'s token: its endpoint is created (or found, enabled and updated), the
    /// device holding the token before leaves it, and a refreshed token's old endpoint goes.
    pub(super) async fn register_device(&self, d: &DeviceRegistered, stamp: &Stamp) -> Result<Report, FlowError> {
        let mut reasons = Vec::new();
        for _ in 0..ATTEMPTS {
            let stored = self.store.context(&d.customer_id).await?;
            let current = stored.device(&d.device_id);
            if let Some(why) = stale(stored.erased.as_ref().map(|e| &e.stamp), current, stamp) {
                return Ok(why);
            }
            if let Some((owner, device)) = self.store.token_owner(d.platform, &d.token).await?
                && (owner != d.customer_id || device != d.device_id)
            {
                match self.take_token(&owner, &device, stamp).await? {
                    true => reasons.push(format!("the token moved here from device {device} of customer {owner}")),
                    false => {
                        return Ok(Report::of(
                            Outcome::Suppressed,
                            vec![format!(
                                "ignored: device {device} of customer {owner} registered this token more recently"
                            )],
                        ));
                    }
                }
            }
            let endpoint = self.sender.register(d.platform, &d.token, &d.customer_id).await?;
            let next = DeviceState {
                device_id: d.device_id.clone(),
                stamp: stamp.clone(),
                registration: Some(Registration {
                    token: d.token.clone(),
                    platform: d.platform,
                    kind: d.kind,
                    app: d.app.clone(),
                    endpoint: endpoint.clone(),
                }),
            };
            if !self
                .store
                .save_device(&d.customer_id, &next, current.map(|c| &c.stamp))
                .await?
            {
                continue;
            }
            let old = current.and_then(|c| c.registration.as_ref());
            reasons.insert(0, registered(d, old, &endpoint));
            if let Some(old) = old.filter(|o| o.endpoint != endpoint) {
                self.sender.retire(&old.endpoint).await?;
            }
            return Ok(Report::of(Outcome::Recorded, reasons));
        }
        Err(busy(&d.customer_id))
    }

    /// Takes the token from `device` of `owner`, if its registration is older than `stamp`:
    /// the device is removed there (the endpoint, the token's, stays for the new holder).
    async fn take_token(&self, owner: &Id, device: &Id, stamp: &Stamp) -> Result<bool, FlowError> {
        for _ in 0..ATTEMPTS {
            let theirs = self.store.context(owner).await?;
            let Some(state) = theirs.device(device) else {
                return Ok(true);
            };
            if state.stamp >= *stamp {
                return Ok(false);
            }
            let removed = DeviceState {
                device_id: device.clone(),
                stamp: stamp.clone(),
                registration: None,
            };
            if self.store.save_device(owner, &removed, Some(&state.stamp)).await? {
                return Ok(true);
            }
        }
        Err(busy(owner))
    }

    /// Removes a device: push to it stops and its endpoint is deleted; a registration made
    /// before the removal is ignored if it comes later.
    pub(super) async fn remove_device(
        &self,
        customer_id: &Id,
        device_id: &Id,
        stamp: &Stamp,
    ) -> Result<Report, FlowError> {
        for _ in 0..ATTEMPTS {
            let stored = self.store.context(customer_id).await?;
            let current = stored.device(device_id);
            if let Some(why) = stale(stored.erased.as_ref().map(|e| &e.stamp), current, stamp) {
                return Ok(why);
            }
            let next = DeviceState {
                device_id: device_id.clone(),
                stamp: stamp.clone(),
                registration: None,
            };
            if !self
                .store
                .save_device(customer_id, &next, current.map(|c| &c.stamp))
                .await?
            {
                continue;
            }
            let mut reasons = vec![format!(
                "device {device_id} removed as of {}: push to it stops",
                stamp.at
            )];
            if let Some(r) = current.and_then(|c| c.registration.as_ref()) {
                self.sender.retire(&r.endpoint).await?;
                reasons.push("its endpoint was deleted".into());
            }
            return Ok(Report::of(Outcome::Recorded, reasons));
        }
        Err(busy(customer_id))
    }
}

/// Why a device change older than what is stored (or than the erasure) is ignored; none if it applies.
fn stale(erased: Option<&Stamp>, current: Option<&DeviceState>, stamp: &Stamp) -> Option<Report> {
    let why = if let Some(e) = erased.filter(|e| *e >= stamp) {
        format!("ignored: made before the customer's erasure ({e})")
    } else if let Some(c) = current.filter(|c| c.stamp >= *stamp) {
        if c.stamp == *stamp {
            let mut r = Report::of(
                Outcome::Suppressed,
                vec![format!("already applied: the change of {}", stamp.at)],
            );
            r.duplicate = true;
            return Some(r);
        }
        format!("ignored: device {} changed more recently ({})", c.device_id, c.stamp)
    } else {
        return None;
    };
    Some(Report::of(Outcome::Suppressed, vec![why]))
}

/// What a registration did, in words: no token, no endpoint ARN (it names the account).
fn registered(d: &DeviceRegistered, old: Option<&Registration>, endpoint: &str) -> String {
    let what = format!(
        "device {} ({} {}, app {}) registered for push",
        d.device_id,
        d.platform.as_str(),
        d.kind.as_str(),
        d.app
    );
    match old {
        Some(o) if o.endpoint != endpoint => format!("{what}: a refreshed token, its old endpoint deleted"),
        Some(o) if o.token != d.token => format!("{what}: a refreshed token on the same endpoint"),
        Some(_) => format!("{what}: the endpoint enabled again"),
        None => format!("{what}: endpoint ready"),
    }
}
