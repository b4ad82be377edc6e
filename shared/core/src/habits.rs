//! Learned device habits: an hour-of-week histogram of sessions in the customer's local time,
//! exponentially decayed so habits follow the customer, and the usual windows it implies.

use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::windows::ActiveWindow;

pub const HOURS_PER_WEEK: usize = 168;
/// Half-life of a session's weight.
pub const HALF_LIFE_DAYS: f64 = 28.0;
/// Decayed session weight needed before habits are trusted over the profile.
pub const MIN_SESSIONS: f64 = 10.0;
/// An hour is usual when its weight is at least this share of the heaviest hour ...
pub const USUAL_SHARE: f64 = 0.3;
/// ... and at least this much weight (about two recent sessions).
pub const USUAL_MIN_WEIGHT: f64 = 1.5;
/// How many recent event ids are kept to ignore redelivered events.
pub const RECENT_EVENTS: usize = 32;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Habits {
    /// Decayed session counts per local hour of the week: index = weekday (Monday = 0) * 24 + hour. 168 entries.
    pub weights: Vec<f64>,
    /// Sessions ever recorded (not decayed), for the reasons text.
    pub sessions: u32,
    /// The instant `weights` are decayed to (the newest session recorded).
    #[schemars(with = "String")]
    pub updated_at: Timestamp,
    /// Ids of the newest events recorded (at most 32), so a redelivered event counts once.
    #[serde(default)]
    pub recent: Vec<String>,
}

/// 0.5 per half-life elapsed between `from` and `to` (1 when `to` is not later).
fn decay(from: Timestamp, to: Timestamp) -> f64 {
    let days = to.duration_since(from).as_secs_f64() / 86_400.0;
    if days <= 0.0 {
        1.0
    } else {
        0.5f64.powf(days / HALF_LIFE_DAYS)
    }
}

impl Habits {
    /// No sessions yet, decayed to `at`.
    pub fn new(at: Timestamp) -> Habits {
        Habits {
            weights: vec![0.0; HOURS_PER_WEEK],
            sessions: 0,
            updated_at: at,
            recent: Vec::new(),
        }
    }

    /// Records one session at `at`, whose local time in the customer's zone is `local`; false (and no change) when
    /// `event_id` was already recorded. A newer session decays the existing weights to `at`; an older one is added
    /// with the weight it has by `updated_at`.
    pub fn record(&mut self, event_id: &str, local: DateTime, at: Timestamp) -> bool {
        if self.recent.iter().any(|r| r == event_id) {
            return false;
        }
        if self.check().is_err() {
            // A damaged histogram is no basis to learn from: start again.
            self.weights = vec![0.0; HOURS_PER_WEEK];
        }
        let weight = if at > self.updated_at {
            let f = decay(self.updated_at, at);
            self.weights.iter_mut().for_each(|w| *w *= f);
            self.updated_at = at;
            1.0
        } else {
            decay(at, self.updated_at)
        };
        let slot = usize::from(local.weekday().to_monday_zero_offset().unsigned_abs()) * 24
            + usize::from(local.hour().unsigned_abs());
        if let Some(w) = self.weights.get_mut(slot) {
            *w += weight;
        }
        self.sessions = self.sessions.saturating_add(1);
        self.recent.push(event_id.to_owned());
        let excess = self.recent.len().saturating_sub(RECENT_EVENTS);
        self.recent.drain(..excess);
        true
    }

    /// Total decayed weight.
    pub fn total(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Checks a stored or imported value: 168 entries, every weight finite and >= 0.
    pub fn check(&self) -> Result<(), String> {
        if self.weights.len() != HOURS_PER_WEEK {
            return Err(format!(
                "weights: expected {HOURS_PER_WEEK} entries, found {}",
                self.weights.len()
            ));
        }
        match self.weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
            Some(i) => Err(format!("weights[{i}]: must be a finite number >= 0")),
            None => Ok(()),
        }
    }

    /// The weight from which an hour is usual.
    fn usual_bar(&self) -> f64 {
        let heaviest = self.weights.iter().copied().fold(0.0, f64::max);
        USUAL_MIN_WEIGHT.max(USUAL_SHARE * heaviest)
    }

    /// The usual windows, or `None` until there is the weight of `MIN_SESSIONS` sessions (or `check` fails). Runs of
    /// usual hours within a day become windows; the same run on several days becomes one window with a day mask.
    pub fn windows(&self) -> Option<Vec<ActiveWindow>> {
        if self.check().is_err() || self.total() < MIN_SESSIONS {
            return None;
        }
        let bar = self.usual_bar();
        let usual = |day: usize, hour: usize| self.weights.get(day * 24 + hour).is_some_and(|w| *w >= bar);
        // Runs of usual hours per day, as (start hour, end hour exclusive).
        let runs: Vec<Vec<(usize, usize)>> = (0..7)
            .map(|day| {
                let mut out = Vec::new();
                let mut hour = 0;
                while hour < 24 {
                    if usual(day, hour) {
                        let start = hour;
                        while hour < 24 && usual(day, hour) {
                            hour += 1;
                        }
                        out.push((start, hour));
                    } else {
                        hour += 1;
                    }
                }
                out
            })
            .collect();
        let mut windows: Vec<(u8, usize, usize)> = Vec::new();
        for (day, day_runs) in runs.iter().enumerate() {
            for &(start, end) in day_runs {
                match windows.iter_mut().find(|(_, s, e)| (*s, *e) == (start, end)) {
                    Some((mask, _, _)) => *mask |= 1 << day,
                    None => windows.push((1 << day, start, end)),
                }
            }
        }
        windows.sort_by_key(|&(mask, start, _)| (mask.trailing_zeros(), start));
        // A run to midnight ends at 00:00, which `ActiveWindow::contains` reads as "until midnight".
        let hour = |h: usize| {
            i8::try_from(h % 24)
                .ok()
                .and_then(|h| Time::new(h, 0, 0, 0).ok())
                .unwrap_or(Time::midnight())
        };
        Some(
            windows
                .into_iter()
                .map(|(days, start, end)| ActiveWindow {
                    days,
                    start: hour(start),
                    end: hour(end),
                    text: format!(
                        "{} {:02}:00-{:02}:00, learned from {} sessions",
                        day_names(days),
                        start,
                        end % 24,
                        self.sessions
                    ),
                })
                .collect(),
        )
    }
}

/// `Mon-Fri`, `Sat`, or `Mon, Wed, Sat`.
fn day_names(mask: u8) -> String {
    let days: Vec<usize> = (0..DAYS.len()).filter(|d| mask & (1 << d) != 0).collect();
    match days.as_slice() {
        [one] => DAYS[*one].to_owned(),
        [first, .., last] if last - first + 1 == days.len() => format!("{}-{}", DAYS[*first], DAYS[*last]),
        _ => days.iter().map(|d| DAYS[*d]).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::{Date, date};
    use proptest::prelude::*;

    fn time(h: i8, m: i8) -> Time {
        Time::new(h, m, 0, 0).unwrap()
    }

    /// Records a session at a civil time, the customer's zone being UTC.
    fn at(h: &mut Habits, id: &str, dt: DateTime) -> bool {
        h.record(id, dt, dt.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp())
    }

    /// Monday 2 November 2026.
    fn monday() -> Date {
        date(2026, 11, 2)
    }

    /// 30 sessions Mon–Fri at 19:xx, 20:xx and 21:xx over two weeks.
    fn evenings() -> Habits {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        let mut n = 0;
        for week in 0..2 {
            for day in 0..5 {
                for hour in [19, 20, 21] {
                    let d = monday() + (week * 7 + day).days();
                    assert!(at(&mut h, &format!("e{n}"), d.at(hour, 15, 0, 0)));
                    n += 1;
                }
            }
        }
        h
    }

    fn texts(h: &Habits) -> Vec<String> {
        h.windows().unwrap_or_default().into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn thirty_weekday_evening_sessions_learn_one_evening_window() {
        let w = evenings().windows().expect("enough sessions");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].text, "Mon-Fri 19:00-22:00, learned from 30 sessions");
        assert_eq!(w[0].days, 0b0001_1111);
        assert!(w[0].contains(1, time(20, 30)));
        assert!(!w[0].contains(1, time(22, 0)));
        assert!(!w[0].contains(5, time(20, 0)));
    }

    #[test]
    fn fewer_than_ten_sessions_learn_nothing() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        for n in 0..9 {
            at(&mut h, &format!("e{n}"), monday().at(20, n, 0, 0));
        }
        assert_eq!(h.sessions, 9);
        assert_eq!(h.windows(), None);
    }

    #[test]
    fn a_redelivered_event_changes_nothing() {
        let mut h = evenings();
        let before = h.clone();
        assert!(!at(&mut h, "e29", date(2026, 11, 20).at(9, 0, 0, 0)));
        assert_eq!(h, before);
    }

    #[test]
    fn only_the_most_recent_event_ids_are_kept() {
        let h = evenings();
        assert_eq!(h.recent.len(), 30);
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        for n in 0..40 {
            at(&mut h, &format!("e{n}"), monday().at(9, n, 0, 0));
        }
        assert_eq!(h.recent.len(), RECENT_EVENTS);
        assert_eq!(h.recent.first().map(String::as_str), Some("e8"));
        assert_eq!(h.recent.last().map(String::as_str), Some("e39"));
    }

    #[test]
    fn a_session_a_half_life_later_halves_the_older_weight() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        at(&mut h, "a", monday().at(9, 0, 0, 0));
        let later = (monday() + 28.days()).at(9, 0, 0, 0);
        at(&mut h, "b", later);
        assert!((h.weights[9] - 1.5).abs() < 1e-9, "{}", h.weights[9]);
        assert_eq!(h.updated_at, later.in_tz("UTC").unwrap().timestamp());
    }

    #[test]
    fn an_old_session_arriving_late_is_added_with_its_decayed_weight() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        at(&mut h, "new", (monday() + 56.days()).at(9, 0, 0, 0));
        let updated = h.updated_at;
        at(&mut h, "old", monday().at(9, 0, 0, 0));
        assert!((h.weights[9] - 1.25).abs() < 1e-9, "{}", h.weights[9]);
        assert_eq!(h.updated_at, updated);
        assert_eq!(h.sessions, 2);
    }

    #[test]
    fn a_stray_night_session_among_evenings_is_not_usual() {
        let mut h = evenings();
        at(&mut h, "night", date(2026, 11, 11).at(3, 0, 0, 0));
        assert!(h.weights[2 * 24 + 3] > 0.0);
        assert_eq!(texts(&h), ["Mon-Fri 19:00-22:00, learned from 31 sessions"]);
        assert!(!h.windows().unwrap().iter().any(|w| w.contains(2, time(3, 0))));
    }

    #[test]
    fn habits_follow_the_customer_to_mornings() {
        let mut h = evenings();
        // Three months later, 40 sessions Mon–Fri at 07:30 over eight weeks.
        for n in 0..40 {
            let d = date(2027, 2, 1) + (n % 5 + (n / 5) * 7).days();
            at(&mut h, &format!("m{n}"), d.at(7, 30, 0, 0));
        }
        assert_eq!(texts(&h), ["Mon-Fri 07:00-08:00, learned from 70 sessions"]);
    }

    #[test]
    fn windows_name_their_days_and_runs_as_written() {
        /// Sessions as (weekday, hour), and the expected texts.
        type Case = (&'static [(i64, i8)], &'static [&'static str]);
        let cases: [Case; 4] = [
            (&[(5, 22), (5, 23)], &["Sat 22:00-00:00, learned from 12 sessions"]),
            (
                &[(0, 8), (2, 8), (5, 8)],
                &["Mon, Wed, Sat 08:00-09:00, learned from 12 sessions"],
            ),
            (&[(5, 9), (6, 9)], &["Sat-Sun 09:00-10:00, learned from 12 sessions"]),
            (
                &[(0, 7), (0, 19), (1, 19)],
                &[
                    "Mon 07:00-08:00, learned from 12 sessions",
                    "Mon-Tue 19:00-20:00, learned from 12 sessions",
                ],
            ),
        ];
        for (slots, want) in cases {
            let mut h = Habits::new(Timestamp::UNIX_EPOCH);
            for n in 0..12 {
                let (day, hour) = slots[n % slots.len()];
                let minute = i8::try_from(n).unwrap();
                at(&mut h, &format!("s{n}"), (monday() + day.days()).at(hour, minute, 0, 0));
            }
            assert_eq!(texts(&h), want, "{slots:?}");
        }
    }

    #[test]
    fn a_run_to_midnight_ends_at_00_00_and_stops_there() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        for n in 0..12 {
            at(&mut h, &format!("s{n}"), (monday() + 5.days()).at(23, n, 0, 0));
        }
        let w = h.windows().unwrap();
        assert_eq!(w[0].text, "Sat 23:00-00:00, learned from 12 sessions");
        assert_eq!((w[0].start, w[0].end), (time(23, 0), Time::midnight()));
        assert!(w[0].contains(5, time(23, 30)));
        assert!(!w[0].contains(6, time(0, 30)));
        assert!(!w[0].contains(5, time(22, 59)));
    }

    #[test]
    fn stored_habits_round_trip_through_json() {
        let h = evenings();
        let json = serde_json::to_value(&h).unwrap();
        assert!(json["updated_at"].is_string(), "{json}");
        let back: Habits = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
        let mut old = serde_json::to_value(&h).unwrap();
        old.as_object_mut().unwrap().remove("recent");
        assert_eq!(
            serde_json::from_value::<Habits>(old).unwrap().recent,
            Vec::<String>::new()
        );
    }

    #[test]
    fn check_names_a_wrong_length_or_a_bad_weight() {
        type Damage = fn(&mut Habits);
        let cases: [(Damage, &str); 4] = [
            (|h| h.weights.truncate(3), "weights: expected 168 entries, found 3"),
            (|h| h.weights[5] = f64::NAN, "weights[5]: must be a finite number >= 0"),
            (|h| h.weights[7] = -1.0, "weights[7]: must be a finite number >= 0"),
            (
                |h| h.weights[0] = f64::INFINITY,
                "weights[0]: must be a finite number >= 0",
            ),
        ];
        assert_eq!(evenings().check(), Ok(()));
        for (damage, want) in cases {
            let mut h = evenings();
            damage(&mut h);
            assert_eq!(h.check().unwrap_err(), want);
            assert_eq!(h.windows(), None);
            assert!(at(&mut h, "after", date(2026, 12, 1).at(9, 0, 0, 0)));
            assert_eq!(h.check(), Ok(()));
        }
    }

    /// Any civil date-time jiff can represent.
    fn any_local() -> impl Strategy<Value = DateTime> {
        (
            -9999i16..=9999,
            1i8..=12,
            1i8..=28,
            0i8..24,
            0i8..60,
            0i8..60,
            0i32..1_000_000_000,
        )
            .prop_map(|(y, mo, d, h, mi, s, ns)| date(y, mo, d).at(h, mi, s, ns))
    }

    /// Any instant jiff can represent.
    fn any_instant() -> impl Strategy<Value = Timestamp> {
        (
            Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
            0i32..1_000_000_000,
        )
            .prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap_or(if s < 0 { Timestamp::MIN } else { Timestamp::MAX }))
    }

    fn hours_inside(w: &ActiveWindow) -> impl Iterator<Item = (u8, i8)> + '_ {
        (0..7u8)
            .flat_map(move |d| (0..24i8).map(move |h| (d, h)))
            .filter(|&(d, h)| w.contains(d, time(h, 0)))
    }

    proptest! {
        #[test]
        fn recording_any_session_keeps_weights_finite_and_bounded(
            start in any_instant(),
            sessions in prop::collection::vec((any_instant(), any_local(), 0u8..40), 0..40),
        ) {
            let mut h = Habits::new(start);
            for (t, local, id) in sessions {
                h.record(&format!("e{id}"), local, t);
                prop_assert!(h.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
                prop_assert!(h.total() <= f64::from(h.sessions) + 1e-9);
                prop_assert!(h.recent.len() <= RECENT_EVENTS);
            }
            let _ = h.windows();
        }

        #[test]
        fn every_hour_inside_a_learned_window_is_usual(
            sessions in prop::collection::vec((0i64..90 * 86_400, 0i64..7, 0i8..24), 10..80),
        ) {
            let mut h = Habits::new(Timestamp::UNIX_EPOCH);
            for (i, (secs, day, hour)) in sessions.iter().enumerate() {
                let t = monday().at(0, 0, 0, 0).in_tz("UTC").unwrap().timestamp() + secs.seconds();
                h.record(&format!("e{i}"), (monday() + day.days()).at(*hour, 0, 0, 0), t);
            }
            let bar = h.usual_bar();
            for w in h.windows().unwrap_or_default() {
                prop_assert!(w.days != 0 && w.days < 0x80, "{w:?}");
                prop_assert!(hours_inside(&w).count() > 0, "{w:?}");
                for (d, hour) in hours_inside(&w) {
                    prop_assert!(h.weights[usize::from(d) * 24 + usize::from(hour.unsigned_abs())] >= bar, "{w:?}");
                }
            }
        }
    }
}
