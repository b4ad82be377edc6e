//! Why a time string did not parse: which part is out of range, or that it is not RFC 3339.

/// The reason `s` is not a time jiff accepts: the first part out of range (`month 13 is out of
/// range (01 to 12)`), or that it is not an RFC 3339 time at all. Names only numbers, never
/// the rest of the text.
pub fn why_not_a_time(s: &str) -> String {
    match Parts::lex(s.as_bytes()) {
        Some(p) => p.out_of_range().unwrap_or_else(|| {
            "out of range: the latest time accepted is 9999-12-30T22:00:00Z and the earliest -009999-01-02T01:59:59Z"
                .to_owned()
        }),
        None => "not an RFC 3339 time".to_owned(),
    }
}

/// The numbers of an RFC 3339 shaped time, before any range check.
struct Parts {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
    /// `None` for `Z`; otherwise the sign, hours and minutes.
    offset: Option<(char, u64, u64)>,
}

impl Parts {
    /// The parts of `YYYY-MM-DDTHH:MM[:SS[.f]](Z|±HH:MM)`, or `None` if the shape differs.
    fn lex(b: &[u8]) -> Option<Parts> {
        let mut c = Cursor { b, i: 0 };
        let year = c.digits(4, 9)?;
        c.byte(b'-')?;
        let month = c.digits(2, 2)?;
        c.byte(b'-')?;
        let day = c.digits(2, 2)?;
        c.one_of(b"Tt ")?;
        let hour = c.digits(2, 2)?;
        c.byte(b':')?;
        let minute = c.digits(2, 2)?;
        let mut second = 0;
        if c.byte(b':').is_some() {
            second = c.digits(2, 2)?;
            if c.one_of(b".,").is_some() {
                c.digits(1, 9)?;
            }
        }
        let offset = match c.one_of(b"Zz+-")? {
            b'Z' | b'z' => None,
            sign => {
                let h = c.digits(2, 2)?;
                c.byte(b':')?;
                Some((sign as char, h, c.digits(2, 2)?))
            }
        };
        (c.i == b.len()).then_some(Parts {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset,
        })
    }

    /// The first part out of its range, or `None` if every part is in range.
    fn out_of_range(&self) -> Option<String> {
        let bad = |what: &str, n: u64, range: &str| Some(format!("{what} {n} is out of range ({range})"));
        if self.year > 9999 {
            return bad("year", self.year, "0000 to 9999");
        }
        if !(1..=12).contains(&self.month) {
            return bad("month", self.month, "01 to 12");
        }
        let days = days_in_month(self.year, self.month);
        if !(1..=days).contains(&self.day) {
            return Some(format!(
                "day {} is out of range ({:04}-{:02} has {days} days)",
                self.day, self.year, self.month
            ));
        }
        if self.hour > 23 {
            return bad("hour", self.hour, "00 to 23");
        }
        if self.minute > 59 {
            return bad("minute", self.minute, "00 to 59");
        }
        if self.second > 60 {
            return bad("second", self.second, "00 to 60");
        }
        match self.offset {
            Some((sign, h, m)) if h > 25 || m > 59 => {
                Some(format!("offset {sign}{h:02}:{m:02} is out of range (at most ±25:59)"))
            }
            _ => None,
        }
    }
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A position in the bytes being lexed.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// `min..=max` ASCII digits as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u64> {
        let run = self.b[self.i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run < min || run > max {
            return None;
        }
        let n = self.b[self.i..self.i + run]
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        self.i += run;
        Some(n)
    }

    fn byte(&mut self, want: u8) -> Option<()> {
        self.one_of(&[want]).map(|_| ())
    }

    fn one_of(&mut self, set: &[u8]) -> Option<u8> {
        let b = *self.b.get(self.i).filter(|b| set.contains(b))?;
        self.i += 1;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::why_not_a_time;

    #[test]
    fn each_part_out_of_range_is_named() {
        for (s, want) in [
            ("10000-01-01T00:00:00Z", "year 10000 is out of range"),
            ("2026-13-01T00:00:00Z", "month 13 is out of range"),
            ("2026-00-01T00:00:00Z", "month 0 is out of range"),
            ("2026-02-30T00:00:00Z", "day 30 is out of range (2026-02 has 28 days)"),
            ("2026-04-31T00:00:00Z", "day 31 is out of range (2026-04 has 30 days)"),
            ("2026-01-01T24:00:00Z", "hour 24 is out of range"),
            ("2026-01-01T00:60:00Z", "minute 60 is out of range"),
            ("2026-01-01T00:00:61Z", "second 61 is out of range"),
            ("2026-01-01T00:00:00+26:00", "offset +26:00 is out of range"),
            ("2026-01-01T00:00:00-01:60", "offset -01:60 is out of range"),
            ("9999-12-31T23:59:59Z", "out of range: the latest time accepted"),
            ("soon", "not an RFC 3339 time"),
            ("2026-01-01", "not an RFC 3339 time"),
        ] {
            assert!(why_not_a_time(s).contains(want), "{s}: {}", why_not_a_time(s));
        }
    }

    #[test]
    fn a_leap_day_is_in_range_in_a_leap_year_only() {
        assert!(!why_not_a_time("2028-02-29T00:00:00+25:59").contains("day"));
        assert!(why_not_a_time("2100-02-29T00:00:00Z").contains("day 29 is out of range"));
    }
}
