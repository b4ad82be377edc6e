//! import: the bank's customer file merged under what forewarn knows, never over it: its fields carry the oldest stamp, so any context event wins, and dead devices, habits, STOP opt-outs and unusable addresses stay.

use forewarn_core::customer::{CustomerProfile, DeviceProfile};
use forewarn_core::events::ProfileField;
use forewarn_core::types::Id;
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::{ContextStore, ImportedDevices, Partitions};
use crate::records::Partition;
use crate::stamped::{Stamp, StampedProfile, StoredContext, empty, merge};

/// How many times an import re-reads a customer when a concurrent writer got there first.
const ATTEMPTS: usize = 4;

/// The stamp of every field an import sets: older than any change (1970-01-01, before any
/// producer's `changed_at`), so every context event wins over it; a later import replaces
/// what an earlier one set.
pub fn import_stamp() -> Stamp {
    Stamp {
        at: Timestamp::UNIX_EPOCH,
        event_id: Id::parse("import").expect("a valid id"),
    }
}

/// What importing one customer's profile does (or, in a dry run, would do).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    pub customer_id: Id,
    /// The profile to write; none when nothing of it changes.
    pub profile: Option<StampedProfile>,
    /// The profile fields whose value changes.
    pub fields_set: Vec<ProfileField>,
    /// Devices written: new, or changed since the last import.
    pub devices_written: Vec<DeviceProfile>,
    /// Devices an earlier import wrote that the file no longer lists.
    pub devices_removed: Vec<Id>,
    /// The phone number changes: the old number's link to the customer goes.
    pub phone_link_removed: bool,
    /// What forewarn learned and the file does not change, in words (no address, no token).
    pub kept: Vec<String>,
}

impl ImportPlan {
    /// True when the import writes nothing for this customer.
    pub fn is_empty(&self) -> bool {
        self.profile.is_none() && self.devices_written.is_empty() && self.devices_removed.is_empty()
    }
}

/// Whether `field` reads the same in both profiles.
fn same(field: ProfileField, a: &CustomerProfile, b: &CustomerProfile) -> bool {
    let (mut x, mut y) = (empty(&a.customer_id), empty(&a.customer_id));
    field.copy(a, &mut x);
    field.copy(b, &mut y);
    x == y
}

/// A device as the import compares it: without what forewarn keeps of it (habits, when it
/// was last seen, why it is unusable), which the file cannot change.
fn as_filed(d: &DeviceProfile) -> DeviceProfile {
    DeviceProfile {
        habits: None,
        disabled_reason: None,
        last_seen: None,
        ..d.clone()
    }
}

/// What importing `file` over the stored `ctx` and `part` does. Pure.
pub fn plan(file: &CustomerProfile, ctx: &StoredContext, part: &Partition) -> ImportPlan {
    let cid = &file.customer_id;
    let mut plan = ImportPlan {
        customer_id: cid.clone(),
        profile: None,
        fields_set: vec![],
        devices_written: vec![],
        devices_removed: vec![],
        phone_link_removed: false,
        kept: vec![],
    };
    let stamp = import_stamp();
    if let Some(e) = &ctx.erased {
        plan.kept
            .push(format!("the customer was erased ({}): nothing is imported", e.stamp));
        return plan;
    }
    // What an earlier import set is this import's to replace.
    let stored = ctx.profile.clone().map(|mut p| {
        p.stamps.retain(|_, s| *s != stamp);
        p
    });
    let m = merge(cid, stored.as_ref(), None, file, &ProfileField::ALL, &stamp);
    let before = stored.as_ref().map(|s| &s.profile);
    let blank = empty(cid);
    plan.fields_set = m
        .applied
        .iter()
        .copied()
        .filter(|f| !same(*f, before.unwrap_or(&blank), file))
        .collect();
    for (f, s) in &m.newer {
        plan.kept.push(format!("{}: a newer change holds it ({s})", f.as_str()));
    }
    let mut profile = m.profile;
    // Addresses the file says are unusable join those forewarn found; none is dropped.
    if let Some(p) = profile.as_mut() {
        for u in &file.unusable_contacts {
            if !p.profile.unusable_contacts.contains(u) {
                p.profile.unusable_contacts.push(u.clone());
            }
        }
    }
    let changed = profile.as_ref().map(|p| &p.profile) != before;
    plan.profile = profile.filter(|_| changed);
    plan.phone_link_removed = plan.profile.is_some()
        && plan.fields_set.contains(&ProfileField::Phone)
        && before.is_some_and(|b| b.contacts.phone.is_some());
    learned(file, ctx, part, &mut plan);
    devices(file, ctx, part, &mut plan);
    plan
}

/// What the partition holds beyond the stored profile: STOP opt-outs and unusable addresses.
fn learned(file: &CustomerProfile, ctx: &StoredContext, part: &Partition, plan: &mut ImportPlan) {
    let (Some(seen), stored) = (part.profile.as_ref(), ctx.profile.as_ref().map(|p| &p.profile)) else {
        return;
    };
    for c in &seen.opted_out {
        if !stored.is_some_and(|s| s.opted_out.contains(c)) && !file.opted_out.contains(c) {
            plan.kept.push(format!("{c} opt-out (the customer's own, e.g. STOP)"));
        }
    }
    for u in &seen.unusable_contacts {
        if !stored.is_some_and(|s| s.unusable_contacts.contains(u)) {
            plan.kept.push(format!("{} address unusable: {}", u.channel, u.reason));
        }
    }
}

/// Which of the file's devices are written, and which stored ones stay as forewarn knows them.
fn devices(file: &CustomerProfile, ctx: &StoredContext, part: &Partition, plan: &mut ImportPlan) {
    let stored: &[DeviceProfile] = part.profile.as_ref().map_or(&[], |p| &p.devices);
    for d in &file.devices {
        let held = stored.iter().find(|s| s.device_id == d.device_id);
        if let Some(state) = ctx.device(&d.device_id) {
            let what = if state.registration.is_some() {
                "registered by the app"
            } else {
                "removed by the bank"
            };
            plan.kept.push(format!(
                "device {}: {what} ({}), the file's entry is not used",
                d.device_id, state.stamp
            ));
        } else if let Some(why) = held.and_then(|h| h.disabled_reason.as_ref()) {
            plan.kept.push(format!("device {} stays unusable: {why}", d.device_id));
        } else if held.is_none_or(|h| as_filed(h) != as_filed(d)) {
            plan.devices_written.push(d.clone());
        }
    }
    for s in stored {
        if let Some(a) = part.activity.iter().find(|a| a.device_id == s.device_id) {
            plan.kept.push(format!(
                "device {}: habits learned from its sessions (last seen {})",
                s.device_id, a.last_seen
            ));
        }
        let listed = file.devices.iter().any(|d| d.device_id == s.device_id);
        let learned = ctx.device(&s.device_id).is_some() || s.disabled_reason.is_some();
        // A device with an endpoint the file no longer lists gets no more push; one without
        // (a desktop known from its sessions) holds nothing to send to and stays.
        if !listed && !learned && s.push_endpoint.is_some() {
            plan.devices_removed.push(s.device_id.clone());
        } else if !listed && s.disabled_reason.is_some() {
            plan.kept.push(format!(
                "device {} stays unusable: {}",
                s.device_id,
                s.disabled_reason.as_deref().unwrap_or_default()
            ));
        }
    }
}

/// Imports one customer's profile (or, with `dry_run`, only says what it would do): the
/// profile through the same newest-wins merge as context events, at the oldest stamp, then
/// the devices, each write conditional on what was read.
pub async fn import<St>(store: &St, file: &CustomerProfile, dry_run: bool) -> Result<ImportPlan, FlowError>
where
    St: ContextStore + Partitions + ImportedDevices,
{
    let cid = &file.customer_id;
    'attempt: for _ in 0..ATTEMPTS {
        let ctx = store.context(cid).await?;
        let part = store.load(cid, None).await?;
        let plan = plan(file, &ctx, &part);
        if dry_run {
            return Ok(plan);
        }
        if let Some(p) = &plan.profile
            && !store.save_profile(cid, p, ctx.revision).await?
        {
            continue;
        }
        for d in &plan.devices_written {
            if !store.put_device(cid, d).await? {
                continue 'attempt;
            }
        }
        for d in &plan.devices_removed {
            store.delete_device(cid, d).await?;
        }
        return Ok(plan);
    }
    Err(FlowError::Busy(format!(
        "customer {cid} kept changing while it was imported"
    )))
}
