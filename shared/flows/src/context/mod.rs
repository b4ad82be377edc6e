//! context: the bank's context events applied to the stored customer, in any order and any number of times; the newest change of each field and each device wins.

pub mod api;
mod devices;

use forewarn_core::events::{ContextChange, CustomerErased, Detail, Event, ProfileField};
use forewarn_core::outcomes::Outcome;
use forewarn_core::types::Id;
use jiff::Timestamp;

pub use crate::stamped::{
    DeviceState, Erasure, Merged, Registration, Stamp, StampedProfile, StoredContext, empty, merge,
};

use crate::cancel::cancelled_outcome;
use crate::error::FlowError;
use crate::ports::{Bus, ContextStore, Endpoints, Partitions, Scheduler};
use crate::report::Report;
use crate::service::Service;

/// How many times a flow re-reads and retries when a concurrent writer got there first.
const ATTEMPTS: usize = 4;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    /// Applies a context event to the customer it names.
    pub async fn context(&self, event: &Event, now: Timestamp) -> Result<Report, FlowError> {
        let Detail::Context(change) = &event.detail else {
            return Err(FlowError::Input(format!(
                "{} is not a context event",
                event.detail_type()
            )));
        };
        let stamp = Stamp {
            at: change.changed_at().0,
            event_id: event.id.clone(),
        };
        let mut report = match change {
            ContextChange::Upserted(u) => {
                let values = u.profile.to_profile(&u.customer_id);
                self.profile_change(&u.customer_id, &values, &ProfileField::ALL, &stamp)
                    .await?
            }
            ContextChange::Changed(c) => {
                let values = c.set.to_profile(&c.customer_id);
                let mut fields = c.set.present();
                fields.extend(&c.cleared);
                self.profile_change(&c.customer_id, &values, &fields, &stamp).await?
            }
            ContextChange::Erased(e) => self.erase(e, &stamp, now).await?,
            ContextChange::DeviceRegistered(d) => self.register_device(d, &stamp).await?,
            ContextChange::DeviceRemoved(d) => self.remove_device(&d.customer_id, &d.device_id, &stamp).await?,
        };
        report.customer_id = Some(change.customer_id().clone());
        Ok(report)
    }

    /// Sets (or clears) `fields` to their values in `values`, each unless a newer change holds it.
    async fn profile_change(
        &self,
        customer_id: &Id,
        values: &forewarn_core::customer::CustomerProfile,
        fields: &[ProfileField],
        stamp: &Stamp,
    ) -> Result<Report, FlowError> {
        for _ in 0..ATTEMPTS {
            let stored = self.store.context(customer_id).await?;
            let erased = stored.erased.as_ref().map(|e| &e.stamp);
            let m = merge(customer_id, stored.profile.as_ref(), erased, values, fields, stamp);
            let Some(profile) = m.profile.as_ref().filter(|_| !m.applied.is_empty()) else {
                return Ok(ignored(&m, erased, stamp));
            };
            if self.store.save_profile(customer_id, profile, stored.revision).await? {
                return Ok(applied(&m, stamp));
            }
        }
        Err(busy(customer_id))
    }

    /// Forgets the customer: their pending schedules first (each withdrawal reported), then
    /// their endpoints, then every item of their partition, leaving only the erasure's marker.
    /// A retry after a failure on the way does it all again; nothing is lost in between.
    async fn erase(&self, e: &CustomerErased, stamp: &Stamp, now: Timestamp) -> Result<Report, FlowError> {
        let stored = self.store.context(&e.customer_id).await?;
        if let Some(kept) = stored.erased.as_ref().filter(|k| k.stamp >= *stamp) {
            let mut r = Report::of(
                Outcome::Suppressed,
                vec![format!("already erased by the change of {}", kept.stamp)],
            );
            r.duplicate = kept.stamp == *stamp;
            return Ok(r);
        }
        let part = self.store.load(&e.customer_id, None).await?;
        let pending: Vec<_> = part.deliveries.iter().filter(|r| r.record.is_pending()).collect();
        let mut withdrawn = Vec::with_capacity(pending.len());
        for row in &pending {
            self.scheduler.delete(&row.key()).await?;
            let mut r = (*row).clone();
            r.failure = Some("the customer was erased".into());
            withdrawn.push(cancelled_outcome(&r, Some(&stamp.event_id), now));
        }
        self.bus.publish(&withdrawn).await?;
        for d in stored.devices.iter().filter(|d| d.stamp < *stamp) {
            if let Some(r) = &d.registration {
                self.sender.retire(&r.endpoint).await?;
            }
        }
        let erasure = Erasure {
            stamp: stamp.clone(),
            reference: e.reference.clone(),
            removed: Default::default(),
        };
        let Some(removed) = self.store.erase(&e.customer_id, &erasure).await? else {
            return Ok(Report::of(
                Outcome::Suppressed,
                vec!["already erased by a newer change".into()],
            ));
        };
        let what = if removed.is_empty() {
            "nothing was held".to_owned()
        } else {
            removed
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut r = Report::of(
            Outcome::Recorded,
            vec![
                format!("customer erased as of {}: removed {what}", stamp.at),
                "kept: the erasure marker (its time, event id and reference), no personal data".into(),
            ],
        );
        r.cancelled = pending.len();
        Ok(r)
    }
}

/// A change that set or cleared fields.
fn applied(m: &Merged, stamp: &Stamp) -> Report {
    let mut reasons = vec![format!("profile updated as of {}: {}", stamp.at, names(&m.applied))];
    if !m.newer.is_empty() {
        reasons.push(format!("kept newer values of {}", names_of(&m.newer)));
    }
    Report::of(Outcome::Recorded, reasons)
}

/// A change every field of which a newer change holds: nothing is written.
fn ignored(m: &Merged, erased: Option<&Stamp>, stamp: &Stamp) -> Report {
    let newest = m.newer.iter().map(|(_, s)| s).max();
    let duplicate = !m.newer.is_empty() && m.newer.iter().all(|(_, s)| s == stamp);
    let why = match newest {
        _ if duplicate => format!("already applied: the change of {}", stamp.at),
        Some(s) if Some(s) == erased => format!("ignored: made before the customer's erasure ({s})"),
        Some(s) => format!("ignored: {} changed more recently ({s})", names_of(&m.newer)),
        None => "ignored: nothing to change".into(),
    };
    let mut r = Report::of(Outcome::Suppressed, vec![why]);
    r.duplicate = duplicate;
    r
}

fn names(fields: &[ProfileField]) -> String {
    fields.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

fn names_of(fields: &[(ProfileField, Stamp)]) -> String {
    names(&fields.iter().map(|(f, _)| *f).collect::<Vec<_>>())
}

fn busy(customer_id: &Id) -> FlowError {
    FlowError::Busy(format!(
        "the context of customer {customer_id} kept changing under concurrent writers"
    ))
}
