//! Quiet hours are wall-clock intervals on the customer's calendar, through every DST change in jiff's tz data.

use forewarn_core::customer::QuietHours;
use forewarn_core::timing::LocalClock;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(start: &str, end: &str) -> QuietHours {
    QuietHours {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
    }
}

fn clock(zones: &[&str], quiet: QuietHours) -> LocalClock<'static> {
    let zones: Vec<TimeZone> = zones.iter().map(|z| TimeZone::get(z).unwrap()).collect();
    LocalClock {
        primary: zones[0].clone(),
        zones,
        quiet,
        devices: &[],
    }
}

/// Quiet hours `start`–`end` in `zone`: whether each instant is quiet, and where quiet hours
/// that are on at `from` end.
fn check(zone: &str, start: &str, end: &str, from: &str, ends_at: &str, quiet: &[(&str, bool)]) {
    let c = clock(&[zone], hours(start, end));
    assert_eq!(
        c.next_allowed(ts(from)),
        Some(ts(ends_at)),
        "{zone} {start}-{end} from {from}"
    );
    for (t, q) in quiet {
        assert_eq!(c.is_quiet(ts(t)), *q, "{zone} {start}-{end} at {t}");
    }
}

#[test]
fn quiet_hours_ending_in_dublins_repeated_hour_end_when_the_clock_reads_the_end_for_the_last_time() {
    // 2026-10-25 01:00Z: 02:00 IST becomes 01:00 GMT; 01:00–01:59 is read twice.
    let quiet = [
        ("2026-10-24T20:59:00Z", false), // 21:59 IST
        ("2026-10-24T21:00:00Z", true),  // 22:00 IST
        ("2026-10-25T00:30:00Z", true),  // 01:30 IST: the old code let messages out here
        ("2026-10-25T00:45:00Z", true),  // 01:45 IST, with 01:00–01:29 GMT still to come
        ("2026-10-25T01:10:00Z", true),  // 01:10 GMT
        ("2026-10-25T01:29:59Z", true),  // 01:29:59 GMT
        ("2026-10-25T01:30:00Z", false), // 01:30 GMT
    ];
    check(
        "Europe/Dublin",
        "22:00",
        "01:30",
        "2026-10-24T23:00:00Z",
        "2026-10-25T01:30:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_nuuks_repeated_hour_before_midnight_end_at_the_second_reading() {
    // 2026-10-25 01:00Z: 00:00 -01 becomes 23:00 -02 on the 24th.
    let quiet = [("2026-10-25T00:30:00Z", true), ("2026-10-25T01:00:00Z", true)];
    check(
        "America/Nuuk",
        "21:00",
        "23:30",
        "2026-10-24T23:00:00Z",
        "2026-10-25T01:30:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_nuuks_spring_gap_end_when_the_clock_jumps_past_them() {
    // 2026-03-29 01:00Z: 23:00 -02 on the 28th becomes 00:00 -01; 23:30 is never read.
    let quiet = [("2026-03-29T00:59:59Z", true), ("2026-03-29T01:00:00Z", false)];
    check(
        "America/Nuuk",
        "21:00",
        "23:30",
        "2026-03-28T23:30:00Z",
        "2026-03-29T01:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_santiagos_april_repeated_hour_end_at_the_second_reading() {
    // 2026-04-05 03:00Z: 00:00 -03 becomes 23:00 -04 on the 4th.
    let quiet = [("2026-04-05T02:20:00Z", true), ("2026-04-05T03:14:00Z", true)];
    check(
        "America/Santiago",
        "20:00",
        "23:15",
        "2026-04-05T01:00:00Z",
        "2026-04-05T03:15:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_santiagos_september_gap_end_when_the_day_starts_at_one() {
    // 2026-09-06 04:00Z: 00:00 -04 becomes 01:00 -03; 00:30 is never read.
    let quiet = [("2026-09-06T03:59:00Z", true), ("2026-09-06T04:00:00Z", false)];
    check(
        "America/Santiago",
        "22:00",
        "00:30",
        "2026-09-06T02:00:00Z",
        "2026-09-06T04:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_lord_howes_half_hour_fold_end_at_the_second_reading() {
    // 2026-04-04 15:00Z: 02:00 +11 becomes 01:30 +10:30; 01:30–01:59 is read twice.
    let quiet = [("2026-04-04T14:45:00Z", true), ("2026-04-04T15:14:00Z", true)];
    check(
        "Australia/Lord_Howe",
        "22:00",
        "01:45",
        "2026-04-04T13:00:00Z",
        "2026-04-04T15:15:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_lord_howes_half_hour_gap_end_at_the_transition_not_fifteen_minutes_late() {
    // 2026-10-03 15:30Z: 02:00 +10:30 becomes 02:30 +11; 02:15 is never read.
    let quiet = [("2026-10-03T15:29:00Z", true), ("2026-10-03T15:30:00Z", false)];
    check(
        "Australia/Lord_Howe",
        "22:00",
        "02:15",
        "2026-10-03T14:00:00Z",
        "2026-10-03T15:30:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_lisbons_spring_gap_end_at_the_transition_not_thirty_minutes_late() {
    // 2026-03-29 01:00Z: 01:00 WET becomes 02:00 WEST.
    let quiet = [("2026-03-29T00:59:00Z", true), ("2026-03-29T01:00:00Z", false)];
    check(
        "Europe/Lisbon",
        "22:00",
        "01:30",
        "2026-03-28T23:00:00Z",
        "2026-03-29T01:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_in_dublins_spring_gap_end_at_the_transition() {
    // Negative DST in the data (GMT is Dublin's "winter time"), the same clocks as Lisbon's.
    check(
        "Europe/Dublin",
        "23:00",
        "01:30",
        "2026-03-29T00:30:00Z",
        "2026-03-29T01:00:00Z",
        &[],
    );
}

#[test]
fn quiet_hours_ending_in_trolls_two_hour_fold_end_at_the_second_reading() {
    // 2026-10-25 01:00Z: 03:00 +02 becomes 01:00 +00; 01:00–02:59 is read twice.
    let quiet = [("2026-10-25T00:30:00Z", true), ("2026-10-25T02:29:00Z", true)];
    check(
        "Antarctica/Troll",
        "22:00",
        "02:30",
        "2026-10-24T23:00:00Z",
        "2026-10-25T02:30:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_starting_in_a_gap_start_at_the_transition() {
    let quiet = [("2026-03-29T00:59:00Z", false), ("2026-03-29T01:00:00Z", true)];
    check(
        "Europe/Lisbon",
        "01:30",
        "07:00",
        "2026-03-29T01:00:00Z",
        "2026-03-29T06:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_starting_in_a_fold_start_at_the_first_reading_and_stay_on_while_the_clock_goes_back() {
    // 00:30Z reads 01:30 WEST; 01:00Z reads 01:00 WET, before the start, but quiet hours are on.
    let quiet = [
        ("2026-10-25T00:29:00Z", false),
        ("2026-10-25T00:30:00Z", true),
        ("2026-10-25T01:00:00Z", true),
    ];
    check(
        "Europe/Lisbon",
        "01:30",
        "07:00",
        "2026-10-25T00:30:00Z",
        "2026-10-25T07:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_ending_when_the_repeated_hour_begins_end_at_its_first_reading() {
    // Ending at 01:00 on a 02:00 → 01:00 night: from 01:00 WEST on, the clock never reads before 01:00.
    let quiet = [("2026-10-25T00:00:00Z", false), ("2026-10-25T01:00:00Z", false)];
    check(
        "Europe/Lisbon",
        "22:00",
        "01:00",
        "2026-10-24T23:30:00Z",
        "2026-10-25T00:00:00Z",
        &quiet,
    );
}

#[test]
fn a_transition_that_only_renames_the_offset_moves_no_quiet_hours() {
    // Nuuk 2023-10-29 01:00Z: -02 summer time becomes -02 standard time; jiff's
    // to_ambiguous_timestamp calls 23:00 on the 28th a fold, but the clock reads it once.
    let quiet = [("2023-10-29T00:59:00Z", false), ("2023-10-29T01:00:00Z", true)];
    check(
        "America/Nuuk",
        "23:00",
        "00:00",
        "2023-10-29T01:30:00Z",
        "2023-10-29T02:00:00Z",
        &quiet,
    );
}

#[test]
fn quiet_hours_inside_a_gap_never_happen() {
    let c = clock(&["Europe/Lisbon"], hours("01:10", "01:50"));
    assert!(!c.is_quiet(ts("2026-03-29T00:59:59Z")) && !c.is_quiet(ts("2026-03-29T01:00:00Z")));
    let (from, until) = (ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z"));
    let nights = c.quiet_nights(from, until);
    assert!(nights.iter().all(|&(s, e)| e <= from || s >= until), "{nights:?}");
}

#[test]
fn a_customer_in_two_zones_waits_for_the_later_end_across_a_fold() {
    // Lisbon's 01:30 WET is 01:30Z; Madrid (CET) reads 07:00 at 06:00Z.
    let c = clock(&["Europe/Lisbon", "Europe/Madrid"], hours("22:00", "07:00"));
    assert_eq!(
        c.next_allowed(ts("2026-10-25T00:30:00Z")),
        Some(ts("2026-10-25T07:00:00Z"))
    );
    let c = clock(&["Europe/Lisbon", "Europe/Madrid"], hours("22:00", "01:30"));
    assert_eq!(
        c.next_allowed(ts("2026-10-24T23:00:00Z")),
        Some(ts("2026-10-25T01:30:00Z"))
    );
    assert!(
        c.is_quiet(ts("2026-10-25T00:40:00Z")),
        "Madrid reads 01:40 CET, Lisbon 01:40 WEST"
    );
}

// --- Properties over every zone jiff bundles ---

fn zones() -> Vec<String> {
    let mut z: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_owned()).collect();
    z.sort();
    z
}

/// A zone (the named ones twice as likely), a transition of it near a random instant
/// of 1980–2040, and instants up to 36 hours either side of it.
#[derive(Debug, Clone)]
struct Case {
    zone: String,
    transition: Timestamp,
    quiet: QuietHours,
    instants: Vec<Timestamp>,
}

/// A quiet-hours time: any minute, or the clock reading just before or at a transition,
/// moved by up to two hours — so it often falls inside that transition's gap or fold.
#[derive(Debug, Clone)]
enum Pick {
    Any(i32),
    Near(bool, i32),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        (0..1440).prop_map(Pick::Any),
        (any::<bool>(), -120..120).prop_map(|(b, m)| Pick::Near(b, m)),
    ]
}

fn time_of(p: &Pick, zone: &TimeZone, tr: Timestamp) -> Time {
    let (base, m) = match *p {
        Pick::Any(m) => (Time::midnight(), m),
        Pick::Near(before, m) => {
            let at = if before { tr - 1.nanosecond() } else { tr };
            let t = zone.to_datetime(at).time();
            (Time::new(t.hour(), t.minute(), 0, 0).unwrap(), m)
        }
    };
    base.wrapping_add(m.minutes())
}

fn case() -> impl Strategy<Value = Case> {
    let named = [
        "Europe/Dublin",
        "America/Nuuk",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Antarctica/Troll",
    ];
    let zone = prop_oneof![
        2 => prop::sample::select(zones()),
        1 => prop::sample::select(named.map(str::to_owned).to_vec()),
    ];
    let instants = prop::collection::vec(-36 * 3600i64..36 * 3600, 12);
    (
        zone,
        315_532_800i64..2_208_988_800,
        any::<bool>(),
        pick(),
        pick(),
        instants,
    )
        .prop_filter_map("start equals end", |(name, at, forward, start, end, offsets)| {
            let zone = TimeZone::get(&name).ok()?;
            let at = Timestamp::from_second(at).ok()?;
            let near = if forward {
                zone.following(at).next()
            } else {
                zone.preceding(at).next()
            };
            let tr = near.map_or(at, |t| t.timestamp());
            let quiet = QuietHours {
                start: time_of(&start, &zone, tr),
                end: time_of(&end, &zone, tr),
            };
            let mut instants: Vec<Timestamp> = offsets.into_iter().map(|s| tr + s.seconds()).collect();
            instants.extend([tr - 1.nanosecond(), tr]);
            (quiet.start != quiet.end).then_some(Case {
                zone: name,
                transition: tr,
                quiet,
                instants,
            })
        })
}

fn reads_quiet(c: &LocalClock, t: Timestamp) -> bool {
    c.zones.iter().any(|z| c.quiet.contains(z.to_datetime(t).time()))
}

/// `time` on the date near `a` where it lies in `(a, b]`, if any.
fn read_between(a: DateTime, b: DateTime, time: Time) -> Option<DateTime> {
    let first = a.date().yesterday().unwrap_or(a.date());
    std::iter::successors(Some(first), |d| d.tomorrow().ok())
        .take_while(|&d| d <= b.date())
        .map(|d| d.to_datetime(time))
        .find(|&dt| a < dt && dt <= b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn no_instant_whose_clock_reads_quiet_hours_is_allowed(case in case(), other in prop::sample::select(zones())) {
        let one = clock(&[&case.zone], case.quiet);
        let two = clock(&[&case.zone, &other], case.quiet);
        for &t in &case.instants {
            for c in [&one, &two] {
                prop_assert!(!reads_quiet(c, t) || c.is_quiet(t), "{case:?} {other}: {t} reads quiet but is allowed");
            }
        }
    }

    #[test]
    fn the_next_allowed_instant_ends_an_unbroken_quiet_stretch(case in case(), other in prop::sample::select(zones())) {
        for (c, single) in [(clock(&[&case.zone], case.quiet), true), (clock(&[&case.zone, &other], case.quiet), false)] {
            for &t in &case.instants {
                let Some(u) = c.next_allowed(t) else {
                    // Two zones' waking minutes may never meet, and a fold can stretch a
                    // 23-hour night past two days: then every instant of those days is quiet.
                    for k in 0..16 {
                        let v = t + (k * 3).hours();
                        prop_assert!(c.is_quiet(v), "{case:?} {single}: nothing allowed after {t}, yet {v} is");
                    }
                    continue;
                };
                prop_assert!(u >= t && !c.is_quiet(u), "{case:?}: next_allowed({t}) = {u}");
                if u > t {
                    let len = (u - t).total(jiff::Unit::Nanosecond).unwrap() as i64;
                    for k in 0..8 {
                        let v = t + (len / 8 * k).nanoseconds();
                        prop_assert!(c.is_quiet(v), "{case:?}: {v} allowed before next_allowed({t}) = {u}");
                    }
                    prop_assert!(c.is_quiet(u - 1.second()) || u - 1.second() < t, "{case:?}: {u} - 1 s allowed");
                    prop_assert!(c.is_quiet(u - 1.nanosecond()), "{case:?}: {u} - 1 ns allowed");
                }
            }
        }
    }

    #[test]
    fn each_night_is_quiet_without_a_break_from_the_first_reading_of_its_start_to_the_last_of_its_end(case in case()) {
        let c = clock(&[&case.zone], case.quiet);
        let zone = &c.zones[0];
        let (from, until) = (case.transition - 36.hours(), case.transition + 36.hours());
        for (s, e) in c.quiet_nights(from, until) {
            prop_assert!(s < e);
            let local = |t: Timestamp| zone.to_datetime(t);
            let started = read_between(local(s - 1.nanosecond()), local(s), c.quiet.start);
            prop_assert!(started.is_some(), "{case:?}: {s} is not where the clock first reads the start");
            let end = read_between(local(e - 1.nanosecond()), local(e), c.quiet.end);
            prop_assert!(end.is_some(), "{case:?}: {e} is not where the clock reaches the end");
            let len = (e - s).total(jiff::Unit::Nanosecond).unwrap() as i64;
            for k in 0..10 {
                let v = s + (len / 10 * k).nanoseconds();
                prop_assert!(c.is_quiet(v), "{case:?}: {v} allowed inside the night {s}..{e}");
            }
            prop_assert!(c.is_quiet(e - 1.nanosecond()));
            // After the end the clock never again reads before it, within the night's reach.
            let end = end.unwrap();
            for k in 0..10 {
                let v = e + (k * 20).minutes();
                prop_assert!(local(v) >= end, "{case:?}: {v} reads {} after the night ended at {end}", local(v));
            }
        }
    }
}
