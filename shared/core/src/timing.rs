//! Local-time reasoning: quiet hours as intervals on the customer's calendar, usual hours and the first moment that suits, DST-correct.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};

use crate::customer::{ActiveWindow, Customer, Device, DeviceKind, QuietHours};

/// The customer's clocks: every zone that must agree on quiet hours, and the zone their
/// habits are written in.
///
/// Each night's quiet hours are one interval of instants per zone, from the first instant
/// the clock reads their start on that date to the first from which it never again reads
/// before their end. Through a spring-forward gap that is the transition itself (quiet hours
/// ending at 01:30 in a 01:00 → 02:00 gap end at the jump, not at 02:30); through a fall-back
/// fold, the start's first reading and the end's second (quiet hours ending at 01:30 on a
/// 02:00 → 01:00 night end at 01:30 in winter time, and the hour read twice stays quiet, even
/// where it reads before a start inside the fold). So no instant whose clock reads inside
/// quiet hours is allowed, and the end of quiet hours is the first allowed instant.
pub struct LocalClock<'a> {
    pub zones: Vec<TimeZone>,
    pub primary: TimeZone,
    pub quiet: QuietHours,
    pub devices: &'a [Device],
}

impl<'a> LocalClock<'a> {
    /// The customer's clocks for decisions made around `now`. Zones that keep the same time
    /// over the coming week (the US's 29 zones are 8 clocks) are checked once.
    pub fn of(customer: &'a Customer, now: Timestamp) -> Self {
        let mut zones = customer.zone.zones();
        if zones.len() > 1 {
            let (start, end) = (sub(now, 24.hours()), add(now, (7 * 24).hours()));
            let mut seen: Vec<(jiff::tz::Offset, Vec<(Timestamp, jiff::tz::Offset)>)> = Vec::new();
            zones.retain(|z| {
                let key = (
                    z.to_offset(start),
                    z.following(start)
                        .take_while(|t| t.timestamp() <= end)
                        .map(|t| (t.timestamp(), t.offset()))
                        .collect(),
                );
                let fresh = !seen.contains(&key);
                if fresh {
                    seen.push(key);
                }
                fresh
            });
        }
        LocalClock {
            zones,
            primary: customer.zone.primary(),
            quiet: customer.quiet_hours,
            devices: &customer.devices,
        }
    }

    fn local(&self, zone: &TimeZone, t: Timestamp) -> (u8, Time) {
        let dt = zone.to_datetime(t);
        (dt.weekday().to_monday_zero_offset() as u8, dt.time())
    }

    /// Inside one night's quiet hours ([`Self::nights`]) in any of the zones.
    pub fn is_quiet(&self, t: Timestamp) -> bool {
        self.zones
            .iter()
            .any(|z| self.nights(z, t, t).iter().any(|&(s, e)| s <= t && t < e))
    }

    /// Every zone's nights of quiet hours ([`Self::nights`]) that may touch `[from, until]`.
    pub fn quiet_nights(&self, from: Timestamp, until: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        self.zones.iter().flat_map(|z| self.nights(z, from, until)).collect()
    }

    /// Each night's quiet hours in `zone` that may touch `[from, until]`, as instants
    /// `[S, E)`: `S` is the first instant whose clock reads the start or later on that
    /// night's date (in a gap, the transition; in a fold, the first occurrence), `E` the
    /// first instant from which the clock never again reads before the end (in a gap, the
    /// transition; in a fold, the second occurrence). Empty nights are left out.
    fn nights(&self, zone: &TimeZone, from: Timestamp, until: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let QuietHours { start, end } = self.quiet;
        if start == end {
            return Vec::new();
        }
        let first = zone.to_datetime(from).date().checked_sub(2.days()).unwrap_or(Date::MIN);
        dates_from(first, add(until, 24.hours()), zone)
            .filter_map(|date| {
                let end_date = if start < end { date } else { date.tomorrow().ok()? };
                let s = first_reading(zone, date.to_datetime(start))?;
                let e = settled_past(zone, end_date.to_datetime(end))?;
                (s < e).then_some((s, e))
            })
            .collect()
    }

    /// The device (among `kinds`) and window the customer is usually active in at `t`.
    pub fn usual_device(&self, t: Timestamp, kinds: &[DeviceKind]) -> Option<(&'a Device, &'a ActiveWindow)> {
        let (day, time) = self.local(&self.primary, t);
        self.devices
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            .find_map(|d| d.active_hours.iter().find(|w| w.contains(day, time)).map(|w| (d, w)))
    }

    pub fn has_habits(&self, kinds: &[DeviceKind]) -> bool {
        self.devices
            .iter()
            .any(|d| kinds.contains(&d.kind) && !d.active_hours.is_empty())
    }

    /// Instants in `(from, until]` where a quiet-hours or usual-hours boundary falls in
    /// any zone, sorted: the only places where "allowed" or "usually active" can change.
    /// Quiet hours change only at each night's ends; a predicate on the primary zone's
    /// wall clock may also change where its clock jumps, and at both readings of a time
    /// in a fold.
    fn boundaries(&self, from: Timestamp, until: Timestamp, extra: &[Time]) -> Vec<Timestamp> {
        let mut out = Vec::new();
        for zone in &self.zones {
            out.extend(self.nights(zone, from, until).into_iter().flat_map(|(s, e)| [s, e]));
        }
        let windows: Vec<Time> = self
            .devices
            .iter()
            .flat_map(|d| d.active_hours.iter().flat_map(|w| [w.start, w.end]))
            .chain(extra.iter().copied())
            .collect();
        if !windows.is_empty() {
            let zone = &self.primary;
            let first = zone.to_datetime(from).date().yesterday().unwrap_or(Date::MIN);
            for date in dates_from(first, until, zone) {
                for &time in &windows {
                    out.extend(readings(zone, date.to_datetime(time)));
                }
            }
            out.extend(zone.following(from).map(|t| t.timestamp()).take_while(|&t| t <= until));
        }
        out.retain(|&t| t > from && t <= until);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The first instant in `[from, until]` where `ok` holds, assuming `ok` changes only at
    /// a quiet-hours or usual-hours boundary (or at a local time in `extra`).
    pub fn first_where(
        &self,
        from: Timestamp,
        until: Timestamp,
        extra: &[Time],
        ok: impl Fn(Timestamp) -> bool,
    ) -> Option<Timestamp> {
        if from > until {
            return None;
        }
        if ok(from) {
            return Some(from);
        }
        self.boundaries(from, until, extra).into_iter().find(|&t| ok(t))
    }

    /// The first instant at or after `from`, within two days, outside quiet hours everywhere.
    pub fn next_allowed(&self, from: Timestamp) -> Option<Timestamp> {
        self.first_where(from, add(from, 48.hours()), &[], |t| !self.is_quiet(t))
    }

    /// `09:00 Europe/Lisbon (Mon 23 Nov)`.
    pub fn describe(&self, t: Timestamp) -> String {
        let z = t.to_zoned(self.primary.clone());
        format!(
            "{} {} ({})",
            z.strftime("%H:%M"),
            self.primary.iana_name().unwrap_or("UTC"),
            z.strftime("%a %-d %b")
        )
    }
}

/// `t + span`, saturating at the end of time.
pub fn add(t: Timestamp, span: Span) -> Timestamp {
    t.checked_add(span).unwrap_or(Timestamp::MAX)
}

/// `t - span`, saturating at the start of time.
pub fn sub(t: Timestamp, span: Span) -> Timestamp {
    t.checked_sub(span).unwrap_or(Timestamp::MIN)
}

/// Local dates from `first` to the day after `until`'s local date in `zone`, at most 400.
fn dates_from(first: Date, until: Timestamp, zone: &TimeZone) -> impl Iterator<Item = Date> {
    let last = zone.to_datetime(until).date().tomorrow().unwrap_or(Date::MAX);
    std::iter::successors(Some(first), |d| d.tomorrow().ok())
        .take_while(move |&d| d <= last)
        .take(400)
}

/// How the clock in `zone` meets the wall time `dt`: the instants at which it reads exactly
/// `dt`, in order (two in a fold), and, when it never does, the transition that jumps over it.
/// Away from transitions jiff's `to_ambiguous_timestamp` answers; near one, the answer is
/// worked out from the zone's transitions and offsets, since jiff reports a fold where only
/// the abbreviation changes (America/Nuuk, 2023-10-28 23:00, read once).
fn meet(zone: &TimeZone, dt: DateTime) -> (Vec<Timestamp>, Option<Timestamp>) {
    let amb = zone.to_ambiguous_timestamp(dt);
    if let (AmbiguousOffset::Unambiguous { .. }, Ok(at)) = (amb.offset(), amb.earlier())
        && zone.to_datetime(at) == dt
    {
        return (vec![at], None);
    }
    let Ok(naive) = dt.to_zoned(TimeZone::UTC).map(|z| z.timestamp()) else {
        return (Vec::new(), None);
    };
    let (lo, hi) = (sub(naive, 26.hours()), add(naive, 26.hours()));
    let transitions: Vec<Timestamp> = zone
        .following(lo)
        .map(|t| t.timestamp())
        .take_while(|&t| t <= hi)
        .collect();
    let mut exact = Vec::new();
    let starts = std::iter::once(lo).chain(transitions.iter().copied());
    let ends = transitions.iter().copied().chain(std::iter::once(hi));
    for (a, b) in starts.zip(ends) {
        let at = dt
            .to_zoned(TimeZone::fixed(zone.to_offset(a)))
            .ok()
            .map(|z| z.timestamp());
        if let Some(at) = at.filter(|&at| a <= at && at < b) {
            exact.push(at);
        }
    }
    let jump = transitions
        .into_iter()
        .find(|&t| zone.to_datetime(t) > dt && zone.to_datetime(before(t)) < dt);
    (exact, jump)
}

/// The instant just before `t`.
fn before(t: Timestamp) -> Timestamp {
    t.checked_sub(1.nanosecond()).unwrap_or(t)
}

/// The first instant whose clock in `zone` reads `dt` or later: the instant itself, the
/// first of two in a fold, the transition in a gap.
fn first_reading(zone: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    let (exact, jump) = meet(zone, dt);
    exact.first().copied().or(jump)
}

/// The first instant from which the clock in `zone` never again reads before `dt`: the
/// instant itself, the transition in a gap, the second of two in a fold — or the first, when
/// `dt` is the fold's first repeated reading (the clock then never goes below it).
fn settled_past(zone: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    let (exact, jump) = meet(zone, dt);
    match exact[..] {
        [] => jump,
        [.., prev, last] if zone.to_datetime(before(last)) > dt => Some(prev),
        [.., last] => Some(last),
    }
}

/// Every instant where the clock in `zone` reads `dt`, or jumps past it: where a predicate
/// on the wall clock may change because of `dt`.
fn readings(zone: &TimeZone, dt: DateTime) -> Vec<Timestamp> {
    let (mut exact, jump) = meet(zone, dt);
    exact.extend(jump);
    exact
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Customer;
    use serde_json::json;

    fn lisbon() -> Customer {
        Customer::from_json(json!({"customer_id": "c", "time_zone": "Europe/Lisbon",
            "quiet_hours": {"start": "22:00", "end": "08:00"},
            "devices": [{"device_id": "d2", "kind": "desktop", "active_hours": ["Mon-Fri 19:00-22:00"]}]}))
        .unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn quiet_hours_are_read_in_local_time_across_a_dst_change() {
        let c = lisbon();
        let clock = LocalClock::of(&c, ts("2026-11-23T00:00:00Z"));
        // 2026-10-25: Lisbon leaves summer time at 02:00 local.
        let cases = [
            ("2026-10-24T21:30:00Z", true),  // 22:30 WEST
            ("2026-10-24T06:59:00Z", true),  // 07:59 WEST
            ("2026-10-24T07:00:00Z", false), // 08:00 WEST
            ("2026-10-25T07:59:00Z", true),  // 07:59 WET
            ("2026-10-25T08:00:00Z", false), // 08:00 WET
        ];
        for (t, quiet) in cases {
            assert_eq!(clock.is_quiet(ts(t)), quiet, "{t}");
        }
    }

    #[test]
    fn the_next_allowed_moment_is_the_end_of_quiet_hours_in_local_time() {
        let c = lisbon();
        let clock = LocalClock::of(&c, ts("2026-11-23T00:00:00Z"));
        assert_eq!(
            clock.next_allowed(ts("2026-10-24T23:00:00Z")),
            Some(ts("2026-10-25T08:00:00Z"))
        );
        assert_eq!(
            clock.next_allowed(ts("2026-03-28T23:00:00Z")),
            Some(ts("2026-03-29T07:00:00Z"))
        );
        assert_eq!(
            clock.next_allowed(ts("2026-11-23T12:00:00Z")),
            Some(ts("2026-11-23T12:00:00Z"))
        );
    }

    #[test]
    fn the_first_usual_moment_on_a_desktop_is_found_at_its_window_start() {
        let c = lisbon();
        let clock = LocalClock::of(&c, ts("2026-11-23T00:00:00Z"));
        let found = clock.first_where(ts("2026-11-23T09:00:00Z"), ts("2026-11-26T09:00:00Z"), &[], |t| {
            !clock.is_quiet(t) && clock.usual_device(t, &[DeviceKind::Desktop]).is_some()
        });
        assert_eq!(found, Some(ts("2026-11-23T19:00:00Z")));
        assert_eq!(
            clock.describe(ts("2026-11-23T19:00:00Z")),
            "19:00 Europe/Lisbon (Mon 23 Nov)"
        );
    }

    #[test]
    fn a_country_spanning_zones_is_allowed_only_when_every_zone_is_awake() {
        let c = Customer::from_json(json!({"customer_id": "c", "contacts": {"phone": "+351912345678"}})).unwrap();
        let clock = LocalClock::of(&c, ts("2026-11-23T00:00:00Z"));
        // 08:00 in Lisbon is 07:00 in the Azores (default quiet hours 21:00-08:00).
        assert!(clock.is_quiet(ts("2026-11-23T08:00:00Z")));
        assert_eq!(
            clock.next_allowed(ts("2026-11-23T08:00:00Z")),
            Some(ts("2026-11-23T09:00:00Z"))
        );
    }

    fn a_night_owl(window: &str) -> Customer {
        Customer::from_json(json!({"customer_id": "c", "time_zone": "Europe/Lisbon",
            "quiet_hours": {"start": "04:00", "end": "05:00"},
            "devices": [{"device_id": "d", "kind": "desktop", "active_hours": [window]}]}))
        .unwrap()
    }

    #[test]
    fn a_usual_window_starting_in_a_spring_gap_is_found_at_the_jump() {
        // 2026-03-29 01:00Z: 01:00 WET becomes 02:00 WEST, inside Sun 01:30-03:00.
        let c = a_night_owl("Sun 01:30-03:00");
        let clock = LocalClock::of(&c, ts("2026-03-29T00:00:00Z"));
        let found = clock.first_where(ts("2026-03-29T00:00:00Z"), ts("2026-03-30T00:00:00Z"), &[], |t| {
            clock.usual_device(t, &[DeviceKind::Desktop]).is_some()
        });
        assert_eq!(found, Some(ts("2026-03-29T01:00:00Z")));
    }

    #[test]
    fn a_usual_window_inside_a_repeated_hour_is_found_again_at_its_second_reading() {
        // 2026-10-25 01:00Z: 02:00 WEST becomes 01:00 WET; 00:50Z reads 01:50 WEST.
        let c = a_night_owl("Sun 01:30-01:45");
        let clock = LocalClock::of(&c, ts("2026-10-25T00:00:00Z"));
        let found = clock.first_where(ts("2026-10-25T00:50:00Z"), ts("2026-10-26T00:00:00Z"), &[], |t| {
            clock.usual_device(t, &[DeviceKind::Desktop]).is_some()
        });
        assert_eq!(found, Some(ts("2026-10-25T01:30:00Z")));
    }
}
