//! The deadline rule: a message never waits past the moment it stops mattering; quiet hours give way, gently.

use jiff::Timestamp;

use crate::catalog::Timing;
use crate::timing::LocalClock;

use super::Suppression;
use super::when::{Occasion, Quiet};

/// When a message stops mattering, read from its event by its kind.
struct Deadline<'a> {
    at: Timestamp,
    sense: Sense<'a>,
}

/// What the deadline is, in the words of reasons.
enum Sense<'a> {
    /// A usual-moment kind's `expires` field: something is due ("the payment").
    Due { what: &'a str, field: &'a str },
    /// Another kind's `expires` field: something expires ("the application").
    Expires { what: &'a str, field: &'a str },
    /// No field names one: the notice stops mattering a day after the event.
    DayAfter,
}

impl<'a> Deadline<'a> {
    fn of(o: &Occasion<'a>) -> Deadline<'a> {
        let (at, field) = o.kind.stops_mattering(o.event.detail_json(), o.event.time.0);
        let what = match &o.kind.def.timing {
            Some(Timing::UsualMoment { what, .. } | Timing::BigScreen { what, .. }) => what.as_str(),
            _ => "it",
        };
        let sense = match (field, &o.kind.def.timing) {
            (None, _) => Sense::DayAfter,
            (Some(field), Some(Timing::UsualMoment { .. })) => Sense::Due { what, field },
            (Some(field), _) => Sense::Expires { what, field },
        };
        Deadline { at, sense }
    }

    /// "the payment is due 07:00 Europe/Lisbon (Tue 24 Nov) (`upcoming_payment.due_at`)".
    fn phrase(&self, clock: &LocalClock<'_>) -> String {
        let at = clock.describe(self.at);
        match self.sense {
            Sense::Due { what, field } => format!("{what} is due {at} (`{field}`)"),
            Sense::Expires { what, field } => format!("{what} expires {at} (`{field}`)"),
            Sense::DayAfter => format!("the notice stops mattering {at}, a day after the event"),
        }
    }

    /// Why nothing is sent once the deadline has passed.
    fn passed(&self, clock: &LocalClock<'_>) -> Suppression {
        let at = clock.describe(self.at);
        match self.sense {
            Sense::Due { what, .. } => Suppression::Overdue {
                what: what.to_owned(),
                at,
            },
            Sense::Expires { what, .. } => Suppression::Expired {
                what: what.to_owned(),
                at,
            },
            Sense::DayAfter => Suppression::Expired {
                what: "the notice".to_owned(),
                at,
            },
        }
    }
}

/// The moment the deadline rule settled on, and whether it breaks quiet hours (then the
/// message goes on the least intrusive channel).
pub(super) struct Moment {
    pub at: Timestamp,
    pub breaks_quiet: bool,
}

/// The moment `chosen` by the kind's timing rule, kept before the moment the message stops
/// mattering: once that has passed, nothing (at decision time, never a doomed schedule);
/// otherwise the first moment outside quiet hours before it; when quiet hours last past it,
/// now, breaking them. A day-after-the-event deadline never breaks quiet hours and never
/// holds back a message that goes now. The reasons `chosen` gave from `mark` on are replaced
/// when the deadline decides. `BeforeDeparture` has its own rule for its departure and is
/// kept as chosen.
pub(super) fn within_deadline(
    o: &Occasion<'_>,
    chosen: Result<Timestamp, Suppression>,
    mark: usize,
    reasons: &mut Vec<String>,
) -> Result<Moment, Suppression> {
    let kept = |at| Moment {
        at,
        breaks_quiet: false,
    };
    if matches!(o.kind.def.timing, Some(Timing::BeforeDeparture { .. })) {
        return chosen.map(kept);
    }
    let deadline = Deadline::of(o);
    let (clock, now) = (o.clock, o.now);
    let day_after = matches!(deadline.sense, Sense::DayAfter);
    match chosen {
        Ok(t) if t < deadline.at => return Ok(kept(t)),
        // A day after the event is no deadline to hold back what goes now: a late critical
        // alert still goes out. It only stops a schedule that would fire after it.
        Ok(t) if day_after && t <= now => return Ok(kept(t)),
        Err(why @ Suppression::NoMoment { .. }) if day_after => return Err(why),
        Ok(_) | Err(Suppression::NoMoment { .. }) => {}
        Err(why) => return Err(why),
    }
    reasons.truncate(mark);
    if now >= deadline.at {
        return Err(deadline.passed(clock));
    }
    let q = Quiet::of(o.customer);
    let phrase = deadline.phrase(clock);
    match clock.next_allowed(now) {
        Some(e) if e == now => {
            reasons.push(format!("sent now: {phrase}, too soon to wait for a usual moment"));
            Ok(kept(now))
        }
        Some(e) if e < deadline.at => {
            reasons.push(format!(
                "deferred to {}: quiet hours {}{}; {phrase}, so the first moment after them",
                clock.describe(e),
                q.hours,
                q.src
            ));
            Ok(kept(e))
        }
        _ if day_after => Err(Suppression::NoMomentBefore {
            quiet: q.hours,
            deadline: phrase,
        }),
        end => {
            let end = end.map_or(String::new(), |e| format!(" at {}", clock.describe(e)));
            reasons.push(format!(
                "sent now despite quiet hours {}{}: {phrase}, before they end{end}",
                q.hours, q.src
            ));
            Ok(Moment {
                at: now,
                breaks_quiet: true,
            })
        }
    }
}
