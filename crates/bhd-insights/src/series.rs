//! Evenly spaced series built from dated points: densifying, gap filling and calendar roll-ups.
//!
//! The models below need one value per step with no holes. This module turns `(date, value)`
//! points into such a series, fills the holes it finds (and says how many), and rolls days up
//! into months or 7-day blocks. It must never guess a value silently: every filled gap is counted
//! so that the evidence of an insight can report it.

use chrono::{Datelike, Days, NaiveDate};

/// A series with one slot per day from `start`; a day without a point is `NaN` until filled.
#[derive(Debug, Clone, PartialEq)]
pub struct DailySeries {
    /// The day of `values[0]`.
    pub start: NaiveDate,
    /// One value per consecutive day; `NaN` marks a day without data.
    pub values: Vec<f64>,
}

impl DailySeries {
    /// Builds the series from points in any order; a later point for the same day replaces an
    /// earlier one, and non-finite values count as missing. `None` when there is no point.
    pub fn from_points(points: &[(NaiveDate, f64)]) -> Option<Self> {
        let start = points.iter().map(|p| p.0).min()?;
        let end = points.iter().map(|p| p.0).max()?;
        let len = usize::try_from((end - start).num_days()).ok()? + 1;
        let mut values = vec![f64::NAN; len];
        for &(date, v) in points {
            let i = (date - start).num_days() as usize;
            values[i] = if v.is_finite() { v } else { f64::NAN };
        }
        Some(Self { start, values })
    }

    /// The number of days covered.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the series covers no day.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The last day covered.
    pub fn end(&self) -> NaiveDate {
        self.date_at(self.values.len().saturating_sub(1))
    }

    /// The day of slot `i`.
    pub fn date_at(&self, i: usize) -> NaiveDate {
        add_days(self.start, i as i64)
    }

    /// The slot of `date`, if the series covers it.
    pub fn index_of(&self, date: NaiveDate) -> Option<usize> {
        let i = usize::try_from((date - self.start).num_days()).ok()?;
        (i < self.values.len()).then_some(i)
    }

    /// Days without a value.
    pub fn missing(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }

    /// The part of the series from `from` to `to`, both inclusive, clipped to what it covers.
    pub fn window(&self, from: NaiveDate, to: NaiveDate) -> DailySeries {
        if self.values.is_empty() {
            return self.clone();
        }
        let from = from.max(self.start);
        let to = to.min(self.end());
        if from > to {
            return DailySeries {
                start: from,
                values: Vec::new(),
            };
        }
        let a = (from - self.start).num_days() as usize;
        let b = (to - self.start).num_days() as usize;
        DailySeries {
            start: from,
            values: self.values[a..=b].to_vec(),
        }
    }

    /// The series restricted to the days both cover, combined day by day with `f`.
    pub fn zip_with(&self, other: &DailySeries, f: impl Fn(f64, f64) -> f64) -> DailySeries {
        let from = self.start.max(other.start);
        let to = self.end().min(other.end());
        let a = self.window(from, to);
        let b = other.window(from, to);
        DailySeries {
            start: a.start,
            values: a
                .values
                .iter()
                .zip(&b.values)
                .map(|(x, y)| f(*x, *y))
                .collect(),
        }
    }

    /// The day-to-day change: slot `i` holds `values[i] − values[i − 1]`, starting the day after
    /// `start`.
    pub fn differences(&self) -> DailySeries {
        DailySeries {
            start: self.date_at(1),
            values: self.values.windows(2).map(|w| w[1] - w[0]).collect(),
        }
    }

    /// Calendar months wholly covered by the series, rolled up with `roll` (for example a sum
    /// for flows), each with the number of days it has. A month with a missing day is still
    /// rolled up from the filled series; only months cut by the ends of the series are left out.
    pub fn complete_months(&self, roll: Roll) -> Vec<Period> {
        let mut filled = self.values.clone();
        fill_gaps(&mut filled);
        let mut out = Vec::new();
        let mut i = 0;
        while i < filled.len() {
            let day = self.date_at(i);
            let first = day.with_day(1).unwrap_or(day);
            let days = days_in_month(first);
            let offset = (day - first).num_days() as usize;
            let take = (days - offset).min(filled.len() - i);
            if offset == 0 && take == days {
                out.push(Period {
                    start: first,
                    days,
                    value: roll.apply(&filled[i..i + take]),
                });
            }
            i += take;
        }
        out
    }

    /// Blocks of seven days ending on the last day (an incomplete first block is dropped).
    pub fn weeks_ending_last(&self, roll: Roll) -> Vec<Period> {
        let mut filled = self.values.clone();
        fill_gaps(&mut filled);
        let skip = filled.len() % 7;
        filled[skip..]
            .chunks_exact(7)
            .enumerate()
            .map(|(k, chunk)| Period {
                start: self.date_at(skip + 7 * k),
                days: 7,
                value: roll.apply(chunk),
            })
            .collect()
    }
}

/// How the days of a period are combined into one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roll {
    /// The total (flows such as revenue).
    Sum,
    /// The last day's value (stocks such as cash balance).
    Last,
    /// The daily mean (rates).
    Mean,
}

impl Roll {
    fn apply(self, days: &[f64]) -> f64 {
        match self {
            Roll::Sum => days.iter().sum(),
            Roll::Last => days.last().copied().unwrap_or(f64::NAN),
            Roll::Mean => days.iter().sum::<f64>() / days.len().max(1) as f64,
        }
    }
}

/// A rolled-up period: a calendar month or a block of days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    /// The first day of the period.
    pub start: NaiveDate,
    /// The number of days in it.
    pub days: usize,
    /// The rolled-up value.
    pub value: f64,
}

/// Fills `NaN` holes in place: linearly between known neighbours, and with the nearest known
/// value at either end. Returns the number of values filled; leaves an all-`NaN` slice as it is.
pub fn fill_gaps(values: &mut [f64]) -> usize {
    let known: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return 0;
    };
    let mut filled = 0;
    let head = values[first];
    for v in &mut values[..first] {
        *v = head;
        filled += 1;
    }
    let tail = values[last];
    for v in &mut values[last + 1..] {
        *v = tail;
        filled += 1;
    }
    for pair in known.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b > a + 1 {
            let (va, vb) = (values[a], values[b]);
            for (k, v) in values[a + 1..b].iter_mut().enumerate() {
                let t = (k + 1) as f64 / (b - a) as f64;
                *v = va + t * (vb - va);
                filled += 1;
            }
        }
    }
    filled
}

/// `date` moved by `n` days (saturating at the calendar's ends).
pub(crate) fn add_days(date: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        date.checked_add_days(Days::new(n as u64))
            .unwrap_or(NaiveDate::MAX)
    } else {
        date.checked_sub_days(Days::new(n.unsigned_abs()))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// The first day of the month after `first`'s month.
pub(crate) fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

fn days_in_month(first: NaiveDate) -> usize {
    (next_month(first) - first).num_days() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn gaps_are_filled_and_counted() {
        let mut v = [f64::NAN, 1.0, f64::NAN, f64::NAN, 4.0, f64::NAN];
        assert_eq!(fill_gaps(&mut v), 4);
        assert_eq!(v, [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
    }

    #[test]
    fn points_densify_by_day() {
        let s = DailySeries::from_points(&[(d(2024, 1, 3), 3.0), (d(2024, 1, 1), 1.0)]).unwrap();
        assert_eq!(s.start, d(2024, 1, 1));
        assert_eq!(s.len(), 3);
        assert_eq!(s.missing(), 1);
        assert_eq!(s.end(), d(2024, 1, 3));
    }

    #[test]
    fn only_whole_months_roll_up() {
        let points: Vec<_> = (0..70)
            .map(|i| (add_days(d(2024, 1, 15), i), 1.0))
            .collect();
        let s = DailySeries::from_points(&points).unwrap();
        let months = s.complete_months(Roll::Sum);
        assert_eq!(months.len(), 1);
        assert_eq!(months[0].start, d(2024, 2, 1));
        assert_eq!(months[0].value, 29.0);
    }
}
