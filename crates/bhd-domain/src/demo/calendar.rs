//! One simulated day: its place in the calendar and in the scripted story.

use super::Timeline;
use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A day of the simulation, with everything the companies branch on.
pub(super) struct Day {
    /// Days since `start` (negative during the warm-up).
    pub offset: i64,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: usize,
    /// 0 = January … 11 = December.
    pub month: usize,
    pub day_of_month: u32,
    pub weekend: bool,
    /// Payroll accrued so far is paid out (the 15th and the last day of the month).
    pub payday: bool,
    pub black_friday: bool,
    pub cyber_monday: bool,
    /// Inside the bad quarter.
    pub bad: bool,
    /// Days since the bad quarter began (negative before it).
    pub into_bad: i64,
    /// The day the largest customer leaves.
    pub loss: bool,
    /// Equity raised today.
    pub funding: bool,
    /// A new regulation adds compliance items today.
    pub new_rule: bool,
}

impl Day {
    pub(super) fn new(date: NaiveDate, offset: i64, t: &Timeline) -> Self {
        let weekday = date.weekday().num_days_from_monday() as usize;
        let last_of_month = date.succ_opt().is_none_or(|d| d.month() != date.month());
        Self {
            offset,
            weekday,
            month: date.month0() as usize,
            day_of_month: date.day(),
            weekend: weekday >= 5,
            payday: date.day() == 15 || last_of_month,
            black_friday: thanksgiving(date.checked_sub_days(Days::new(1))),
            cyber_monday: thanksgiving(date.checked_sub_days(Days::new(4))),
            bad: (t.bad.0..t.bad.1).contains(&offset),
            into_bad: offset - t.bad.0,
            loss: offset == t.loss,
            funding: offset == t.funding,
            new_rule: t.new_rules.contains(&offset),
        }
    }

    /// `factor` inside the bad quarter, 1 elsewhere.
    pub(super) fn bad(&self, factor: f64) -> f64 {
        if self.bad { factor } else { 1.0 }
    }

    /// Christmas Eve to New Year's Day, when B2B work and buying slow down.
    pub(super) fn holidays(&self) -> bool {
        (self.month == 11 && self.day_of_month >= 24) || (self.month == 0 && self.day_of_month == 1)
    }
}

/// US Thanksgiving: the fourth Thursday of November.
fn thanksgiving(date: Option<NaiveDate>) -> bool {
    date.is_some_and(|d| {
        d.month() == 11 && d.weekday() == Weekday::Thu && (22..=28).contains(&d.day())
    })
}
