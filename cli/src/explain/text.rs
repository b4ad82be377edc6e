//! The explain report as text for a support agent: state, pending, decisions, deliveries, each with its reasons.

use std::io::{self, Write};

use super::state::{DeviceLine, State};
use super::{DecisionLine, DeliveryLine, Report};

/// The indent of the lines under an entry (reasons, failures), past its time.
const UNDER: &str = "                    ";

/// Writes the report.
pub fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        "customer {} · {} · now {} {}",
        r.customer_id, r.state.locale, r.now, r.state.time_zone
    )?;
    if let Some(e) = &r.event_id {
        writeln!(out, "only event {e}")?;
    }
    writeln!(out)?;
    state(out, &r.state)?;
    writeln!(out, "\npending ({}, soonest first)", r.pending.len())?;
    for d in &r.pending {
        delivery(out, d, Shown::Line)?;
    }
    writeln!(out, "\ndecisions ({}, newest first)", r.decisions.len())?;
    for d in &r.decisions {
        decision(out, d)?;
    }
    writeln!(out, "\ndeliveries ({}, newest first)", r.deliveries.len())?;
    for d in &r.deliveries {
        // A row's reasons are its decision's, but for a reminder or a re-routed alert: only new ones are shown.
        let decided = r.decisions.iter().find(|x| x.event_id == d.event_id);
        let shown = if decided.is_none_or(|x| x.reasons != d.reasons) {
            Shown::WithReasons
        } else {
            Shown::WithHistory
        };
        delivery(out, d, shown)?;
    }
    if !r.resolutions.is_empty() {
        writeln!(out, "\nresolutions")?;
        for x in &r.resolutions {
            writeln!(out, "  {}  {} {}", x.at, x.detail_type, x.event_id)?;
        }
    }
    Ok(())
}

/// What shapes timing and routing now.
fn state(out: &mut impl Write, s: &State) -> io::Result<()> {
    writeln!(out, "timing and reach now")?;
    writeln!(out, "  time zone    {} ({})", s.time_zone, s.time_zone_reason)?;
    let change = s.quiet_changes_at.as_ref();
    let now = match (s.quiet_now, change) {
        (true, Some(t)) => format!("quiet now, until {t}"),
        (true, None) => "quiet now".to_owned(),
        (false, Some(t)) => format!("not quiet now; quiet from {t}"),
        (false, None) => "never quiet".to_owned(),
    };
    writeln!(
        out,
        "  quiet hours  {} ({}): {now}",
        s.quiet_hours, s.quiet_hours_source
    )?;
    let contacts: Vec<String> = s
        .contacts
        .iter()
        .map(|c| match (&c.to, &c.why) {
            (Some(to), None) => format!("{} {to}", c.channel),
            (_, why) => format!("{} unusable: {}", c.channel, why.as_deref().unwrap_or("unreadable")),
        })
        .collect();
    writeln!(out, "  contacts     {}", contacts.join(" · "))?;
    let opted: Vec<String> = s
        .opted_out
        .iter()
        .map(|o| format!("{} ({})", o.channel, o.reason))
        .collect();
    writeln!(out, "  opted out    {}", none_or(&opted))?;
    let unusable: Vec<String> = s
        .unusable_contacts
        .iter()
        .map(|u| {
            let current = if u.current { "" } else { ", no longer in the profile" };
            format!("{} {}: {}{current}", u.channel, u.to, u.reason)
        })
        .collect();
    writeln!(out, "  unusable     {}", none_or(&unusable))?;
    for d in &s.devices {
        device(out, d)?;
    }
    Ok(())
}

fn none_or(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(" · ")
    }
}

fn device(out: &mut impl Write, d: &DeviceLine) -> io::Result<()> {
    let mut facts = vec![match &d.platform {
        Some(p) => format!("{}, {p}", d.kind),
        None => d.kind.to_owned(),
    }];
    facts.push(match &d.push {
        Some(p) => format!("push {p}"),
        None => "no push endpoint".to_owned(),
    });
    if let Some(why) = &d.disabled_reason {
        facts.push(format!("DISABLED: {why}"));
    }
    if let Some(t) = &d.last_seen {
        facts.push(format!("last seen {t}"));
    }
    writeln!(out, "  device {}  {}", d.device_id, facts.join(" · "))?;
    let hours = match d.usual_hours_source {
        "none" => "usual hours: none known".to_owned(),
        source => format!("usual hours ({source}): {}", d.usual_hours.join(", ")),
    };
    let learning = match (d.learning_weight, d.sessions) {
        (Some(w), Some(n)) => format!("; learning: {n} sessions, weight {w} of the 10 needed"),
        _ => String::new(),
    };
    writeln!(out, "    {hours}{learning}")
}

fn decision(out: &mut impl Write, d: &DecisionLine) -> io::Result<()> {
    let at = d.at.as_ref().or(d.decided_at.as_ref());
    let at = at.map_or_else(|| format!("{:16}", "(time unknown)"), ToString::to_string);
    let progress = if d.completed { "" } else { " (in progress)" };
    writeln!(
        out,
        "  {at}  {} {} → {}{progress}",
        d.detail_type.as_deref().unwrap_or("?"),
        d.event_id,
        d.outcome
    )?;
    if let (Some(event), Some(decided)) = (&d.at, &d.decided_at)
        && decided.timestamp().duration_since(event.timestamp()).as_secs() >= 60
    {
        writeln!(out, "{UNDER}decided {decided}")?;
    }
    reasons(out, &d.reasons)
}

/// How much of a row `delivery` writes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shown {
    /// When, where, its status and event.
    Line,
    /// And what happened to it since.
    WithHistory,
    /// And its reasons, where they are not its decision's.
    WithReasons,
}

/// One row, as much of it as `shown` says.
fn delivery(out: &mut impl Write, d: &DeliveryLine, shown: Shown) -> io::Result<()> {
    let device = d.device_id.as_deref().map(|x| format!(" {x}")).unwrap_or_default();
    let status = match &d.due {
        Some(due) => format!("{}, {due}", d.status),
        None => d.status.to_owned(),
    };
    let of = if d.reminder { "reminder of " } else { "" };
    writeln!(
        out,
        "  {}  {}{device} to {} · {status} · {of}{} ({})",
        d.send_at, d.channel, d.to, d.event_id, d.detail_type
    )?;
    if shown == Shown::Line {
        return Ok(());
    }
    if let Some(t) = &d.delivered_at {
        writeln!(out, "{UNDER}delivered {t}")?;
    }
    if let Some(by) = &d.cancelled_by {
        writeln!(out, "{UNDER}cancelled by {by}")?;
    }
    if let Some(f) = &d.failure {
        writeln!(out, "{UNDER}✗ {f}")?;
    }
    if shown == Shown::WithReasons {
        reasons(out, &d.reasons)
    } else {
        Ok(())
    }
}

fn reasons(out: &mut impl Write, reasons: &[String]) -> io::Result<()> {
    for r in reasons {
        writeln!(out, "{UNDER}· {r}")?;
    }
    Ok(())
}
