//! Weekly local time windows (`Mon-Fri 07:00-09:00`) and `HH:MM` times, as profiles and learned habits write them.

use jiff::civil::Time;

use crate::types::truncate;

/// A local time window on some weekdays, e.g. `Mon-Fri 19:00-22:00`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveWindow {
    /// Bit `n` set for weekday `n` (Monday = 0).
    pub days: u8,
    pub start: Time,
    pub end: Time,
    pub text: String,
}

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl ActiveWindow {
    pub fn parse(s: &str) -> Result<Self, String> {
        let err = || format!("{:?} is not a window like \"Mon-Fri 07:00-09:00\"", truncate(s, 40));
        let (days, times) = s.trim().split_once(' ').ok_or_else(err)?;
        let day = |d: &str| DAY_NAMES.iter().position(|n| n.eq_ignore_ascii_case(d.trim()));
        let mask = match days.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a).ok_or_else(err)?, day(b).ok_or_else(err)?);
                let mut m = 0u8;
                let mut d = a;
                loop {
                    m |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
                m
            }
            None => 1 << day(days).ok_or_else(err)?,
        };
        let (start, end) = times.trim().split_once('-').ok_or_else(err)?;
        let start = parse_hhmm(start).map_err(|_| err())?;
        let end = parse_hhmm(end).map_err(|_| err())?;
        if start == end {
            return Err(format!("{:?} is an empty window", truncate(s, 40)));
        }
        Ok(ActiveWindow {
            days: mask,
            start,
            end,
            text: s.trim().to_owned(),
        })
    }

    /// Whether local `weekday` (Monday = 0) and `time` fall inside; a window whose end is
    /// before its start runs past midnight into the next day.
    pub fn contains(&self, weekday: u8, time: Time) -> bool {
        if self.start < self.end {
            self.days & (1 << weekday) != 0 && time >= self.start && time < self.end
        } else {
            let prev = (weekday + 6) % 7;
            (self.days & (1 << weekday) != 0 && time >= self.start) || (self.days & (1 << prev) != 0 && time < self.end)
        }
    }
}

/// Parses `HH:MM` (24 h).
pub fn parse_hhmm(s: &str) -> Result<Time, String> {
    let s = s.trim();
    let err = || format!("{:?} is not a time like \"22:00\"", truncate(s, 20));
    let (h, m) = s.split_once(':').ok_or_else(err)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(err());
    }
    let h: i8 = h.parse().map_err(|_| err())?;
    let m: i8 = m.parse().map_err(|_| err())?;
    Time::new(h, m, 0, 0).map_err(|_| err())
}
