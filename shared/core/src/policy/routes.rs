//! Which channels and devices can carry a message, in the customer's order of preference.

use jiff::Timestamp;

use crate::customer::{Category, Channel, Contact, Customer, Device};

use super::{Intrusion, Route, Suppression, Urgency};

/// How much a channel interrupts: email waits to be read, a passive push shows without sound,
/// an SMS rings.
fn intrusiveness(c: Channel) -> u8 {
    match c {
        Channel::Email => 0,
        Channel::Push => 1,
        Channel::Sms => 2,
    }
}

/// A device not seen for this many days is retired: push no longer goes to it until it is seen
/// or registered again. FCM drops tokens unused for 270 days; APNs tokens go stale alike.
pub const RETIRED_AFTER_DAYS: i64 = 270;

/// Why push cannot reach `d` though it has an endpoint, if it cannot: the push service
/// rejected it, or it has not been seen for [`RETIRED_AFTER_DAYS`].
fn device_unusable(d: &Device, now: Timestamp) -> Option<String> {
    d.push_endpoint.as_ref()?;
    if let Some(why) = &d.disabled_reason {
        return Some(format!("{}: {why}", d.id));
    }
    if !d.enabled {
        return Some(format!("{}: disabled", d.id));
    }
    let seen = d.last_seen?;
    let retired = now.duration_since(seen).as_secs() > RETIRED_AFTER_DAYS * 86_400;
    retired.then(|| {
        format!(
            "{}: not seen since {} (over {RETIRED_AFTER_DAYS} days), retired until it is seen or registered again",
            d.id,
            seen.strftime("%Y-%m-%d")
        )
    })
}

/// Why no device can take push, naming each device that has an endpoint but cannot.
fn no_push_device(customer: &Customer, now: Timestamp) -> String {
    let whys: Vec<String> = customer
        .devices
        .iter()
        .filter_map(|d| device_unusable(d, now))
        .collect();
    match whys.is_empty() {
        true => "no enabled device with a push endpoint".into(),
        false => format!("no enabled device with a push endpoint ({})", whys.join("; ")),
    }
}

/// Why a channel cannot be used for this customer, if it cannot.
fn unreachable_because(customer: &Customer, channel: Channel, devices: &[&Device], now: Timestamp) -> Option<String> {
    if customer.has_opted_out(channel) {
        return Some("the customer opted out".into());
    }
    match channel {
        Channel::Sms => match &customer.phone {
            Contact::Missing => Some("no phone number".into()),
            Contact::Unusable(why) => Some(format!("phone number unusable: {why}")),
            Contact::Usable(p) if !p.line().takes_sms() => Some(format!(
                "{} is {} (phone metadata): it cannot take SMS",
                p.masked(),
                p.line().as_words()
            )),
            Contact::Usable(_) => None,
        },
        Channel::Email => match &customer.email {
            Contact::Missing => Some("no email address".into()),
            Contact::Unusable(why) => Some(format!("email address unusable: {why}")),
            Contact::Usable(_) => None,
        },
        Channel::Push if devices.is_empty() => Some(no_push_device(customer, now)),
        Channel::Push => None,
    }
}

/// The enabled push device that fits the message, seen most recently.
fn push_device<'c>(devices: &[&'c Device], wants_big_screen: bool, reasons: &mut Vec<String>) -> Option<&'c Device> {
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

/// The channel a critical alert falls back to when none in `order` can reach the customer:
/// email first, then SMS, then push, among the channels `order` leaves out.
fn critical_fallback(
    customer: &Customer,
    order: &[Channel],
    devices: &[&Device],
    now: Timestamp,
    reasons: &mut Vec<String>,
) -> Option<Channel> {
    for channel in [Channel::Email, Channel::Sms, Channel::Push] {
        if order.contains(&channel) {
            continue;
        }
        match unreachable_because(customer, channel, devices, now) {
            None => {
                reasons.push(match channel {
                    Channel::Email => "neither SMS nor push can reach the customer: falling back to email".into(),
                    _ => format!(
                        "no channel the customer chose can reach them: a critical alert falls back to {channel}"
                    ),
                });
                return Some(channel);
            }
            Some(why) => reasons.push(format!("{channel} fallback impossible: {why}")),
        }
    }
    None
}

/// What the kind says about routing: its category (for the customer's preferences), its
/// default channel order and whether it is a task for a big screen.
#[derive(Clone)]
pub(super) struct Routing<'k> {
    pub category: Category,
    pub defaults: &'k [Channel],
    pub big_screen: bool,
    /// The message breaks quiet hours: the least intrusive reachable channel of the order, and
    /// a push as a passive one.
    pub gentle: bool,
    /// The moment of the decision, against which a device's last sighting is judged.
    pub now: Timestamp,
}

pub(super) fn choose_routes(
    customer: &Customer,
    routing: &Routing<'_>,
    urgency: Urgency,
    reasons: &mut Vec<String>,
) -> Result<Vec<Route>, Suppression> {
    let (order, whose): (&[Channel], &str) = match customer.channel_preferences.get(&routing.category) {
        Some(list) if !list.is_empty() => (list, "the customer's preference"),
        _ => (routing.defaults, "the default"),
    };
    let devices: Vec<&Device> = customer
        .devices
        .iter()
        .filter(|d| d.pushable() && device_unusable(d, routing.now).is_none())
        .collect();
    let order_text = order.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" → ");
    let mut tried = order.to_vec();
    if routing.gentle {
        tried.sort_by_key(|c| intrusiveness(*c));
    }
    let mut chosen = Vec::new();
    for &channel in &tried {
        match unreachable_because(customer, channel, &devices, routing.now) {
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
    if chosen.is_empty() && urgency == Urgency::Critical {
        chosen.extend(critical_fallback(customer, order, &devices, routing.now, reasons));
    }
    if chosen.is_empty() {
        return Err(Suppression::NoChannel {
            order: order_text,
            whose,
        });
    }
    let how = if urgency == Urgency::Critical {
        "every reachable channel of"
    } else if routing.gentle {
        "the least intrusive reachable one of"
    } else {
        "first reachable of"
    };
    let gentle = if routing.gentle {
        ", as quiet hours are broken"
    } else {
        ""
    };
    reasons.push(format!(
        "channel {}: {how} {order_text} ({whose}){gentle}",
        chosen.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" + ")
    ));
    let mut routes = Vec::with_capacity(chosen.len());
    for channel in chosen {
        let device = if channel == Channel::Push {
            push_device(&devices, routing.big_screen, reasons)
        } else {
            None
        };
        let intrusion = if routing.gentle && channel == Channel::Push {
            reasons.push("as a passive push: shown without sound, not lighting the screen".into());
            Intrusion::Passive
        } else {
            Intrusion::Normal
        };
        routes.push(Route {
            channel,
            device_id: device.map(|d| d.id.clone()),
            device_kind: device.map(|d| d.kind),
            intrusion,
        });
    }
    Ok(routes)
}
