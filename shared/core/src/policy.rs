//! The decision: whether to tell the customer, on which channels and devices, and when; with reasons.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::customer::{Category, Channel, Contact, Customer, Device, DeviceKind};
use crate::events::{Detail, DetailType, Event};
pub use crate::outcomes::Outcome;
use crate::timing::{LocalClock, add, sub};
use crate::types::Id;

/// How much a message matters now, which decides timing and capping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    High,
    Critical,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }
    /// Normal and low messages count against the customer's frequency cap.
    pub fn is_capped(self) -> bool {
        self <= Urgency::Normal
    }
}

/// The category and urgency of a notifying detail type; `None` for resolving ones.
pub fn classify(t: DetailType) -> Option<(Category, Urgency)> {
    match t {
        DetailType::SuspiciousTransaction => Some((Category::Security, Urgency::Critical)),
        DetailType::FlightDelayed => Some((Category::Travel, Urgency::High)),
        DetailType::LowBalance => Some((Category::Account, Urgency::Normal)),
        DetailType::ApplicationIncomplete => Some((Category::Applications, Urgency::Low)),
        _ => None,
    }
}

/// Channel order when the customer has stated no preference for the category.
pub fn default_channels(c: Category) -> &'static [Channel] {
    match c {
        Category::Security => &[Channel::Sms, Channel::Push],
        Category::Travel => &[Channel::Push, Channel::Sms, Channel::Email],
        Category::Account => &[Channel::Push, Channel::Email, Channel::Sms],
        Category::Applications => &[Channel::Email, Channel::Push, Channel::Sms],
    }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Scheduled,
    Sent,
    Cancelled,
    Failed,
}

/// A delivery already decided for this customer, as the store remembers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub event_id: Id,
    pub event_time: Timestamp,
    pub detail_type: DetailType,
    pub subject: String,
    pub channel: Channel,
    pub urgency: Urgency,
    pub status: DeliveryStatus,
    pub send_at: Timestamp,
    pub expects_reply: bool,
}

impl DeliveryRecord {
    pub fn is_pending(&self) -> bool {
        self.status == DeliveryStatus::Scheduled
    }
    fn is_live(&self) -> bool {
        matches!(self.status, DeliveryStatus::Scheduled | DeliveryStatus::Sent)
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
}

/// A pending delivery to withdraw, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Cancellation {
    pub event_id: Id,
    pub subject: String,
    pub reason: String,
}

/// The decision for one event: pure data, ready for the store, the sender and the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub outcome: Outcome,
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    pub subject: String,
    pub send_at: Option<Timestamp>,
    pub routes: Vec<Route>,
    pub cancellations: Vec<Cancellation>,
    /// Sent questions this event answers (two-way fraud questions).
    pub closes: Vec<Id>,
    pub reasons: Vec<String>,
}

impl Plan {
    fn suppressed(subject: String, reasons: Vec<String>) -> Plan {
        Plan {
            outcome: Outcome::Suppressed,
            category: None,
            urgency: None,
            subject,
            send_at: None,
            routes: vec![],
            cancellations: vec![],
            closes: vec![],
            reasons,
        }
    }
}

/// Decides what to do with `event` at `now`. Pure: same inputs, same plan.
pub fn decide(policy: &Policy, event: &Event, ctx: &Context<'_>, now: Timestamp) -> Plan {
    let subject = event.detail.subject();
    let Some(customer) = ctx.customer else {
        return Plan::suppressed(
            subject,
            vec![format!(
                "unknown customer {}: no profile, nothing sent",
                event.detail.customer_id()
            )],
        );
    };
    if ctx.seen_before {
        return Plan::suppressed(
            subject,
            vec![format!("duplicate: event {} was already processed", event.id)],
        );
    }
    let Some((category, urgency)) = classify(event.detail_type()) else {
        return resolve(event, ctx, subject);
    };
    let mut reasons = vec![format!("{} alert, {} urgency", category.as_str(), urgency.as_str())];
    let mut plan = Plan {
        category: Some(category),
        urgency: Some(urgency),
        ..Plan::suppressed(subject, vec![])
    };

    if let Some(why) = repeat_of_earlier(event, ctx, &plan.subject, now) {
        reasons.push(why);
        plan.reasons = reasons;
        return plan;
    }
    if let Detail::FlightDelayed(_) = &event.detail {
        for r in ctx
            .history
            .iter()
            .filter(|r| r.subject == plan.subject && r.is_pending())
        {
            if !plan.cancellations.iter().any(|c| c.event_id == r.event_id) {
                plan.cancellations.push(Cancellation {
                    event_id: r.event_id.clone(),
                    subject: plan.subject.clone(),
                    reason: format!("superseded by a newer delay update ({})", event.id),
                });
                reasons.push(format!("replaces pending notice {} for the same flight", r.event_id));
            }
        }
    }

    let routes = match choose_routes(customer, category, urgency, &mut reasons) {
        Some(r) => r,
        None => {
            plan.reasons = reasons;
            return plan;
        }
    };
    reasons.push(customer.zone.explain());
    let clock = LocalClock::of(customer, now);
    let Some(send_at) = choose_time(event, customer, &clock, urgency, now, &mut reasons) else {
        plan.reasons = reasons;
        return plan;
    };
    if urgency.is_capped() {
        let near: Vec<&Id> = {
            let mut ids: Vec<&Id> = ctx
                .history
                .iter()
                .filter(|r| r.urgency.is_capped() && r.is_live() && r.event_id != event.id)
                .filter(|r| r.send_at.duration_since(send_at).as_secs().abs() < 24 * 3600)
                .map(|r| &r.event_id)
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        if near.len() >= policy.daily_cap {
            reasons.push(format!(
                "frequency cap: {} normal/low messages already within 24 h of {} (limit {})",
                near.len(),
                clock.describe(send_at),
                policy.daily_cap
            ));
            plan.reasons = reasons;
            return plan;
        }
    }
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

/// A reason to stay silent because this subject was already handled.
fn repeat_of_earlier(event: &Event, ctx: &Context<'_>, subject: &str, now: Timestamp) -> Option<String> {
    let same = || {
        ctx.history
            .iter()
            .filter(move |r| r.subject == subject && r.event_id != event.id && r.is_live())
    };
    let recent = |hours: i64, what: &str| {
        same()
            .find(|r| r.is_pending() || r.send_at >= sub(now, hours.hours()))
            .map(|r| {
                format!(
                    "{what} was already {} in the last {hours} h (event {})",
                    status_word(r),
                    r.event_id
                )
            })
    };
    match &event.detail {
        Detail::LowBalance(d) => recent(24, &format!("account {}", d.account_id)),
        Detail::ApplicationIncomplete(d) => recent(72, &format!("application {}", d.application_id)),
        Detail::SuspiciousTransaction(d) => same().next().map(|r| {
            format!(
                "transaction {} was already raised with the customer (event {})",
                d.transaction_id, r.event_id
            )
        }),
        Detail::FlightDelayed(_) => ctx
            .history
            .iter()
            .find(|r| r.subject == subject && r.event_time > event.time.0)
            .map(|r| {
                format!(
                    "stale: a newer delay update for this flight ({}) was already handled",
                    r.event_id
                )
            }),
        _ => None,
    }
}

fn status_word(r: &DeliveryRecord) -> &'static str {
    if r.is_pending() { "pending" } else { "notified" }
}

/// Resolving events cancel pending notices of their subject and close open questions.
fn resolve(event: &Event, ctx: &Context<'_>, subject: String) -> Plan {
    let mut plan = Plan {
        outcome: Outcome::Resolved,
        ..Plan::suppressed(subject, vec![])
    };
    let what = match &event.detail {
        Detail::BalanceRestored(_) => "balance restored",
        Detail::ApplicationCompleted(_) => "application completed",
        Detail::TransactionConfirmed(_) => "customer confirmed the transaction",
        Detail::TransactionDisputed(_) => "customer disputed the transaction",
        _ => "resolved",
    };
    for r in ctx.history.iter().filter(|r| r.subject == plan.subject) {
        if r.is_pending() && !plan.cancellations.iter().any(|c| c.event_id == r.event_id) {
            plan.cancellations.push(Cancellation {
                event_id: r.event_id.clone(),
                subject: plan.subject.clone(),
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

/// Why a channel cannot be used for this customer, if it cannot.
fn unreachable_because(customer: &Customer, channel: Channel, devices: &[&Device]) -> Option<String> {
    if customer.has_opted_out(channel) {
        return Some("the customer opted out".into());
    }
    match channel {
        Channel::Sms => match &customer.phone {
            Contact::Missing => Some("no phone number".into()),
            Contact::Unusable(why) => Some(format!("phone number unusable: {why}")),
            Contact::Usable(_) => None,
        },
        Channel::Email => match &customer.email {
            Contact::Missing => Some("no email address".into()),
            Contact::Unusable(why) => Some(format!("email address unusable: {why}")),
            Contact::Usable(_) => None,
        },
        Channel::Push if devices.is_empty() => Some("no enabled device with a push endpoint".into()),
        Channel::Push => None,
    }
}

/// The enabled push device that fits the message, seen most recently.
fn push_device<'c>(devices: &[&'c Device], category: Category, reasons: &mut Vec<String>) -> Option<&'c Device> {
    let wants_big_screen = category == Category::Applications;
    let fits = |d: &&&Device| d.kind.is_glanceable() != wants_big_screen;
    let newest = |a: &&&Device, b: &&&Device| a.last_seen.cmp(&b.last_seen);
    if let Some(d) = devices.iter().filter(fits).max_by(newest) {
        let why = if wants_big_screen {
            "a larger screen suits a task"
        } else {
            "a glanceable device suits an alert"
        };
        reasons.push(format!(
            "push to {} {} ({why}; seen most recently)",
            d.kind.as_str(),
            d.id
        ));
        return Some(d);
    }
    let d = devices.iter().max_by(newest)?;
    reasons.push(format!(
        "push to {} {} (no better-suited device registered for push)",
        d.kind.as_str(),
        d.id
    ));
    Some(d)
}

fn choose_routes(
    customer: &Customer,
    category: Category,
    urgency: Urgency,
    reasons: &mut Vec<String>,
) -> Option<Vec<Route>> {
    let (order, whose): (&[Channel], &str) = match customer.channel_preferences.get(&category) {
        Some(list) if !list.is_empty() => (list, "the customer's preference"),
        _ => (default_channels(category), "the default"),
    };
    let devices: Vec<&Device> = customer.devices.iter().filter(|d| d.pushable()).collect();
    let order_text = order.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" → ");
    let mut chosen = Vec::new();
    for &channel in order {
        match unreachable_because(customer, channel, &devices) {
            Some(why) => reasons.push(format!("{channel} skipped: {why}")),
            None if chosen.contains(&channel) => {}
            None => {
                chosen.push(channel);
                if urgency != Urgency::Critical {
                    break;
                }
            }
        }
    }
    if chosen.is_empty() && urgency == Urgency::Critical && !order.contains(&Channel::Email) {
        match unreachable_because(customer, Channel::Email, &devices) {
            None => {
                reasons.push("neither SMS nor push can reach the customer: falling back to email".into());
                chosen.push(Channel::Email);
            }
            Some(why) => reasons.push(format!("email fallback impossible: {why}")),
        }
    }
    if chosen.is_empty() {
        reasons.push(format!("suppressed: no reachable channel among {order_text} ({whose})"));
        return None;
    }
    let how = if urgency == Urgency::Critical {
        "every reachable channel of"
    } else {
        "first reachable of"
    };
    reasons.push(format!(
        "channel {}: {how} {order_text} ({whose})",
        chosen.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" + ")
    ));
    let mut routes = Vec::with_capacity(chosen.len());
    for channel in chosen {
        let device = if channel == Channel::Push {
            push_device(&devices, category, reasons)
        } else {
            None
        };
        routes.push(Route {
            channel,
            device_id: device.map(|d| d.id.clone()),
            device_kind: device.map(|d| d.kind),
        });
    }
    Some(routes)
}

const GLANCE: [DeviceKind; 4] = [
    DeviceKind::Phone,
    DeviceKind::Watch,
    DeviceKind::Tablet,
    DeviceKind::Desktop,
];
const BIG_SCREEN: [DeviceKind; 2] = [DeviceKind::Desktop, DeviceKind::Tablet];

/// When to send, or `None` (with the reason pushed) when it is too late to matter.
fn choose_time(
    event: &Event,
    customer: &Customer,
    clock: &LocalClock<'_>,
    urgency: Urgency,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Timestamp> {
    let quiet = customer.quiet_hours;
    let quiet_src = if customer.quiet_hours_from_profile {
        ""
    } else {
        " (default)"
    };
    match urgency {
        Urgency::Critical => {
            reasons.push("sent now: critical alerts go out at any hour".into());
            Some(now)
        }
        Urgency::High => {
            let Detail::FlightDelayed(d) = &event.detail else {
                return Some(now);
            };
            let departure = d.flight.estimated_departure.0;
            if now >= departure {
                reasons.push(format!(
                    "suppressed: too late, the flight was estimated to leave at {}",
                    clock.describe(departure)
                ));
                return None;
            }
            if !clock.is_quiet(now) {
                reasons.push("sent now: urgent travel update outside quiet hours".into());
                return Some(now);
            }
            match clock.next_allowed(now) {
                Some(end) if add(end, 3.hours()) <= departure => {
                    reasons.push(format!(
                        "deferred to {}: quiet hours {quiet}{quiet_src}; still at least 3 h before departure",
                        clock.describe(end)
                    ));
                    Some(end)
                }
                _ => {
                    reasons.push(format!(
                        "sent now despite quiet hours {quiet}{quiet_src}: departure at {} is too close to wait",
                        clock.describe(departure)
                    ));
                    Some(now)
                }
            }
        }
        Urgency::Normal => {
            let Some(earliest) = clock.next_allowed(now) else {
                reasons.push(format!(
                    "suppressed: no moment outside quiet hours {quiet} in every zone within 48 h"
                ));
                return None;
            };
            if earliest > now {
                reasons.push(format!(
                    "quiet hours {quiet}{quiet_src} until {}",
                    clock.describe(earliest)
                ));
            }
            let usual = clock.first_where(earliest, add(earliest, 12.hours()), &[], |t| {
                !clock.is_quiet(t) && clock.usual_device(t, &GLANCE).is_some()
            });
            let deadline = match &event.detail {
                Detail::LowBalance(d) => d.upcoming_payment.as_ref().map(|p| sub(p.due_at.0, 24.hours())),
                _ => None,
            };
            match (usual, deadline) {
                (Some(t), Some(dl)) if t > dl => {
                    reasons.push(format!(
                        "{}: the payment is due within 24 h of the usual time, so no waiting for it",
                        when_earliest(clock, earliest, now, quiet, quiet_src)
                    ));
                    Some(earliest)
                }
                (Some(t), _) => {
                    let (dev, w) = clock.usual_device(t, &GLANCE).expect("found above");
                    if t == now {
                        reasons.push(format!(
                            "sent now: usually on {} {} at this time ({})",
                            dev.kind.as_str(),
                            dev.id,
                            w.text
                        ));
                    } else {
                        reasons.push(format!(
                            "scheduled for {}: usually on {} {} then ({})",
                            clock.describe(t),
                            dev.kind.as_str(),
                            dev.id,
                            w.text
                        ));
                    }
                    Some(t)
                }
                (None, _) => {
                    reasons.push(format!(
                        "{}: no usual hours within 12 h",
                        when_earliest(clock, earliest, now, quiet, quiet_src)
                    ));
                    Some(earliest)
                }
            }
        }
        Urgency::Low => {
            let expires = match &event.detail {
                Detail::ApplicationIncomplete(d) => d.expires_at.map(|e| e.0),
                _ => None,
            };
            if let Some(e) = expires
                && e <= now
            {
                reasons.push(format!("suppressed: the application expired at {}", clock.describe(e)));
                return None;
            }
            let Some(earliest) = clock.next_allowed(now) else {
                reasons.push(format!(
                    "suppressed: no moment outside quiet hours {quiet} in every zone within 48 h"
                ));
                return None;
            };
            if earliest > now {
                reasons.push(format!(
                    "quiet hours {quiet}{quiet_src} until {}",
                    clock.describe(earliest)
                ));
            }
            let mut limit = add(now, 72.hours());
            if let Some(e) = expires {
                limit = limit.min(sub(e, 24.hours()));
            }
            let big = clock.first_where(earliest, limit, &[], |t| {
                !clock.is_quiet(t) && clock.usual_device(t, &BIG_SCREEN).is_some()
            });
            if let Some(t) = big {
                let (dev, w) = clock.usual_device(t, &BIG_SCREEN).expect("found above");
                let lead = if t == now {
                    "sent now".to_owned()
                } else {
                    format!("scheduled for {}", clock.describe(t))
                };
                reasons.push(format!(
                    "{lead}: usually on {} {} then ({}), better for a task",
                    dev.kind.as_str(),
                    dev.id,
                    w.text
                ));
                return Some(t);
            }
            let evening = jiff::civil::time(19, 0, 0, 0);
            let at_seven = clock.first_where(earliest, limit, &[evening], |t| {
                !clock.is_quiet(t) && clock.primary.to_datetime(t).time() == evening
            });
            let habits = if clock.has_habits(&BIG_SCREEN) {
                "no usual desktop or tablet time before the deadline"
            } else {
                "no desktop or tablet habits known"
            };
            match at_seven {
                Some(t) => {
                    reasons.push(format!(
                        "scheduled for {}: {habits}, so the next 19:00",
                        clock.describe(t)
                    ));
                    Some(t)
                }
                None => {
                    reasons.push(format!(
                        "{}: {habits} and no allowed 19:00 before the deadline",
                        when_earliest(clock, earliest, now, quiet, quiet_src)
                    ));
                    Some(earliest)
                }
            }
        }
    }
}

fn when_earliest(
    clock: &LocalClock<'_>,
    earliest: Timestamp,
    now: Timestamp,
    quiet: crate::customer::QuietHours,
    quiet_src: &str,
) -> String {
    if earliest == now {
        "sent now".into()
    } else {
        format!(
            "deferred to {}: quiet hours {quiet}{quiet_src}",
            clock.describe(earliest)
        )
    }
}
