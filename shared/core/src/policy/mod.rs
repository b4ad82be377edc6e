//! The decision: whether to tell the customer, on which channels and devices, and when; with reasons.
//! This module decides what happens to an event; `routes` picks channels and devices, `when` the moment.

mod deadline;
mod preferences;
mod routes;
mod suppression;
mod when;

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::catalog::{Kind, Repeat, Timing, catalog};
use crate::customer::{Category, Channel, Customer, DeviceKind};
use crate::events::{DetailType, Event};
pub use crate::kinds::Intrusion;
pub use crate::kinds::Urgency;
pub use crate::outcomes::Outcome;
pub use crate::subject::Subject;
use crate::timing::{LocalClock, sub};
use crate::types::Id;
use deadline::within_deadline;
pub use preferences::{Mute, check_mute, mute_of, muted_since};
use routes::{Routing, choose_routes};
pub use suppression::{CLASSES as SUPPRESSION_CLASSES, Suppression};
use when::{Occasion, choose_time};

/// The category and urgency of a notifying detail type, from the catalog; `None` for resolving ones.
pub fn classify(t: DetailType) -> Option<(Category, Urgency)> {
    let k = t.kind().filter(|k| k.notifies())?;
    Some((k.def.category.clone()?, k.def.urgency?))
}

/// Tunable limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Most normal/low deliveries per customer in any rolling 24 h.
    pub daily_cap: usize,
    /// Minutes an unanswered fraud question waits before one reminder on the next channel.
    pub reminder_minutes: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            daily_cap: 2,
            reminder_minutes: 15,
        }
    }
}

/// Where a delivery row stands. The flows move it (`forewarn_flows::state` has the
/// transitions); `Sent`, `Failed`, `Cancelled` and `Expired` are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Decided, waiting for its time or for a worker to take it.
    Scheduled,
    /// Taken by one worker, under a lease, to be sent now.
    Sending,
    /// The provider accepted it.
    Sent,
    /// Withdrawn before it went out.
    Cancelled,
    /// No provider would take it.
    Failed,
    /// Too late to be worth sending: past its time to live or what it warned about.
    Expired,
}

impl DeliveryStatus {
    /// No step moves a row out of a final state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Sent | DeliveryStatus::Failed | DeliveryStatus::Cancelled | DeliveryStatus::Expired
        )
    }
}

/// A delivery already decided for this customer, as the store remembers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub event_id: Id,
    pub event_time: Timestamp,
    pub detail_type: DetailType,
    pub subject: Subject,
    pub channel: Channel,
    pub urgency: Urgency,
    pub status: DeliveryStatus,
    pub send_at: Timestamp,
    pub expects_reply: bool,
}

impl DeliveryRecord {
    /// Not yet out: scheduled, or being sent.
    pub fn is_pending(&self) -> bool {
        matches!(self.status, DeliveryStatus::Scheduled | DeliveryStatus::Sending)
    }
    fn is_live(&self) -> bool {
        self.is_pending() || self.status == DeliveryStatus::Sent
    }
}

/// What the decision knows besides the event: the customer and what they were sent.
pub struct Context<'a> {
    pub customer: Option<&'a Customer>,
    pub history: &'a [DeliveryRecord],
    /// The event id was already processed (at-least-once delivery).
    pub seen_before: bool,
}

/// Where one delivery goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub channel: Channel,
    pub device_id: Option<Id>,
    pub device_kind: Option<DeviceKind>,
    /// How much the message may interrupt; `Passive` when it breaks quiet hours for a deadline.
    pub intrusion: Intrusion,
}

/// A pending delivery to withdraw, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Cancellation {
    pub event_id: Id,
    pub subject: Subject,
    pub reason: String,
}

/// The decision for one event: pure data, ready for the store, the sender and the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub outcome: Outcome,
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    pub subject: Subject,
    pub send_at: Option<Timestamp>,
    pub routes: Vec<Route>,
    pub cancellations: Vec<Cancellation>,
    /// Sent questions this event answers (two-way fraud questions).
    pub closes: Vec<Id>,
    pub reasons: Vec<String>,
    /// Why nothing is sent, when the outcome is `Suppressed`: the last reason, as a value.
    pub suppression: Option<Suppression>,
}

impl Plan {
    /// A plan that sends nothing yet, with no reasons.
    fn nothing(subject: Subject) -> Plan {
        Plan {
            outcome: Outcome::Suppressed,
            category: None,
            urgency: None,
            subject,
            send_at: None,
            routes: vec![],
            cancellations: vec![],
            closes: vec![],
            reasons: vec![],
            suppression: None,
        }
    }

    /// This plan suppressed: `reasons`, then why as the last one.
    fn suppressed(self, mut reasons: Vec<String>, why: Suppression) -> Plan {
        reasons.push(why.to_string());
        Plan {
            outcome: Outcome::Suppressed,
            reasons,
            suppression: Some(why),
            ..self
        }
    }
}

/// Decides what to do with `event` at `now`. Pure: same inputs, same plan.
pub fn decide(policy: &Policy, event: &Event, ctx: &Context<'_>, now: Timestamp) -> Plan {
    let subject = event.subject();
    let Some(customer) = ctx.customer else {
        let customer_id = event.detail.customer_id().clone();
        return Plan::nothing(subject).suppressed(vec![], Suppression::UnknownCustomer { customer_id });
    };
    if ctx.seen_before {
        let event_id = event.id.clone();
        return Plan::nothing(subject).suppressed(vec![], Suppression::Duplicate { event_id });
    }
    let Some(kind) = event.detail_type().kind().filter(|k| k.notifies()) else {
        return resolve(event, ctx, subject);
    };
    let (Some(category), Some(urgency)) = (kind.def.category.clone(), kind.def.urgency) else {
        return resolve(event, ctx, subject);
    };
    let mut reasons = vec![format!("{} alert, {} urgency", category.as_str(), urgency.as_str())];
    let mut plan = Plan {
        category: Some(category.clone()),
        urgency: Some(urgency),
        ..Plan::nothing(subject)
    };
    match check_mute(customer, kind, urgency) {
        Ok(kept) => reasons.extend(kept),
        Err(why) => return plan.suppressed(reasons, why),
    }

    if let Some(why) = repeat_of_earlier(kind, event, ctx, &plan.subject, now) {
        return plan.suppressed(reasons, why);
    }
    if let Some(Repeat::Latest { update }) = &kind.def.repeat {
        supersede(update, event, ctx, &mut plan, &mut reasons);
    }

    let routing = Routing {
        category,
        defaults: &kind.def.channels,
        big_screen: matches!(kind.def.timing, Some(Timing::BigScreen { .. })),
        gentle: false,
        now,
    };
    let route_mark = reasons.len();
    let mut routes = match choose_routes(customer, &routing, urgency, &mut reasons) {
        Ok(r) => r,
        Err(why) => return plan.suppressed(reasons, why),
    };
    let route_end = reasons.len();
    reasons.push(customer.zone.explain());
    let clock = LocalClock::of(customer, now);
    let occasion = Occasion {
        kind,
        event,
        customer,
        clock: &clock,
        urgency,
        now,
    };
    let send_at = match send_moment(&occasion, &routing, &mut routes, route_mark..route_end, &mut reasons) {
        Ok(t) => t,
        Err(why) => return plan.suppressed(reasons, why),
    };
    if urgency.is_capped()
        && let Some(why) = over_cap(policy, event, ctx, &clock, send_at)
    {
        return plan.suppressed(reasons, why);
    }
    reasons.extend(crate::messages::language_reason(kind, &customer.locale));
    plan.outcome = if send_at <= now {
        Outcome::SendNow
    } else {
        Outcome::Scheduled
    };
    plan.send_at = Some(send_at.max(now));
    plan.routes = routes;
    plan.reasons = reasons;
    plan
}

/// When to send: the kind's timing rule, kept before the message stops mattering. When that
/// breaks quiet hours, the routes are chosen again, least intrusive first, and their reasons
/// (at `route_reasons`) replaced.
fn send_moment(
    o: &Occasion<'_>,
    routing: &Routing<'_>,
    routes: &mut Vec<Route>,
    route_reasons: std::ops::Range<usize>,
    reasons: &mut Vec<String>,
) -> Result<Timestamp, Suppression> {
    let mark = reasons.len();
    let chosen = choose_time(o, reasons);
    let moment = within_deadline(o, chosen, mark, reasons)?;
    if moment.breaks_quiet {
        let gentle = Routing {
            gentle: true,
            ..routing.clone()
        };
        let mut why = vec![];
        *routes = choose_routes(o.customer, &gentle, o.urgency, &mut why)?;
        reasons.splice(route_reasons, why);
    }
    Ok(moment.at)
}

/// Why a normal or low message would exceed the customer's daily cap, if it would.
fn over_cap(
    policy: &Policy,
    event: &Event,
    ctx: &Context<'_>,
    clock: &LocalClock<'_>,
    send_at: Timestamp,
) -> Option<Suppression> {
    let mut near: Vec<&Id> = ctx
        .history
        .iter()
        .filter(|r| r.urgency.is_capped() && r.is_live() && r.event_id != event.id)
        .filter(|r| r.send_at.duration_since(send_at).as_secs().abs() < 24 * 3600)
        .map(|r| &r.event_id)
        .collect();
    near.sort();
    near.dedup();
    (near.len() >= policy.daily_cap).then(|| Suppression::Cap {
        count: near.len(),
        at: clock.describe(send_at),
        limit: policy.daily_cap,
    })
}

/// A newer update replaces the pending notices of its subject.
fn supersede(update: &str, event: &Event, ctx: &Context<'_>, plan: &mut Plan, reasons: &mut Vec<String>) {
    for r in ctx
        .history
        .iter()
        .filter(|r| r.subject == plan.subject && r.is_pending())
    {
        if !plan.cancellations.iter().any(|c| c.event_id == r.event_id) {
            plan.cancellations.push(Cancellation {
                event_id: r.event_id.clone(),
                subject: plan.subject.clone(),
                reason: format!("superseded by a newer {update} ({})", event.id),
            });
            reasons.push(format!(
                "replaces pending notice {} for the same {}",
                r.event_id,
                plan.subject.word()
            ));
        }
    }
}

/// A reason to stay silent because this subject was already handled, by the kind's repeat rule.
fn repeat_of_earlier(
    kind: &Kind,
    event: &Event,
    ctx: &Context<'_>,
    subject: &Subject,
    now: Timestamp,
) -> Option<Suppression> {
    let same = || {
        ctx.history
            .iter()
            .filter(move |r| &r.subject == subject && r.event_id != event.id && r.is_live())
    };
    let label = || kind.subject_label(event.detail_json());
    match kind.def.repeat.as_ref()? {
        Repeat::Window { hours } => same()
            .find(|r| r.is_pending() || r.send_at >= sub(now, hours.hours()))
            .map(|r| Suppression::RepeatWithin {
                label: label(),
                pending: r.is_pending(),
                hours: *hours,
                earlier: r.event_id.clone(),
            }),
        Repeat::Once => same().next().map(|r| Suppression::RaisedBefore {
            label: label(),
            earlier: r.event_id.clone(),
        }),
        Repeat::Latest { update } => ctx
            .history
            .iter()
            .find(|r| &r.subject == subject && r.event_time > event.time.0)
            .map(|r| Suppression::Stale {
                update: update.clone(),
                word: subject.word().to_owned(),
                newer: r.event_id.clone(),
            }),
    }
}

/// Resolving events cancel pending notices of the subjects they settle and close open questions.
fn resolve(event: &Event, ctx: &Context<'_>, subject: Subject) -> Plan {
    let mut plan = Plan {
        outcome: Outcome::Resolved,
        ..Plan::nothing(subject)
    };
    let kind = event.detail_type().kind();
    let what = kind.and_then(|k| k.def.resolution.as_deref()).unwrap_or("resolved");
    let patterns = catalog().resolved_subjects(event.detail_type().as_str(), event.detail_json());
    for r in ctx
        .history
        .iter()
        .filter(|r| patterns.iter().any(|p| p.matches(&r.subject)))
    {
        if r.is_pending() && !plan.cancellations.iter().any(|c| c.event_id == r.event_id) {
            plan.cancellations.push(Cancellation {
                event_id: r.event_id.clone(),
                subject: r.subject.clone(),
                reason: format!("{what} ({}) before it was sent", event.id),
            });
        }
        if r.status == DeliveryStatus::Sent && r.expects_reply && !plan.closes.contains(&r.event_id) {
            plan.closes.push(r.event_id.clone());
        }
    }
    plan.reasons.push(format!("{what}: nothing to send"));
    plan.reasons.extend(
        plan.cancellations
            .iter()
            .map(|c| format!("cancelled pending notice {}", c.event_id)),
    );
    plan.reasons
        .extend(plan.closes.iter().map(|id| format!("closed the open question of {id}")));
    if plan.cancellations.is_empty() && plan.closes.is_empty() {
        plan.reasons
            .push("no pending notice or open question for this subject".into());
    }
    plan
}
