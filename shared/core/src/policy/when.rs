//! When a message should go out: at once for critical alerts, around quiet hours and
//! departure for travel, at the customer's usual moments for account and task messages.

use jiff::{Timestamp, ToSpan};

use crate::customer::{Customer, DeviceKind, QuietHours};
use crate::events::{Detail, Event};
use crate::timing::{LocalClock, add, sub};

use super::Urgency;

const GLANCE: [DeviceKind; 4] = [
    DeviceKind::Phone,
    DeviceKind::Watch,
    DeviceKind::Tablet,
    DeviceKind::Desktop,
];
const BIG_SCREEN: [DeviceKind; 2] = [DeviceKind::Desktop, DeviceKind::Tablet];

/// When to send, or `None` (with the reason pushed) when it is too late to matter.
pub(super) fn choose_time(
    event: &Event,
    customer: &Customer,
    clock: &LocalClock<'_>,
    urgency: Urgency,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Timestamp> {
    let quiet = Quiet {
        hours: customer.quiet_hours,
        src: if customer.quiet_hours_from_profile {
            ""
        } else {
            " (default)"
        },
    };
    match urgency {
        Urgency::Critical => {
            reasons.push("sent now: critical alerts go out at any hour".into());
            Some(now)
        }
        Urgency::High => when_high(event, clock, &quiet, now, reasons),
        Urgency::Normal => when_normal(event, clock, &quiet, now, reasons),
        Urgency::Low => when_low(event, clock, &quiet, now, reasons),
    }
}

/// The customer's quiet hours and whether they are the default ones.
struct Quiet {
    hours: QuietHours,
    src: &'static str,
}

/// Travel: now, or after quiet hours if that still leaves 3 h before departure.
fn when_high(
    event: &Event,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Timestamp> {
    let (quiet, quiet_src) = (q.hours, q.src);
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

/// Account: the first usual moment within 12 h, before a known payment is due.
fn when_normal(
    event: &Event,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Timestamp> {
    let (quiet, quiet_src) = (q.hours, q.src);
    let earliest = earliest_allowed(clock, q, now, reasons)?;
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

/// Tasks: the first usual moment on a big screen, else the next allowed 19:00.
fn when_low(
    event: &Event,
    clock: &LocalClock<'_>,
    q: &Quiet,
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Timestamp> {
    let (quiet, quiet_src) = (q.hours, q.src);
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
    let earliest = earliest_allowed(clock, q, now, reasons)?;
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

/// The first moment outside quiet hours in every zone, saying so when it is later than now.
fn earliest_allowed(clock: &LocalClock<'_>, q: &Quiet, now: Timestamp, reasons: &mut Vec<String>) -> Option<Timestamp> {
    let Some(earliest) = clock.next_allowed(now) else {
        reasons.push(format!(
            "suppressed: no moment outside quiet hours {} in every zone within 48 h",
            q.hours
        ));
        return None;
    };
    if earliest > now {
        reasons.push(format!(
            "quiet hours {}{} until {}",
            q.hours,
            q.src,
            clock.describe(earliest)
        ));
    }
    Some(earliest)
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
