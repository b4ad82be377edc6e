//! The README's table of kinds, written from the catalog so the documentation cannot drift from what runs.

use super::{Catalog, Kind, Repeat, Timing};

/// The markdown table of every notifying kind: category, urgency, timing, channels, subject,
/// repeats and what resolves it; then one line per resolving event.
pub fn kinds_table(c: &Catalog) -> String {
    let mut out = String::from(
        "| event | category | urgency | when | default channels | subject | a repeat | resolved by |\n|---|---|---|---|---|---|---|---|\n",
    );
    for k in c.kinds().iter().filter(|k| k.notifies()) {
        let d = &k.def;
        let channels: Vec<&str> = d.channels.iter().map(|c| c.as_str()).collect();
        let subject = d.subject.as_ref().map_or(String::new(), |s| {
            let fields: Vec<String> = s.fields.iter().map(|f| format!("`{f}`")).collect();
            format!("{} {}", s.name, fields.join(", "))
        });
        let resolved: Vec<String> = d
            .resolved_by
            .iter()
            .map(|r| {
                let fields: Vec<String> = r.fields.iter().map(|f| format!("`{f}`")).collect();
                format!("`{}` (same {})", r.kind, fields.join(", "))
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            k.name(),
            d.category.as_ref().map_or("", |c| c.as_str()),
            d.urgency.map_or("", |u| u.as_str()),
            when(k),
            channels.join(" → "),
            subject,
            repeat(d.repeat.as_ref()),
            if resolved.is_empty() {
                "—".to_owned()
            } else {
                resolved.join(", ")
            },
        ));
    }
    out.push('\n');
    for k in c.kinds().iter().filter(|k| !k.notifies()) {
        out.push_str(&format!(
            "- `{}` ({}): {}\n",
            k.name(),
            k.def.resolution.as_deref().unwrap_or("resolves"),
            k.def.description
        ));
    }
    out
}

/// The timing rule in words, with the kind's fields and hours.
fn when(k: &Kind) -> String {
    let reply = if k.def.expects_reply {
        " (SMS asks \"reply YES / NO\")"
    } else {
        ""
    };
    let text = match &k.def.timing {
        None | Some(Timing::Now) => "now, at any hour, on every reachable channel of the list".to_owned(),
        Some(Timing::BeforeDeparture {
            departure,
            margin_hours,
        }) => format!(
            "now; inside quiet hours it waits for their end if that is still ≥ {margin_hours} h before `{departure}`; after it, dropped"
        ),
        Some(Timing::UsualMoment {
            within_hours,
            deadline,
            lead_hours,
            ..
        }) => {
            let before = deadline.as_ref().map_or(String::new(), |d| {
                format!(", but no later than {lead_hours} h before `{d}`")
            });
            format!(
                "outside quiet hours, the first moment the customer is usually active on a device (within {within_hours} h){before}"
            )
        }
        Some(Timing::BigScreen {
            within_hours,
            deadline,
            lead_hours,
            ..
        }) => {
            let before = deadline
                .as_ref()
                .map_or(String::new(), |d| format!(", before `{d}` − {lead_hours} h"));
            format!(
                "the first moment the customer is usually on a desktop or tablet (within {within_hours} h{before}); without such habits the next allowed 19:00"
            )
        }
    };
    let receipt = k.def.receipt_within_minutes.map_or(String::new(), |m| {
        format!("; a text not reported delivered within {m} min falls over once to the next channel")
    });
    format!("{text}{}{reply}{receipt}", deadline_rule(k))
}

/// The deadline rule in words: the field after which the notice stops mattering, and that it
/// beats quiet hours (`BeforeDeparture` says its own).
fn deadline_rule(k: &Kind) -> String {
    match (&k.def.timing, k.def.expires.as_deref()) {
        (Some(Timing::BeforeDeparture { .. }), _) => String::new(),
        (_, None) => "; it stops mattering a day after the event".into(),
        (_, Some(field)) => format!(
            "; never after `{field}`: when it falls before quiet hours end, at once on the least intrusive reachable channel (email, then a passive push, then SMS); once it has passed, dropped"
        ),
    }
}

fn repeat(r: Option<&Repeat>) -> String {
    match r {
        Some(Repeat::Window { hours }) => format!("suppressed within {hours} h"),
        Some(Repeat::Once) => "suppressed while the first is live".into(),
        Some(Repeat::Latest { update }) => format!("a newer {update} replaces a pending one; an older one is stale"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_notifying_kind_and_a_line_per_resolving_one() {
        let c = Catalog::embedded();
        let table = kinds_table(&c);
        let rows = table.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, c.kinds().iter().filter(|k| k.notifies()).count());
        assert!(table.contains("| `PaymentDue` | account | normal |"), "{table}");
        assert!(
            table.contains("`PaymentMade` (same `account_id`, `payment_id`)"),
            "{table}"
        );
        assert!(table.contains("- `BalanceRestored` (balance restored)"), "{table}");
        assert!(
            table.contains("24 h before `upcoming_payment.due_at`; never after `upcoming_payment.due_at`: when it falls before quiet hours end, at once"),
            "{table}"
        );
    }
}
