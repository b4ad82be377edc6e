//! Local-time reasoning: quiet hours, usual hours and the first moment that suits, DST-correct.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};

use crate::customer::{ActiveWindow, Customer, Device, DeviceKind, QuietHours};

/// The customer's clocks: every zone that must agree on quiet hours, and the zone their
/// habits are written in.
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

    /// Inside quiet hours in any of the zones.
    pub fn is_quiet(&self, t: Timestamp) -> bool {
        self.zones.iter().any(|z| self.quiet.contains(self.local(z, t).1))
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
    fn boundaries(&self, from: Timestamp, until: Timestamp, extra: &[Time]) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut push_day = |zone: &TimeZone, date: Date, times: &mut dyn Iterator<Item = Time>| {
            for t in times {
                if let Ok(z) = date.to_datetime(t).to_zoned(zone.clone()) {
                    let ts = z.timestamp();
                    if ts > from && ts <= until {
                        out.push(ts);
                    }
                }
            }
        };
        let quiet = [self.quiet.start, self.quiet.end];
        for zone in &self.zones {
            for date in dates_between(zone, from, until) {
                push_day(zone, date, &mut quiet.iter().copied());
            }
        }
        let windows: Vec<Time> = self
            .devices
            .iter()
            .flat_map(|d| d.active_hours.iter().flat_map(|w| [w.start, w.end]))
            .chain(extra.iter().copied())
            .collect();
        if !windows.is_empty() {
            for date in dates_between(&self.primary, from, until) {
                push_day(&self.primary, date, &mut windows.iter().copied());
            }
        }
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

/// Local dates in `zone` from the day before `from` to the day after `until`.
fn dates_between(zone: &TimeZone, from: Timestamp, until: Timestamp) -> Vec<Date> {
    let first = zone.to_datetime(from).date().yesterday().unwrap_or(Date::MIN);
    let last = zone.to_datetime(until).date().tomorrow().unwrap_or(Date::MAX);
    let mut out = Vec::new();
    let mut d = first;
    while d <= last && out.len() < 400 {
        out.push(d);
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
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
}
