//! Periods: days, weeks, months, quarters and years cut in the organization's time zone, their
//! comparison periods, and how a metric's points combine within one.
//!
//! A bucket boundary is the instant of a local midnight, so a New York day can last 23 or 25 hours
//! and an Asia/Kolkata day starts at 18:30 UTC. Where a local midnight does not exist (a DST change
//! at midnight, as in America/Santiago or Asia/Beirut), the boundary is the first instant after it.
//! Where it exists twice, the first one counts.
//!
//! This module must never read the clock ("now" is always passed in) and never turn an empty
//! bucket into zero: no points means no value.

use crate::metrics::{Amount, Kind, div_half_even};
use crate::org::text_enum;
use crate::values::ValueError;
use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, Months, NaiveDate, NaiveDateTime, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// The length of a bucket; weeks are ISO weeks, starting on Monday.
    Granularity {
        Day = "day",
        Week = "week",
        Month = "month",
        Quarter = "quarter",
        Year = "year",
    }
);

text_enum!(
    /// What a series is compared with: the same number of buckets just before the range, or the
    /// same buckets one calendar year earlier (see `comparison_buckets`).
    Compare { PreviousPeriod = "previous_period", PreviousYear = "previous_year" }
);

/// One period: the instants `start <= t < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Bucket {
    /// First instant in the bucket (a local midnight).
    pub start: DateTime<Utc>,
    /// First instant after the bucket (the next bucket's start).
    pub end: DateTime<Utc>,
}

impl Bucket {
    /// Whether `t` falls in this bucket.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// Most buckets one series may have, so that a request cannot ask for millions of rows.
pub const MAX_BUCKETS: usize = 10_000;

/// The calendar date at `t` in `tz`.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The instant the local day `d` starts in `tz`: its midnight, the first of two midnights when
/// clocks go back over it, or the first instant after it when clocks skip it.
pub fn local_midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    first_instant_at_or_after(d.and_time(chrono::NaiveTime::MIN), tz)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The start of the bucket of granularity `g` containing `t`, in `tz`.
pub fn bucket_start(t: DateTime<Utc>, g: Granularity, tz: Tz) -> DateTime<Utc> {
    containing(t, g, tz).map_or(DateTime::<Utc>::MIN_UTC, |d| local_midnight(d, tz))
}

/// The start of the bucket after the one containing `start` (so, for a bucket's start, its end).
pub fn next_bucket(start: DateTime<Utc>, g: Granularity, tz: Tz) -> DateTime<Utc> {
    containing(start, g, tz)
        .and_then(|d| following_date(d, g))
        .map_or(DateTime::<Utc>::MAX_UTC, |n| local_midnight(n, tz))
}

/// The first local date of the bucket holding `t`: the aligned `d` with
/// `local_midnight(d) <= t < local_midnight(next d)`. None only at the ends of the calendar.
fn containing(t: DateTime<Utc>, g: Granularity, tz: Tz) -> Option<NaiveDate> {
    let mut d = align(local_date(t, tz), g)?;
    // A clock change across midnight (or a skipped day, as in Samoa in 2011) can make the local
    // date disagree with the boundaries; stepping whole buckets keeps the invariant in any zone.
    for _ in 0..4 {
        if local_midnight(d, tz) > t {
            d = previous_date(d, g)?;
            continue;
        }
        match following_date(d, g) {
            Some(n) if local_midnight(n, tz) <= t => d = n,
            _ => return Some(d),
        }
    }
    Some(d)
}

/// The buckets covering `[from, to)`: the first contains `from`, the last contains the instant
/// just before `to`. Refused when `from >= to` or when there would be more than `MAX_BUCKETS`.
pub fn buckets(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    g: Granularity,
    tz: Tz,
) -> Result<Vec<Bucket>, ValueError> {
    if from >= to {
        return Err(ValueError("from must be before to".into()));
    }
    let mut out = Vec::new();
    let mut start = bucket_start(from, g, tz);
    while start < to {
        if out.len() == MAX_BUCKETS {
            return Err(ValueError(format!(
                "covers more than {MAX_BUCKETS} {g} buckets: choose a shorter range or a longer \
                 granularity"
            )));
        }
        let end = next_bucket(start, g, tz);
        if end <= start {
            return Err(ValueError("is outside the supported dates".into()));
        }
        out.push(Bucket { start, end });
        start = end;
    }
    Ok(out)
}

/// The buckets to compare `buckets` (of granularity `g`, from `buckets()`) with, element by
/// element, all cut in `tz`:
///
/// - `previous_period`: the same number of buckets just before the range, ending where it starts
///   (3 month buckets compare with the 3 months before them; 10 days with the 10 days before).
/// - `previous_year`: each bucket moved back one calendar year, keeping its granularity. A day
///   compares with the same date a year earlier, and February 29 with February 28 (so in a leap
///   year Feb 28 and Feb 29 both compare with the previous Feb 28). A month compares with the same
///   month, whatever their lengths (a 29-day February with a 28-day one), as do quarters and years.
///   A week compares with the week 52 weeks (364 days) earlier, so that weekdays line up.
pub fn comparison_buckets(
    buckets: &[Bucket],
    g: Granularity,
    tz: Tz,
    compare: Compare,
) -> Vec<Bucket> {
    let Some(first) = buckets.first() else {
        return Vec::new();
    };
    match compare {
        Compare::PreviousPeriod => {
            // Stepping back bucket by bucket (rather than subtracting N days or months from each
            // date) keeps the previous period contiguous and ending at the range's start even where
            // a zone skipped a whole day (Samoa, 2011-12-30).
            let mut out = Vec::with_capacity(buckets.len());
            let mut end = bucket_start(first.start, g, tz);
            for _ in buckets {
                let start = bucket_start(end - TimeDelta::nanoseconds(1), g, tz);
                out.push(Bucket { start, end });
                end = start;
            }
            out.reverse();
            out
        }
        Compare::PreviousYear => buckets
            .iter()
            .map(|b| {
                let shifted = containing(b.start, g, tz).and_then(|d| match g {
                    Granularity::Week => d.checked_sub_days(Days::new(364)),
                    // chrono clamps to the month's last day: Feb 29 becomes Feb 28.
                    _ => d.checked_sub_months(Months::new(12)),
                });
                let start = shifted.map_or(DateTime::<Utc>::MIN_UTC, |d| local_midnight(d, tz));
                Bucket {
                    start,
                    end: next_bucket(start, g, tz),
                }
            })
            .collect(),
    }
}

/// The first date of the bucket containing `d`.
fn align(d: NaiveDate, g: Granularity) -> Option<NaiveDate> {
    match g {
        Granularity::Day => Some(d),
        Granularity::Week => {
            d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))
        }
        Granularity::Month => d.with_day(1),
        Granularity::Quarter => NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1),
        Granularity::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1),
    }
}

/// The first date of the bucket after the one starting at the aligned date `d`.
fn following_date(d: NaiveDate, g: Granularity) -> Option<NaiveDate> {
    match g {
        Granularity::Day => d.checked_add_days(Days::new(1)),
        Granularity::Week => d.checked_add_days(Days::new(7)),
        Granularity::Month => d.checked_add_months(Months::new(1)),
        Granularity::Quarter => d.checked_add_months(Months::new(3)),
        Granularity::Year => d.checked_add_months(Months::new(12)),
    }
}

/// The first date of the bucket before the one starting at the aligned date `d`.
fn previous_date(d: NaiveDate, g: Granularity) -> Option<NaiveDate> {
    match g {
        Granularity::Day => d.checked_sub_days(Days::new(1)),
        Granularity::Week => d.checked_sub_days(Days::new(7)),
        Granularity::Month => d.checked_sub_months(Months::new(1)),
        Granularity::Quarter => d.checked_sub_months(Months::new(3)),
        Granularity::Year => d.checked_sub_months(Months::new(12)),
    }
}

/// The earliest instant whose local time in `tz` is `local` or, if the clocks skip `local`, the
/// instant they skip it (the first valid local time after it).
fn first_instant_at_or_after(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => return Some(t.to_utc()),
        MappedLocalTime::Ambiguous(first, _) => return Some(first.to_utc()),
        MappedLocalTime::None => {}
    }
    // In a gap. Find the first valid local minute after it (gaps are at most a day: Samoa skipped
    // 2011-12-30 whole)...
    let mut probe = local;
    let after = (0..=1500).find_map(|_| {
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
        tz.from_local_datetime(&probe).earliest()
    })?;
    // ...then the transition itself, which lies within the minute before it: historical offsets
    // have seconds (local mean time), so the skip need not be on a whole minute.
    let reached = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local() >= local;
    let (mut lo, mut hi) = (after.to_utc() - TimeDelta::minutes(1), after.to_utc());
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if reached(mid) { hi = mid } else { lo = mid }
    }
    Some(hi)
}

/// Combines the points of one bucket by the metric's kind: `flow` sums them exactly, `stock`
/// takes the value at the latest timestamp (the larger value if several share it, so the answer
/// never depends on row order), `rate` averages them (half-even to 6 places).
///
/// None for no points (an empty bucket has no value, not zero), or when a sum does not fit.
pub fn aggregate(kind: Kind, points: &[(DateTime<Utc>, Amount)]) -> Option<Amount> {
    if points.is_empty() {
        return None;
    }
    match kind {
        Kind::Flow => Amount::sum(points.iter().map(|p| p.1)),
        Kind::Stock => points.iter().max().map(|p| p.1),
        Kind::Rate => {
            let sum: i128 = points.iter().map(|p| i128::from(p.1.micros())).sum();
            let count = i128::try_from(points.len()).ok()?;
            Amount::from_micros_i128(div_half_even(sum, count))
        }
    }
}

/// A mergeable summary of a bucket's points, so that daily summaries roll up into months giving
/// exactly what the raw points would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Exact sum of the values, in micros (wide, so that merging never overflows).
    pub sum_micros: i128,
    /// Number of points.
    pub count: u64,
    /// Latest timestamp.
    pub last_at: DateTime<Utc>,
    /// The value at `last_at` (the largest of them on a tie).
    pub last: Amount,
}

impl Partial {
    /// The summary of one point.
    pub fn from_point(at: DateTime<Utc>, value: Amount) -> Self {
        Self {
            sum_micros: i128::from(value.micros()),
            count: 1,
            last_at: at,
            last: value,
        }
    }

    /// The summary of some points; None for none.
    pub fn from_points(points: &[(DateTime<Utc>, Amount)]) -> Option<Self> {
        points
            .iter()
            .map(|&(at, v)| Self::from_point(at, v))
            .reduce(Self::merge)
    }

    /// The summary of both sets of points; in any order, any grouping.
    #[must_use]
    pub fn merge(self, other: Self) -> Self {
        // Ties on the timestamp go to the larger value, as in `aggregate`, so merging commutes.
        let (last_at, last) = (self.last_at, self.last).max((other.last_at, other.last));
        Self {
            // Saturation needs 2^64 points of the largest value; it cannot happen in practice.
            sum_micros: self.sum_micros.saturating_add(other.sum_micros),
            count: self.count.saturating_add(other.count),
            last_at,
            last,
        }
    }

    /// The bucket's value for a metric of `kind`, as `aggregate` gives it; None when a sum does
    /// not fit an `Amount` (or for a hand-made summary of zero points).
    pub fn finish(&self, kind: Kind) -> Option<Amount> {
        match kind {
            Kind::Flow => Amount::from_micros_i128(self.sum_micros),
            Kind::Stock => Some(self.last),
            Kind::Rate if self.count == 0 => None,
            Kind::Rate => {
                Amount::from_micros_i128(div_half_even(self.sum_micros, i128::from(self.count)))
            }
        }
    }
}

/// The quotient of two flows' sums over the same period (a rate recomputed from its parts),
/// rounded half-even to a micro-unit; None when the denominator is zero.
pub fn ratio(numerator: &Partial, denominator: &Partial) -> Option<Amount> {
    if denominator.sum_micros == 0 {
        return None;
    }
    let scaled = numerator.sum_micros.checked_mul(1_000_000)?;
    Amount::from_micros_i128(div_half_even(scaled, denominator.sum_micros))
}

/// How a value moved from one period to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `current - previous`; None when either is missing.
    pub absolute: Option<Amount>,
    /// The change as a fraction of the previous value's magnitude (0.25 for +25 %), so that a
    /// loss shrinking from -100 to -50 reads +0.5; None when previous is missing or zero.
    pub percent: Option<Amount>,
}

/// How `current` moved from `previous`.
pub fn change(current: Option<Amount>, previous: Option<Amount>) -> Change {
    let (Some(cur), Some(prev)) = (current, previous) else {
        return Change {
            absolute: None,
            percent: None,
        };
    };
    // The difference in i128: two in-range amounts can differ by more than one holds.
    let diff = i128::from(cur.micros()) - i128::from(prev.micros());
    let percent = (!prev.is_zero())
        .then(|| div_half_even(diff * 1_000_000, i128::from(prev.micros()).abs()))
        .and_then(Amount::from_micros_i128);
    Change {
        absolute: Amount::from_micros_i128(diff),
        percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, Timelike};
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn a(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    fn hours(b: &Bucket) -> i64 {
        (b.end - b.start).num_hours()
    }

    #[test]
    fn granularity_and_compare_parse() {
        assert_eq!("week".parse::<Granularity>().unwrap(), Granularity::Week);
        assert_eq!(
            "quarter".parse::<Granularity>().unwrap(),
            Granularity::Quarter
        );
        assert!("fortnight".parse::<Granularity>().is_err());
        assert_eq!(
            "previous_year".parse::<Compare>().unwrap(),
            Compare::PreviousYear
        );
        assert_eq!(Compare::PreviousPeriod.to_string(), "previous_period");
    }

    #[test]
    fn new_york_dst_days_are_23_and_25_hours() {
        let ny = tz("America/New_York");
        let spring = buckets(
            utc("2026-03-07T12:00:00-05:00"),
            utc("2026-03-09T12:00:00-04:00"),
            Granularity::Day,
            ny,
        )
        .unwrap();
        assert_eq!(spring.len(), 3);
        assert_eq!(spring[0].start, utc("2026-03-07T05:00:00Z"));
        assert_eq!(spring.iter().map(hours).collect::<Vec<_>>(), [24, 23, 24]);
        assert_eq!(spring[1].start, utc("2026-03-08T00:00:00-05:00"));
        assert_eq!(spring[1].end, utc("2026-03-09T00:00:00-04:00"));

        let fall = buckets(
            utc("2026-11-01T00:00:00-04:00"),
            utc("2026-11-02T00:00:00-05:00"),
            Granularity::Day,
            ny,
        )
        .unwrap();
        assert_eq!(fall.len(), 1);
        assert_eq!(hours(&fall[0]), 25);
        // An instant in the repeated hour belongs to that day.
        let repeated = utc("2026-11-01T01:30:00-05:00");
        assert_eq!(bucket_start(repeated, Granularity::Day, ny), fall[0].start);
        assert_eq!(local_date(repeated, ny), date("2026-11-01"));
    }

    #[test]
    fn weeks_start_on_local_monday() {
        let ny = tz("America/New_York");
        // Thursday 2026-03-12, 23:30 in New York, already Friday in UTC.
        let t = utc("2026-03-12T23:30:00-04:00");
        let start = bucket_start(t, Granularity::Week, ny);
        assert_eq!(start, utc("2026-03-09T00:00:00-04:00"));
        assert_eq!(
            next_bucket(start, Granularity::Week, ny),
            utc("2026-03-16T00:00:00-04:00")
        );
        // The week holding the DST change is an hour short.
        let w = buckets(
            utc("2026-03-04T00:00:00Z"),
            utc("2026-03-05T00:00:00Z"),
            Granularity::Week,
            ny,
        )
        .unwrap();
        assert_eq!(w[0].start, utc("2026-03-02T00:00:00-05:00"));
        assert_eq!(hours(&w[0]), 7 * 24 - 1);
        // Weeks turn at local midnight between Sunday and Monday, not at UTC's.
        let kolkata = tz("Asia/Kolkata");
        let sunday = utc("2026-03-15T18:29:59Z"); // 23:59:59 Sunday local
        assert_eq!(
            bucket_start(sunday, Granularity::Week, kolkata),
            utc("2026-03-08T18:30:00Z")
        );
        let monday = utc("2026-03-15T18:30:00Z"); // 00:00 Monday local
        assert_eq!(bucket_start(monday, Granularity::Week, kolkata), monday);
    }

    #[test]
    fn kolkata_days_start_at_1830_utc() {
        let k = tz("Asia/Kolkata");
        let days = buckets(
            utc("2026-05-09T20:00:00Z"),
            utc("2026-05-12T00:00:00Z"),
            Granularity::Day,
            k,
        )
        .unwrap();
        assert_eq!(days.len(), 3);
        for (i, b) in days.iter().enumerate() {
            assert_eq!(b.start.time(), NaiveTime::from_hms_opt(18, 30, 0).unwrap());
            assert_eq!(hours(b), 24);
            assert_eq!(
                local_date(b.start, k),
                date("2026-05-10") + Days::new(i as u64)
            );
        }
    }

    #[test]
    fn adelaide_half_hour_offsets_with_dst() {
        let adl = tz("Australia/Adelaide");
        // +10:30 in (southern) summer, +09:30 in winter.
        assert_eq!(
            local_midnight(date("2026-01-15"), adl),
            utc("2026-01-14T13:30:00Z")
        );
        assert_eq!(
            local_midnight(date("2026-07-15"), adl),
            utc("2026-07-14T14:30:00Z")
        );
        // DST ends 2026-04-05 (25 h) and starts 2026-10-04 (23 h).
        let day = |d: &str| {
            let s = local_midnight(date(d), adl);
            hours(&Bucket {
                start: s,
                end: next_bucket(s, Granularity::Day, adl),
            })
        };
        assert_eq!(day("2026-04-05"), 25);
        assert_eq!(day("2026-10-04"), 23);
    }

    #[test]
    fn skipped_midnights_start_at_the_first_instant_after() {
        // Beirut moves from 00:00 to 01:00 on the last Sunday of March.
        let beirut = tz("Asia/Beirut");
        let start = local_midnight(date("2026-03-29"), beirut);
        assert_eq!(start, utc("2026-03-29T01:00:00+03:00"));
        assert_eq!(start, utc("2026-03-28T22:00:00Z"));
        assert_eq!(
            next_bucket(
                local_midnight(date("2026-03-28"), beirut),
                Granularity::Day,
                beirut
            ),
            start
        );
        assert_eq!(
            bucket_start(utc("2026-03-29T12:00:00+03:00"), Granularity::Day, beirut),
            start
        );

        // Santiago skips midnight on the first Sunday of September (2026-09-06).
        let santiago = tz("America/Santiago");
        let start = local_midnight(date("2026-09-06"), santiago);
        assert_eq!(start, utc("2026-09-06T01:00:00-03:00"));
        assert_eq!(start.with_timezone(&santiago).hour(), 1);
        // In April its clocks go from 23:59:59 back to 23:00 on Saturday: a 25-hour Saturday.
        let sat = local_midnight(date("2026-04-04"), santiago);
        let sun = next_bucket(sat, Granularity::Day, santiago);
        assert_eq!(sun, utc("2026-04-05T00:00:00-04:00"));
        assert_eq!(
            hours(&Bucket {
                start: sat,
                end: sun
            }),
            25
        );

        // Havana's clocks go from 00:59:59 back to 00:00 in November: the first midnight counts.
        let havana = tz("America/Havana");
        let sun = local_midnight(date("2026-11-01"), havana);
        assert_eq!(sun, utc("2026-11-01T00:00:00-04:00"));
        assert_eq!(
            bucket_start(utc("2026-11-01T00:30:00-05:00"), Granularity::Day, havana),
            sun
        );
        assert_eq!(
            hours(&Bucket {
                start: sun,
                end: next_bucket(sun, Granularity::Day, havana)
            }),
            25
        );

        // Samoa skipped 2011-12-30 entirely: the 29th ends when the 31st starts.
        let apia = tz("Pacific/Apia");
        let d29 = local_midnight(date("2011-12-29"), apia);
        let d31 = local_midnight(date("2011-12-31"), apia);
        assert_eq!(next_bucket(d29, Granularity::Day, apia), d31);
        assert_eq!(
            hours(&Bucket {
                start: d29,
                end: d31
            }),
            24
        );
        // A range over the skipped day compares with as many buckets, ending where it starts.
        let range = buckets(d29, d31 + TimeDelta::days(2), Granularity::Day, apia).unwrap();
        assert_eq!(range.len(), 3);
        let prev = comparison_buckets(&range, Granularity::Day, apia, Compare::PreviousPeriod);
        assert_eq!(prev[2].end, d29);
        assert_eq!(local_date(prev[0].start, apia), date("2011-12-26"));
    }

    #[test]
    fn months_28_and_31_days() {
        let months = buckets(
            utc("2026-01-10T00:00:00Z"),
            utc("2026-04-01T00:00:00Z"),
            Granularity::Month,
            chrono_tz::UTC,
        )
        .unwrap();
        let days: Vec<i64> = months
            .iter()
            .map(|b| (b.end - b.start).num_days())
            .collect();
        assert_eq!(days, [31, 28, 31]);
        assert_eq!(months[0].start, utc("2026-01-01T00:00:00Z"));
        // The range ends exactly at a boundary: no extra bucket.
        assert_eq!(months[2].end, utc("2026-04-01T00:00:00Z"));
        // In New York, March loses the DST hour.
        let ny = tz("America/New_York");
        let march = buckets(
            utc("2026-03-15T00:00:00Z"),
            utc("2026-03-16T00:00:00Z"),
            Granularity::Month,
            ny,
        )
        .unwrap();
        assert_eq!(hours(&march[0]), 31 * 24 - 1);
        let leap_feb = local_midnight(date("2028-02-01"), ny);
        assert_eq!(
            (next_bucket(leap_feb, Granularity::Month, ny) - leap_feb).num_days(),
            29
        );
    }

    #[test]
    fn quarter_and_year_boundaries_in_a_non_utc_zone() {
        let adl = tz("Australia/Adelaide");
        // 2026-06-30T15:00Z is already July 1 in Adelaide (+09:30): Q3.
        let t = utc("2026-06-30T15:00:00Z");
        assert_eq!(
            bucket_start(t, Granularity::Quarter, adl),
            utc("2026-06-30T14:30:00Z")
        );
        assert_eq!(
            next_bucket(utc("2026-06-30T14:30:00Z"), Granularity::Quarter, adl),
            utc("2026-09-30T14:30:00Z")
        );
        // One minute earlier it is still June: Q2, which started in summer time (+10:30).
        let q2 = bucket_start(utc("2026-06-30T14:29:00Z"), Granularity::Quarter, adl);
        assert_eq!(q2, utc("2026-03-31T13:30:00Z"));
        // Year 2027 starts on 2026-12-31 at 13:30 UTC (summer time).
        let y = buckets(
            utc("2026-12-31T13:00:00Z"),
            utc("2026-12-31T14:00:00Z"),
            Granularity::Year,
            adl,
        )
        .unwrap();
        assert_eq!(y.len(), 2);
        assert_eq!(y[0].start, utc("2025-12-31T13:30:00Z"));
        assert_eq!(y[1].start, utc("2026-12-31T13:30:00Z"));
        assert_eq!(y[1].end, utc("2027-12-31T13:30:00Z"));
        // Tokyo has no DST: quarters start at 15:00 UTC the day before.
        let tokyo = tz("Asia/Tokyo");
        let qs = buckets(
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
            Granularity::Quarter,
            tokyo,
        )
        .unwrap();
        let starts: Vec<_> = qs.iter().map(|b| b.start).collect();
        assert_eq!(
            starts,
            [
                utc("2025-12-31T15:00:00Z"),
                utc("2026-03-31T15:00:00Z"),
                utc("2026-06-30T15:00:00Z"),
                utc("2026-09-30T15:00:00Z"),
                utc("2026-12-31T15:00:00Z"),
            ]
        );
    }

    #[test]
    fn ranges_are_checked() {
        let t = utc("2026-01-01T00:00:00Z");
        assert!(buckets(t, t, Granularity::Day, chrono_tz::UTC).is_err());
        assert!(buckets(t + TimeDelta::days(1), t, Granularity::Day, chrono_tz::UTC).is_err());
        let max = t + TimeDelta::days(MAX_BUCKETS as i64);
        assert_eq!(
            buckets(t, max, Granularity::Day, chrono_tz::UTC)
                .unwrap()
                .len(),
            MAX_BUCKETS
        );
        let err = buckets(
            t,
            max + TimeDelta::seconds(1),
            Granularity::Day,
            chrono_tz::UTC,
        )
        .unwrap_err();
        assert!(err.0.contains("more than 10000"), "{err}");
        // A tiny range still yields the whole bucket around it.
        let one = buckets(
            t,
            t + TimeDelta::seconds(1),
            Granularity::Year,
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(
            one,
            [Bucket {
                start: t,
                end: utc("2027-01-01T00:00:00Z")
            }]
        );
    }

    #[test]
    fn previous_period_of_three_months() {
        let ny = tz("America/New_York");
        let cur = buckets(
            utc("2026-01-01T05:00:00Z"),
            utc("2026-04-01T04:00:00Z"),
            Granularity::Month,
            ny,
        )
        .unwrap();
        assert_eq!(cur.len(), 3);
        let prev = comparison_buckets(&cur, Granularity::Month, ny, Compare::PreviousPeriod);
        let starts: Vec<_> = prev.iter().map(|b| local_date(b.start, ny)).collect();
        assert_eq!(
            starts,
            [date("2025-10-01"), date("2025-11-01"), date("2025-12-01")]
        );
        assert_eq!(prev[0].start, utc("2025-10-01T00:00:00-04:00"));
        assert_eq!(
            prev[2].end, cur[0].start,
            "the previous period ends where the range starts"
        );
        assert!(prev.windows(2).all(|w| w[0].end == w[1].start));

        // Ten days compare with the ten days before.
        let days = buckets(
            utc("2026-03-01T00:00:00Z"),
            utc("2026-03-11T00:00:00Z"),
            Granularity::Day,
            chrono_tz::UTC,
        )
        .unwrap();
        let prev = comparison_buckets(
            &days,
            Granularity::Day,
            chrono_tz::UTC,
            Compare::PreviousPeriod,
        );
        assert_eq!(prev.len(), 10);
        assert_eq!(prev[0].start, utc("2026-02-19T00:00:00Z"));
        assert_eq!(prev[9].end, days[0].start);
    }

    #[test]
    fn previous_year_in_a_leap_year() {
        let ny = tz("America/New_York");
        let days = buckets(
            utc("2028-02-28T00:00:00-05:00"),
            utc("2028-03-02T00:00:00-05:00"),
            Granularity::Day,
            ny,
        )
        .unwrap();
        assert_eq!(days.len(), 3);
        let prev = comparison_buckets(&days, Granularity::Day, ny, Compare::PreviousYear);
        let starts: Vec<_> = prev.iter().map(|b| local_date(b.start, ny)).collect();
        // Feb 28 and Feb 29 both compare with Feb 28 of 2027 (which has no 29th).
        assert_eq!(
            starts,
            [date("2027-02-28"), date("2027-02-28"), date("2027-03-01")]
        );
        assert!(prev.iter().all(|b| hours(b) == 24));

        let months = buckets(
            utc("2028-02-10T00:00:00Z"),
            utc("2028-03-10T00:00:00Z"),
            Granularity::Month,
            ny,
        )
        .unwrap();
        let prev = comparison_buckets(&months, Granularity::Month, ny, Compare::PreviousYear);
        let lengths = |bs: &[Bucket]| {
            bs.iter()
                .map(|b| (b.end - b.start).num_days())
                .collect::<Vec<_>>()
        };
        assert_eq!(lengths(&months), [29, 30]); // March 2028 loses the DST hour: 30 days 23 h.
        assert_eq!(prev[0].start, utc("2027-02-01T00:00:00-05:00"));
        assert_eq!(lengths(&prev), [28, 30]);
        assert_eq!(local_date(prev[1].start, ny), date("2027-03-01"));

        // Weeks move back 52 weeks, still starting on Monday.
        let weeks = buckets(
            utc("2028-02-28T12:00:00Z"),
            utc("2028-03-01T00:00:00Z"),
            Granularity::Week,
            ny,
        )
        .unwrap();
        let prev = comparison_buckets(&weeks, Granularity::Week, ny, Compare::PreviousYear);
        assert_eq!(local_date(prev[0].start, ny), date("2027-03-01"));
        assert_eq!(
            local_date(prev[0].start, ny).weekday(),
            chrono::Weekday::Mon
        );
    }

    fn p(s: &str, v: &str) -> (DateTime<Utc>, Amount) {
        (utc(s), a(v))
    }

    #[test]
    fn aggregation_by_kind() {
        assert_eq!(aggregate(Kind::Flow, &[]), None);
        assert_eq!(aggregate(Kind::Stock, &[]), None);
        assert_eq!(aggregate(Kind::Rate, &[]), None);
        let points = [
            p("2026-01-03T00:00:00Z", "10.5"),
            p("2026-01-09T00:00:00Z", "2"),
            p("2026-01-01T00:00:00Z", "0.25"),
        ];
        assert_eq!(aggregate(Kind::Flow, &points), Some(a("12.75")));
        assert_eq!(aggregate(Kind::Stock, &points), Some(a("2")));
        assert_eq!(aggregate(Kind::Rate, &points), Some(a("4.25")));
        // A mean that needs rounding: 1/3.
        let thirds = [
            p("2026-01-01T00:00:00Z", "1"),
            p("2026-01-02T00:00:00Z", "0"),
            p("2026-01-03T00:00:00Z", "0"),
        ];
        assert_eq!(aggregate(Kind::Rate, &thirds), Some(a("0.333333")));
        // Stock ties on the timestamp go to the larger value.
        let tie = [
            p("2026-01-01T00:00:00Z", "5"),
            p("2026-01-01T00:00:00Z", "7"),
        ];
        assert_eq!(aggregate(Kind::Stock, &tie), Some(a("7")));
        // A zero value is a value.
        assert_eq!(
            aggregate(Kind::Flow, &[p("2026-01-01T00:00:00Z", "0")]),
            Some(Amount::ZERO)
        );
    }

    #[test]
    fn daily_partials_roll_up_into_a_month() {
        let points: Vec<_> = (1..=31)
            .flat_map(|d| {
                [
                    p(&format!("2026-01-{d:02}T08:00:00Z"), "0.1"),
                    p(&format!("2026-01-{d:02}T17:00:00Z"), &format!("{d}.000003")),
                ]
            })
            .collect();
        let daily: Vec<Partial> = points
            .chunks(2)
            .map(|c| Partial::from_points(c).unwrap())
            .collect();
        let month = daily.iter().copied().reduce(Partial::merge).unwrap();
        for kind in Kind::ALL {
            assert_eq!(month.finish(*kind), aggregate(*kind, &points), "{kind}");
        }
        assert_eq!(month.finish(Kind::Flow), Some(a("499.100093")));
        assert_eq!(month.count, 62);
        assert_eq!(Partial::from_points(&[]), None);
    }

    #[test]
    fn changes() {
        let c = change(Some(a("125")), Some(a("100")));
        assert_eq!(
            c,
            Change {
                absolute: Some(a("25")),
                percent: Some(a("0.25"))
            }
        );
        let c = change(Some(a("-50")), Some(a("-100")));
        assert_eq!(c.absolute, Some(a("50")));
        assert_eq!(c.percent, Some(a("0.5")));
        let c = change(Some(a("5")), Some(Amount::ZERO));
        assert_eq!(
            c,
            Change {
                absolute: Some(a("5")),
                percent: None
            }
        );
        assert_eq!(
            change(Some(a("5")), None),
            Change {
                absolute: None,
                percent: None
            }
        );
        assert_eq!(
            change(None, Some(a("5"))),
            Change {
                absolute: None,
                percent: None
            }
        );
        assert_eq!(
            change(Some(a("1")), Some(a("3"))).percent,
            Some(a("-0.666667"))
        );
        assert_eq!(change(Some(Amount::MAX), Some(Amount::MIN)).absolute, None);
        let json = serde_json::to_value(change(Some(a("2")), Some(a("1")))).unwrap();
        assert_eq!(json, serde_json::json!({"absolute": "1", "percent": "1"}));
    }

    const ZONES: &[&str] = &[
        "UTC",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Adelaide",
        "America/Santiago",
        "Asia/Beirut",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "Pacific/Chatham",
        "America/St_Johns",
        "Europe/London",
        "Pacific/Apia",
        "America/Havana",
        "Africa/Casablanca",
    ];

    fn granularity() -> impl Strategy<Value = Granularity> {
        prop::sample::select(Granularity::ALL.to_vec())
    }

    fn zone() -> impl Strategy<Value = Tz> {
        // The zones with odd rules half the time, any IANA zone the other half.
        prop_oneof![
            prop::sample::select(ZONES).prop_map(tz),
            prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
        ]
    }

    /// Seconds in 1900..2100 (local mean times and odd historical offsets included).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (-2_208_988_800i64..4_102_444_800).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    /// The start of the local day `d`: its midnight, or the first instant after it if skipped.
    fn starts_day(t: DateTime<Utc>, tz: Tz) -> bool {
        let local = t.with_timezone(&tz).naive_local();
        let midnight = local.date().and_time(NaiveTime::MIN);
        if local == midnight {
            return tz
                .from_local_datetime(&midnight)
                .earliest()
                .map(|e| e.to_utc())
                == Some(t);
        }
        tz.from_local_datetime(&midnight).earliest().is_none()
            && (t - TimeDelta::seconds(1)).with_timezone(&tz).naive_local() < midnight
    }

    fn aligned(d: NaiveDate, g: Granularity) -> bool {
        match g {
            Granularity::Day => true,
            Granularity::Week => d.weekday() == chrono::Weekday::Mon,
            Granularity::Month => d.day() == 1,
            Granularity::Quarter => d.day() == 1 && d.month0().is_multiple_of(3),
            Granularity::Year => d.ordinal() == 1,
        }
    }

    proptest! {
        #[test]
        fn buckets_are_contiguous_cover_the_range_and_start_at_local_midnight(
            from in instant(),
            length in 1i64..(400 * 86_400),
            g in granularity(),
            tz in zone(),
        ) {
            let to = from + TimeDelta::seconds(length);
            let bs = buckets(from, to, g, tz).unwrap();
            prop_assert!(!bs.is_empty());
            prop_assert!(bs[0].contains(from));
            prop_assert!(bs[bs.len() - 1].contains(to - TimeDelta::seconds(1)));
            for w in bs.windows(2) {
                prop_assert_eq!(w[0].end, w[1].start);
            }
            for b in &bs {
                prop_assert!(b.start < b.end);
                prop_assert!(starts_day(b.start, tz), "{:?} in {}", b, tz);
                prop_assert!(aligned(local_date(b.start, tz), g), "{:?} in {}", b, tz);
                prop_assert_eq!(bucket_start(b.start, g, tz), b.start);
                prop_assert_eq!(bucket_start(b.end - TimeDelta::seconds(1), g, tz), b.start);
            }
        }

        #[test]
        fn comparison_buckets_align_element_wise(
            from in instant(),
            length in 1i64..(200 * 86_400),
            g in granularity(),
            tz in zone(),
            compare in prop::sample::select(Compare::ALL.to_vec()),
        ) {
            let bs = buckets(from, from + TimeDelta::seconds(length), g, tz).unwrap();
            let prev = comparison_buckets(&bs, g, tz, compare);
            prop_assert_eq!(prev.len(), bs.len());
            for (b, c) in bs.iter().zip(&prev) {
                prop_assert!(c.start < c.end && c.end <= b.start);
                prop_assert_eq!(bucket_start(c.start, g, tz), c.start);
                prop_assert_eq!(next_bucket(c.start, g, tz), c.end);
            }
            if compare == Compare::PreviousPeriod {
                prop_assert_eq!(prev[prev.len() - 1].end, bs[0].start);
                for w in prev.windows(2) {
                    prop_assert_eq!(w[0].end, w[1].start);
                }
            }
        }

        #[test]
        fn merged_partials_equal_aggregating_raw_points(
            raw in proptest::collection::vec(
                (0i64..1_000_000, -1_000_000_000_000i64..1_000_000_000_000),
                1..100,
            ),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            // Few distinct timestamps, so ties happen.
            let points: Vec<(DateTime<Utc>, Amount)> = raw
                .iter()
                .map(|&(s, m)| {
                    let at = DateTime::from_timestamp(s / 1000, 0).unwrap();
                    (at, Amount::from_micros(m))
                })
                .collect();
            let mut at: Vec<usize> = cuts.iter().map(|i| i.index(points.len())).collect();
            at.push(0);
            at.push(points.len());
            at.sort_unstable();
            at.dedup();
            let parts: Vec<Partial> = at
                .windows(2)
                .filter_map(|w| Partial::from_points(&points[w[0]..w[1]]))
                .collect();
            // Merge in reverse to show that order does not matter either.
            let merged = parts.iter().rev().copied().reduce(Partial::merge).unwrap();
            prop_assert_eq!(Some(merged), Partial::from_points(&points));
            for kind in Kind::ALL {
                prop_assert_eq!(merged.finish(*kind), aggregate(*kind, &points));
            }
        }
    }
}
