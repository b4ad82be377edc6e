//! Learned device habits: an hour-of-week histogram of sessions in the customer's local time,
//! exponentially decayed so habits follow the customer, and the usual windows it implies.

use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::customer::ActiveWindow;

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
    /// Decayed session counts per local hour of the week: index = weekday (Monday = 0) * 24 + hour.
    pub weights: Vec<f64>,
    /// Sessions ever recorded (not decayed).
    pub sessions: u32,
    /// The instant `weights` are decayed to (the newest session recorded).
    #[schemars(with = "String")]
    pub updated_at: Timestamp,
    /// Ids of the most recent events recorded, so a redelivered event counts once.
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
    pub fn new(at: Timestamp) -> Habits {
        Habits {
            weights: vec![0.0; HOURS_PER_WEEK],
            sessions: 0,
            updated_at: at,
            recent: Vec::new(),
        }
    }

    /// Records one session at `at`, seen at `local` in the customer's zone; false (and no
    /// change) when `event_id` was already recorded.
    pub fn record(&mut self, event_id: &str, local: DateTime, at: Timestamp) -> bool {
        if self.recent.iter().any(|r| r == event_id) {
            return false;
        }
        if self.weights.len() != HOURS_PER_WEEK {
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
        let slot = local.weekday().to_monday_zero_offset() as usize * 24 + local.hour() as usize;
        self.weights[slot] += weight;
        self.sessions = self.sessions.saturating_add(1);
        self.recent.push(event_id.to_owned());
        if self.recent.len() > RECENT_EVENTS {
            self.recent.remove(0);
        }
        true
    }

    pub fn total(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Checks a stored or imported value.
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

    /// The usual windows, or `None` until there is the weight of `MIN_SESSIONS` sessions.
    pub fn windows(&self) -> Option<Vec<ActiveWindow>> {
        if self.check().is_err() || self.total() < MIN_SESSIONS {
            return None;
        }
        let heaviest = self.weights.iter().copied().fold(0.0, f64::max);
        let bar = USUAL_MIN_WEIGHT.max(USUAL_SHARE * heaviest);
        let usual = |day: usize, hour: usize| self.weights[day * 24 + hour] >= bar;
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
        let hour = |h: usize| Time::new((h % 24) as i8, 0, 0, 0).unwrap_or(Time::midnight());
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
    let days: Vec<usize> = (0..7).filter(|d| mask & (1 << d) != 0).collect();
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
    use jiff::civil::date;
    use proptest::prelude::*;

    /// Records a session at a UTC civil time (the customer's zone is UTC here).
    fn at(h: &mut Habits, id: &str, dt: DateTime) -> bool {
        h.record(id, dt, dt.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp())
    }

    /// 30 sessions Mon–Fri at 19:xx, 20:xx and 21:xx over two weeks.
    fn evenings() -> Habits {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        let mut n = 0;
        for week in 0..2 {
            for day in 0..5 {
                for hour in [19, 20, 21] {
                    let d = date(2026, 11, 2) + (week * 7 + day).days();
                    assert!(at(&mut h, &format!("e{n}"), d.at(hour, 15, 0, 0)));
                    n += 1;
                }
            }
        }
        h
    }

    #[test]
    fn thirty_weekday_evening_sessions_learn_one_evening_window() {
        let w = evenings().windows().expect("enough sessions");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].text, "Mon-Fri 19:00-22:00, learned from 30 sessions");
        let t = |h, m| Time::new(h, m, 0, 0).unwrap();
        assert!(w[0].contains(1, t(20, 30)));
        assert!(!w[0].contains(1, t(22, 0)));
        assert!(!w[0].contains(5, t(20, 0)));
    }

    #[test]
    fn too_few_sessions_learn_nothing() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        for n in 0..9 {
            at(&mut h, &format!("e{n}"), date(2026, 11, 2).at(20, n, 0, 0));
        }
        assert_eq!(h.windows(), None);
    }

    #[test]
    fn a_redelivered_event_counts_once() {
        let mut h = evenings();
        let before = h.clone();
        assert!(!at(&mut h, "e3", date(2026, 11, 20).at(9, 0, 0, 0)));
        assert_eq!(h, before);
    }

    #[test]
    fn a_session_a_half_life_later_halves_the_older_weight() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        // Two Mondays 28 days apart, both at 09:00: the older counts half.
        at(&mut h, "a", date(2026, 11, 2).at(9, 0, 0, 0));
        at(&mut h, "b", date(2026, 11, 30).at(9, 0, 0, 0));
        assert!((h.weights[9] - 1.5).abs() < 1e-9, "{}", h.weights[9]);
        // An older session arriving late weighs what it would have by now.
        at(&mut h, "c", date(2026, 11, 2).at(9, 0, 0, 0));
        assert!((h.weights[9] - 2.0).abs() < 1e-9, "{}", h.weights[9]);
    }

    #[test]
    fn a_stray_night_session_is_not_a_habit() {
        let mut h = evenings();
        at(&mut h, "night", date(2026, 11, 11).at(3, 0, 0, 0));
        let w = h.windows().unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
    }

    #[test]
    fn habits_follow_the_customer() {
        let mut h = evenings();
        for n in 0..40 {
            let d = date(2027, 2, 1) + (n % 5 + (n / 5) * 7).days();
            at(&mut h, &format!("m{n}"), d.at(7, 30, 0, 0));
        }
        let w = h.windows().unwrap();
        let text: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(text, ["Mon-Fri 07:00-08:00, learned from 70 sessions"]);
    }

    #[test]
    fn a_run_to_midnight_ends_at_00_00_and_scattered_days_are_listed() {
        let mut h = Habits::new(Timestamp::UNIX_EPOCH);
        for n in 0..12 {
            let d = date(2026, 11, 7) + ((n % 2) * 7).days(); // Saturdays
            at(&mut h, &format!("s{n}"), d.at(23, n as i8, 0, 0));
        }
        let w = h.windows().unwrap();
        assert_eq!(w[0].text, "Sat 23:00-00:00, learned from 12 sessions");
        assert!(w[0].contains(5, Time::new(23, 30, 0, 0).unwrap()));
        assert_eq!(day_names(0b0010101), "Mon, Wed, Fri");
    }

    #[test]
    fn stored_habits_round_trip_and_bad_ones_are_named() {
        let h = evenings();
        let back: Habits = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
        let mut bad = h.clone();
        bad.weights.truncate(3);
        assert_eq!(bad.check().unwrap_err(), "weights: expected 168 entries, found 3");
        let mut bad = h;
        bad.weights[5] = f64::NAN;
        assert_eq!(bad.check().unwrap_err(), "weights[5]: must be a finite number >= 0");
        assert_eq!(bad.windows(), None);
    }

    proptest! {
        #[test]
        fn any_sessions_keep_weights_finite_and_windows_usual(
            sessions in prop::collection::vec((-377_705_116_800i64..253_402_207_200, 0u8..7, 0u8..24), 0..60)
        ) {
            let mut h = Habits::new(Timestamp::UNIX_EPOCH);
            for (i, (secs, day, hour)) in sessions.iter().enumerate() {
                let t = Timestamp::from_second(*secs).unwrap();
                let local = (date(2026, 11, 2) + i64::from(*day).days()).at(*hour as i8, 0, 0, 0);
                h.record(&format!("e{i}"), local, t);
            }
            prop_assert!(h.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
            prop_assert!(h.total() <= f64::from(h.sessions) + 1e-6);
            if let Some(w) = h.windows() {
                let heaviest = h.weights.iter().copied().fold(0.0, f64::max);
                let bar = USUAL_MIN_WEIGHT.max(USUAL_SHARE * heaviest);
                for win in w {
                    prop_assert!(win.days != 0);
                    for day in 0..7u8 {
                        for hour in 0..24i8 {
                            if win.contains(day, Time::new(hour, 0, 0, 0).unwrap()) && win.start < win.end {
                                prop_assert!(h.weights[day as usize * 24 + hour as usize] >= bar);
                            }
                        }
                    }
                }
            }
        }
    }
}
