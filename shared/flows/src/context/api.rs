//! api: the context flow answering a caller at once: the same merge, stamps and revision-conditioned saves as the events, with an expected revision (If-Match) that refuses a write made on a stale read instead of merging it.

use forewarn_core::customer::CustomerProfile;
use forewarn_core::events::{CustomerErased, DeviceRegistered, ProfileField};
use forewarn_core::outcomes::Outcome;
use forewarn_core::types::Id;
use jiff::Timestamp;

use super::{ATTEMPTS, Stamp, StoredContext, busy, merge};
use crate::error::FlowError;
use crate::ports::{Bus, ContextStore, Endpoints, Partitions, Scheduler};
use crate::report::Report;
use crate::service::Service;

/// What a write expects of the stored profile: the request's `If-Match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match`: the newest change of each field wins, re-read and retried under contention.
    None,
    /// `If-Match: *`: some profile is stored.
    Exists,
    /// `If-Match: "<revision>"`: the profile is still at this revision.
    Revision(u64),
}

impl Precondition {
    /// Whether a store holding `revision` (none: no profile) satisfies it.
    pub fn holds(self, revision: Option<u64>) -> bool {
        match self {
            Precondition::None => true,
            Precondition::Exists => revision.is_some(),
            Precondition::Revision(r) => revision == Some(r),
        }
    }
}

/// Why an API write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The stored profile is not at the revision the caller read (HTTP 412).
    #[error("the customer changed since it was read (revision now {current:?})")]
    Stale { current: Option<u64> },
    /// A newer change holds what this one would set (HTTP 409); `field` as the events name it.
    #[error("{field}: {reason}")]
    Newer { field: String, reason: String },
    #[error(transparent)]
    Flow(#[from] FlowError),
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    /// The customer as stored: profile (none when unknown or erased), revision, devices.
    pub async fn api_read(&self, customer_id: &Id) -> Result<StoredContext, FlowError> {
        self.store.context(customer_id).await
    }

    /// Sets (or clears) `fields` to their values in `values` as the events do; with a
    /// precondition, a write on a stale read is refused, never merged. Answers the stored
    /// customer after the write.
    pub async fn api_profile(
        &self,
        customer_id: &Id,
        values: &CustomerProfile,
        fields: &[ProfileField],
        stamp: &Stamp,
        pre: Precondition,
    ) -> Result<StoredContext, Refusal> {
        for _ in 0..ATTEMPTS {
            let stored = self.store.context(customer_id).await?;
            if !pre.holds(stored.revision) {
                return Err(Refusal::Stale {
                    current: stored.revision,
                });
            }
            let erased = stored.erased.as_ref().map(|e| &e.stamp);
            let m = merge(customer_id, stored.profile.as_ref(), erased, values, fields, stamp);
            let Some(profile) = m.profile.as_ref().filter(|_| !m.applied.is_empty()) else {
                return Err(match m.newer.iter().max_by_key(|(_, s)| s) {
                    Some((f, s)) if Some(s) == erased => Refusal::Newer {
                        field: f.as_str().into(),
                        reason: format!("the customer was erased after this change ({s})"),
                    },
                    Some((f, s)) => Refusal::Newer {
                        field: f.as_str().into(),
                        reason: format!("changed more recently ({s})"),
                    },
                    None => Refusal::Newer {
                        field: "$".into(),
                        reason: "changes nothing".into(),
                    },
                });
            };
            if self.store.save_profile(customer_id, profile, stored.revision).await? {
                return Ok(self.store.context(customer_id).await?);
            }
            if pre != Precondition::None {
                return Err(Refusal::Stale { current: None });
            }
        }
        Err(busy(customer_id).into())
    }

    /// Registers a device as `DeviceRegistered` does, once the precondition holds.
    pub async fn api_register_device(
        &self,
        d: &DeviceRegistered,
        stamp: &Stamp,
        pre: Precondition,
    ) -> Result<StoredContext, Refusal> {
        self.check(&d.customer_id, pre).await?;
        let r = self.register_device(d, stamp).await?;
        refused_device(&r)?;
        Ok(self.store.context(&d.customer_id).await?)
    }

    /// Removes a device as `DeviceRemoved` does, once the precondition holds.
    pub async fn api_remove_device(
        &self,
        customer_id: &Id,
        device_id: &Id,
        stamp: &Stamp,
        pre: Precondition,
    ) -> Result<Report, Refusal> {
        self.check(customer_id, pre).await?;
        let r = self.remove_device(customer_id, device_id, stamp).await?;
        refused_device(&r)?;
        Ok(r)
    }

    /// Erases the customer as `CustomerErased` does, once the precondition holds.
    pub async fn api_erase(
        &self,
        e: &CustomerErased,
        stamp: &Stamp,
        pre: Precondition,
        now: Timestamp,
    ) -> Result<Report, Refusal> {
        self.check(&e.customer_id, pre).await?;
        Ok(self.erase(e, stamp, now).await?)
    }

    /// Refuses when the stored profile does not satisfy `pre`. Device writes and erasure
    /// leave the profile's revision as it is, so this is a check at read time.
    async fn check(&self, customer_id: &Id, pre: Precondition) -> Result<(), Refusal> {
        if pre == Precondition::None {
            return Ok(());
        }
        let revision = self.store.context(customer_id).await?.revision;
        if pre.holds(revision) {
            Ok(())
        } else {
            Err(Refusal::Stale { current: revision })
        }
    }
}

/// A device change a newer one (or the erasure) overrides is refused, naming the field; the
/// report's reasons (which may name another customer holding the token) stay in the logs.
fn refused_device(r: &Report) -> Result<(), Refusal> {
    if r.outcome == Outcome::Suppressed && !r.duplicate {
        return Err(Refusal::Newer {
            field: "device_id".into(),
            reason: "a newer change of this device, its token or the customer's erasure holds it".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precondition_holds_only_for_the_revision_it_names() {
        assert!(Precondition::None.holds(None));
        assert!(Precondition::Exists.holds(Some(0)));
        assert!(!Precondition::Exists.holds(None));
        assert!(Precondition::Revision(3).holds(Some(3)));
        assert!(!Precondition::Revision(3).holds(Some(4)));
        assert!(!Precondition::Revision(3).holds(None));
    }
}
