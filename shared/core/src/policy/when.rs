//! When a message should go out: at once for critical alerts, around quiet hours and
//! departure for travel, at the customer's usual moments for account and task messages.

use jiff::{Timestamp, ToSpan};

use crate::catalog::{Kind, Timing};
use crate::customer::{Customer, DeviceKind, QuietHours};
use crate::events::Event;
use crate::timing::{LocalClock, add, sub};

use super::{Suppression, Urgency};

const GLANCE: [DeviceKind; 4] = [
    DeviceKind::Phone,
    DeviceKind::Watch,
    DeviceKind::Tablet,
    DeviceKind::Desktop,
];
const BIG_SCREEN: [DeviceKind; 2] = [DeviceKind::Desktop, DeviceKind::Tablet];

/// What choosing the moment reads: the event, its kind's timing rule, the customer and their
/// clock, at `now`.
pub(super) struct Occasion<'a> {
    pub kind: &'a Kind,
    pub event: &'a Event,
    pub customer: &'a Customer,
    pub clock: &'a LocalClock<'a>,
    pub urgency: Urgency,
    pub now: Timestamp,
}

/// When to send, by the kind's `Timing` rule, or why not when it is too late to matter.
pub(super) fn choose_time(o: &Occasion<'_>, reasons: &mut Vec<String>) -> Result<Timestamp, Suppression> {
    let Occasion {
        kind,
        event,
        customer,
        clock,
        urgency,
        now,
    } = *o;
    let quiet = Quiet::of(customer);
    let instant = |path: &Option<String>| path.as_deref().and_then(|p| instant_at(event, p));
    match kind.def.timing.as_ref() {
        None | Some(Timing::Now) => {
            reasons.push(format!("sent now: {} alerts go out at any hour", urgency.as_str()));
            Ok(now)
        }
        Some(Timing::BeforeDeparture {
            departure,
            margin_hours,
        }) => {
            let Some(departure) = instant_at(event, departure) else {
                return Ok(now);
            };
            when_before_departure(departure, *margin_hours, clock, &quiet, now, reasons)
        }
        Some(Timing::UsualMoment {
            within_hours,
            deadline,
            lead_hours,
            what,
        }) => {
            let deadline = instant(deadline).map(|d| sub(d, lead_hours.hours()));
            let window = Window {
                hours: *within_hours,
                lead_hours: *lead_hours,
                what,
            };
            when_usual_moment(deadline, window, clock, &quiet, now, reasons)
        }
        Some(Timing::BigScreen {
            within_hours,
            deadline,
            lead_hours,
            what,
        }) => {
            let window = Window {
                hours: *within_hours,
                lead_hours: *lead_hours,
                what,
            };
            when_big_screen(instant(deadline), window, clock, &quiet, now, reasons)
        }
    }
}

/// The time at a detail field, if it holds one.
fn instant_at(event: &Event, path: &str) -> Option<Timestamp> {
    event.text_at(path).parse().ok()
}

/// How far ahead a rule looks, how long before its deadline the message must go, and the
/// words for what its deadline is about.
struct Window<'a> {
    hours: i64,
    lead_hours: i64,
    what: &'a str,
}

/// The customer's quiet hours and whether they are the default ones.
pub(super) struct Quiet {
    pub hours: QuietHours,
    pub src: &'static str,
}

impl Quiet {
    pub(super) fn of(customer: &Customer) -> Quiet {
        Quiet {
            hours: customer.quiet_hours,
            src: if customer.quiet_hours_from_profile {
                ""
            } else {
                " (default)"
            },
        }
    }
}

/// `Timing::BeforeDeparture`: now, or after quiet hours if that still leaves `margin_hours`
/// before departure; nothing once it has left.
fn when_before_departure(
    departure: Timestamp,
    margin_hours: i64,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Result<Timestamp, Suppression> {
    let (quiet, quiet_src) = (q.hours, q.src);
    if now >= departure {
        return Err(Suppression::Departed {
            departure: clock.describe(departure),
        });
    }
    if !clock.is_quiet(now) {
        reasons.push("sent now: urgent travel update outside quiet hours".into());
        return Ok(now);
    }
    match clock.next_allowed(now) {
        Some(end) if add(end, margin_hours.hours()) <= departure => {
            reasons.push(format!(
                "deferred to {}: quiet hours {quiet}{quiet_src}; still at least {margin_hours} h before departure",
                clock.describe(end)
            ));
            Ok(end)
        }
        _ => {
            reasons.push(format!(
                "sent now despite quiet hours {quiet}{quiet_src}: departure at {} is too close to wait",
                clock.describe(departure)
            ));
            Ok(now)
        }
    }
}

/// `Timing::UsualMoment`: the first moment within the window the customer is usually on a
/// phone or watch, unless that is past the deadline (already less its lead).
fn when_usual_moment(
    deadline: Option<Timestamp>,
    window: Window<'_>,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Result<Timestamp, Suppression> {
    let (quiet, quiet_src) = (q.hours, q.src);
    let earliest = earliest_allowed(clock, q, now, reasons)?;
    let usual = clock.first_where(earliest, add(earliest, window.hours.hours()), &[], |t| {
        !clock.is_quiet(t) && clock.usual_device(t, &GLANCE).is_some()
    });
    match (usual, deadline) {
        (Some(t), Some(dl)) if t > dl => {
            reasons.push(format!(
                "{}: {} is due within {} h of the usual time, so no waiting for it",
                when_earliest(clock, earliest, now, quiet, quiet_src),
                window.what,
                window.lead_hours
            ));
            Ok(earliest)
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
            Ok(t)
        }
        (None, _) => {
            reasons.push(format!(
                "{}: no usual hours within {} h",
                when_earliest(clock, earliest, now, quiet, quiet_src),
                window.hours
            ));
            if let Some(dl) = deadline.filter(|dl| earliest > *dl && earliest > now) {
                reasons.push(lead_in_quiet_hours(clock, dl, earliest, now, &window));
            }
            Ok(earliest)
        }
    }
}

/// `Timing::BigScreen`: the first usual moment on a desktop or tablet before the deadline
/// (less its lead), else the next allowed 19:00; nothing once it has expired.
fn when_big_screen(
    expires: Option<Timestamp>,
    window: Window<'_>,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Result<Timestamp, Suppression> {
    let (quiet, quiet_src) = (q.hours, q.src);
    if let Some(e) = expires
        && e <= now
    {
        return Err(Suppression::Expired {
            what: window.what.to_owned(),
            at: clock.describe(e),
        });
    }
    let earliest = earliest_allowed(clock, q, now, reasons)?;
    let mut limit = add(now, window.hours.hours());
    if let Some(e) = expires {
        limit = limit.min(sub(e, window.lead_hours.hours()));
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
        return Ok(t);
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
            Ok(t)
        }
        None => {
            reasons.push(format!(
                "{}: {habits} and no allowed 19:00 before the deadline",
                when_earliest(clock, earliest, now, quiet, quiet_src)
            ));
            Ok(earliest)
        }
    }
}

/// The first moment outside quiet hours in every zone, saying so when it is later than now.
fn earliest_allowed(
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Result<Timestamp, Suppression> {
    let Some(earliest) = clock.next_allowed(now) else {
        return Err(Suppression::NoMoment { quiet: q.hours });
    };
    if earliest > now {
        reasons.push(format!(
            "quiet hours {}{} until {}",
            q.hours,
            q.src,
            clock.describe(earliest)
        ));
    }
    Ok(earliest)
}

/// That the lead before a deadline falls in quiet hours, so the message goes at their end,
/// still before the deadline (the deadline rule, `within_deadline`, sees to that).
fn lead_in_quiet_hours(
    clock: &LocalClock<'_>,
    lead_from: Timestamp,
    end: Timestamp,
    now: Timestamp,
    window: &Window<'_>,
) -> String {
    let due = add(lead_from, window.lead_hours.hours());
    let left = due.duration_since(end).as_hours();
    let (what, lead) = (window.what, window.lead_hours);
    if lead_from > now {
        format!(
            "{what} is due {}: its {lead} h lead begins inside quiet hours, so at their end, {left} h before",
            clock.describe(due)
        )
    } else {
        format!(
            "{what} is due {}, within its {lead} h lead: at the end of quiet hours, {left} h before",
            clock.describe(due)
        )
    }
}

fn when_earliest(
    clock: &LocalClock<'_>,
    earliest: Timestamp,
    now: Timestamp,
    quiet: QuietHours,
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
