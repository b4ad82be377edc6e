//! The human timeline: grouped by customer, in their local time, with the reasons.

use std::io::{self, Write};

use forewarn_core::customer::Customer;
use forewarn_flows::sim::{Record, display_zone};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How many lines of each kind the timeline showed, for its closing line.
#[derive(Default)]
struct Counts {
    sent: usize,
    scheduled: usize,
    suppressed: usize,
    cancelled: usize,
    rejected: usize,
    replies: usize,
}

/// Writes the timeline: each customer's lines in their local time, then the counts.
pub fn write(out: &mut impl Write, records: &[Record], customers: &[Customer]) -> io::Result<()> {
    let mut order: Vec<Option<&str>> = Vec::new();
    for r in records {
        if !order.contains(&r.customer_id()) {
            order.push(r.customer_id());
        }
    }
    let mut n = Counts::default();
    for who in order {
        let customer = who.and_then(|id| customers.iter().find(|c| c.id.as_str() == id));
        let (zone, zone_name) = display_zone(customer);
        match (who, customer) {
            (Some(id), Some(c)) => writeln!(
                out,
                "{} ({id}) · {zone_name} · {}",
                c.name.as_deref().unwrap_or("(no name)"),
                c.locale
            )?,
            (Some(id), None) => writeln!(out, "unknown customer {id} · times in UTC")?,
            (None, _) => writeln!(out, "events without a readable customer · times in UTC")?,
        }
        let mut mine: Vec<&Record> = records.iter().filter(|r| r.customer_id() == who).collect();
        mine.sort_by_key(|r| r.at());
        for r in mine {
            line(out, r, &zone, &mut n)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} messages sent, {} scheduled, {} cancelled, {} suppressed, {} rejected, {} replies",
        n.sent, n.scheduled, n.cancelled, n.suppressed, n.rejected, n.replies
    )
}

/// One record, with its reasons, in `zone`'s local time.
fn line(out: &mut impl Write, r: &Record, zone: &TimeZone, n: &mut Counts) -> io::Result<()> {
    match r {
        Record::Decision { .. } => decision(out, r, zone, n),
        Record::Delivery { .. } => delivery(out, r, zone, n),
        Record::Reply { .. } => reply(out, r, zone, n),
        Record::Cancelled {
            event_id,
            by_event_id,
            reason,
            at,
            ..
        } => {
            n.cancelled += 1;
            let by = by_event_id.as_deref().map(|b| format!(" (by {b})")).unwrap_or_default();
            writeln!(out, "  {}  ✗ cancelled {event_id}{by}: {reason}", local(*at, zone))
        }
    }
}

/// A decision: what was decided, then why.
fn decision(out: &mut impl Write, r: &Record, zone: &TimeZone, n: &mut Counts) -> io::Result<()> {
    let Record::Decision {
        event_id,
        detail_type,
        outcome,
        send_at,
        channels,
        reasons,
        at,
        ..
    } = r
    else {
        return Ok(());
    };
    let what = match (*outcome, send_at) {
        ("scheduled", Some(t)) => {
            n.scheduled += 1;
            format!("scheduled for {} ({})", local(*t, zone), channels.join(" + "))
        }
        ("send_now", _) => format!("send now ({})", channels.join(" + ")),
        ("suppressed", _) => {
            n.suppressed += 1;
            "suppressed".into()
        }
        ("rejected", _) => {
            n.rejected += 1;
            "REJECTED".into()
        }
        (o, _) => o.to_owned(),
    };
    writeln!(
        out,
        "  {}  {} {}  → {what}",
        local(*at, zone),
        detail_type.as_deref().unwrap_or("?"),
        event_id.as_deref().unwrap_or("(no id)")
    )?;
    reasons_of(out, reasons)
}

/// A message as the customer got it: channel, device, masked destination and first line.
fn delivery(out: &mut impl Write, r: &Record, zone: &TimeZone, n: &mut Counts) -> io::Result<()> {
    let Record::Delivery {
        event_id,
        channel,
        device_id,
        sent_at,
        to,
        subject,
        body,
        expects_reply,
        reminder,
        intrusion,
        ..
    } = r
    else {
        return Ok(());
    };
    n.sent += 1;
    let device = device_id.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
    let what = if *reminder { "reminder " } else { "" };
    let how = if intrusion.is_normal() { "" } else { ", passive" };
    writeln!(
        out,
        "  {}  ✉ {what}{channel}{device} to {to} ({event_id}{how})",
        local(*sent_at, zone)
    )?;
    if let Some(s) = subject {
        writeln!(out, "  {:18}    « {s} »", "")?;
    }
    writeln!(out, "  {:18}    {}", "", body.lines().next().unwrap_or(""))?;
    if *expects_reply {
        writeln!(out, "  {:18}    (waits for the customer's reply)", "")?;
    }
    Ok(())
}

/// An inbound SMS: its intent, what forewarn did, why, and the answer sent back.
fn reply(out: &mut impl Write, r: &Record, zone: &TimeZone, n: &mut Counts) -> io::Result<()> {
    let Record::Reply {
        from,
        intent,
        outcome,
        answer,
        reasons,
        at,
        ..
    } = r
    else {
        return Ok(());
    };
    n.replies += 1;
    writeln!(
        out,
        "  {}  ↩ SMS from {from}: {} → {outcome}",
        local(*at, zone),
        intent.to_uppercase()
    )?;
    reasons_of(out, reasons)?;
    match answer {
        Some(answer) => writeln!(out, "  {:18}    answered « {answer} »", ""),
        None => writeln!(out, "  {:18}    no answer sent", ""),
    }
}

/// The reasons under a line, one per line.
fn reasons_of(out: &mut impl Write, reasons: &[String]) -> io::Result<()> {
    for reason in reasons {
        writeln!(out, "  {:18}    · {reason}", "")?;
    }
    Ok(())
}

/// `Mon 23 Nov 08:00` in the customer's zone.
fn local(t: Timestamp, zone: &TimeZone) -> String {
    t.to_zoned(zone.clone()).strftime("%a %d %b %H:%M").to_string()
}
