//! activity: a session seen on a device. Its hour of the week, in the customer's local time,
//! joins the device's habits; redelivered events count once; concurrent writers retry.

use forewarn_core::events::{CustomerActivity, Detail, Event};
use forewarn_core::habits::Habits;
use forewarn_core::outcomes::Outcome;
use forewarn_core::policy::Suppression;
use jiff::Timestamp;

use crate::error::FlowError;
use crate::ports::{Activities, Partitions};
use crate::records::DeviceActivity;
use crate::report::Report;
use crate::service::Service;

impl<St, Se, Sc, B> Service<St, Se, Sc, B>
where
    St: Partitions + Activities,
{
    /// Adds `event`'s session to its device's habits.
    pub async fn activity(&self, event: &Event, _now: Timestamp) -> Result<Report, FlowError> {
        let Detail::CustomerActivity(a) = &event.detail else {
            return Err(FlowError::Input("not a CustomerActivity event".into()));
        };
        for _ in 0..4 {
            let part = self.store.load(&a.customer_id, None).await?;
            let Some(customer) = part.customer()? else {
                let mut r = Report::suppressed(Suppression::NothingLearned);
                r.customer_id = Some(a.customer_id.clone());
                return Ok(r);
            };
            let zone = customer.zone.primary();
            let stored = part.activity.iter().find(|d| d.device_id == a.device_id);
            let mut habits = stored.map(|d| d.habits.clone()).unwrap_or_else(|| Habits::new(a.at.0));
            if !habits.record(event.id.as_str(), zone.to_datetime(a.at.0), a.at.0) {
                let mut r = Report::duplicate(Suppression::SessionCounted {
                    session_id: event.id.clone(),
                });
                r.customer_id = Some(a.customer_id.clone());
                return Ok(r);
            }
            let activity = DeviceActivity {
                device_id: a.device_id.clone(),
                kind: a.device_kind,
                platform: a.platform.as_ref().map(|p| p.to_string()),
                last_seen: stored.map_or(a.at.0, |d| d.last_seen.max(a.at.0)),
                habits,
            };
            let previous = stored.map(|d| d.habits.sessions);
            if self.store.save_activity(&a.customer_id, &activity, previous).await? {
                let mut r = Report::of(Outcome::Recorded, vec![learned(a, &activity.habits)]);
                r.customer_id = Some(a.customer_id.clone());
                return Ok(r);
            }
        }
        Err(FlowError::Busy(format!(
            "device {} habits kept changing under concurrent writers",
            a.device_id
        )))
    }
}

/// What the device's habits say now, in words.
fn learned(a: &CustomerActivity, habits: &Habits) -> String {
    let device = format!("{} {}", a.device_kind.as_str(), a.device_id);
    match habits.windows() {
        Some(w) => {
            let text = w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join("; ");
            format!("usual hours on {device}: {text}")
        }
        None => format!(
            "session {} on {device}: not enough sessions to learn usual hours yet",
            habits.sessions
        ),
    }
}
