//! A deterministic demo company: years of daily metric points for `bhd demo`.
//!
//! `simulate` plays a small company day by day (a SaaS, an online shop or a services firm) and
//! emits one point per metric per day in the canonical metric types (API.md): flows are the day's
//! amount, stocks the end-of-day level, rates the day's value. The story is the same for every
//! profile so that the score, insights and alerts have something to find: growth with weekly and
//! yearly seasonality, one funding injection, one bad quarter and one large-customer loss, at
//! places that `funding`, `bad_quarter` and `large_customer_loss` name.
//!
//! The books are exact: currency is whole cents, counts are whole, and the identities documented
//! on `simulate` hold to the cent on every day, because every stock is kept as an integer and
//! moved only by the integer flows that are emitted. Floating point only shapes noise and rates,
//! and only through `+ − × ÷ √` and rounding (never `exp`, `sin` or `powf`, whose last bit may
//! differ between platforms), so the same arguments give the same points everywhere.
//!
//! This module must never perform I/O or read the clock or an unseeded random source: the start
//! date and the seed are passed in.

mod books;
mod calendar;
mod ecommerce;
mod noise;
mod saas;
mod services;
#[cfg(test)]
mod tests;

use crate::org::{Industry, text_enum};
use crate::values::ValueError;
use calendar::Day;
use chrono::{Days, NaiveDate};
use noise::Noise;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// The kind of company the demo plays.
    Profile { Saas = "saas", Ecommerce = "ecommerce", Services = "services" }
);

impl Profile {
    /// The organization's industry profile that matches this demo company.
    pub const fn industry(self) -> Industry {
        match self {
            Profile::Saas => Industry::Saas,
            Profile::Ecommerce => Industry::Ecommerce,
            Profile::Services => Industry::Services,
        }
    }
}

/// One simulated metric point: a canonical metric type, a day and an exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DemoPoint {
    /// The canonical metric type (API.md), one of `metrics(profile)`.
    pub metric: &'static str,
    /// The day the value belongs to, counted in the organization's time zone.
    pub date: NaiveDate,
    /// The value with six implied decimals (1.5 → 1_500_000): currency is whole cents, counts
    /// are whole numbers, ratios are fractions (0.0345 → 34_500).
    pub value_micros: i64,
}

/// Days played before `start` and not emitted, so that trailing windows (acquisition cost,
/// lifetime value) and balances (receivables, payables) are already settled on the first day.
const WARM_UP_DAYS: u64 = 90;

/// Length of the bad quarter, in days.
const BAD_QUARTER_DAYS: i64 = 90;

/// The metric types `simulate` emits for a profile, in the order it emits them each day.
pub fn metrics(profile: Profile) -> &'static [&'static str] {
    match profile {
        Profile::Saas => saas::METRICS,
        Profile::Ecommerce => ecommerce::METRICS,
        Profile::Services => services::METRICS,
    }
}

/// Plays `profile` for `days` days from `start` and returns one point per metric per day,
/// ordered by date and then as `metrics(profile)` lists them. Callers pass `days ≥ 1096`
/// (three years) for a realistic history; shorter ranges work but compress the story.
///
/// Identities that hold exactly on every day (cents and whole counts):
/// - `gross_profit = revenue − cost_of_goods_sold`;
///   `net_profit = revenue − cost_of_goods_sold − expenses` (expenses are the operating expenses
///   other than COGS; no interest or tax is modelled, so `ebit = net_profit`);
/// - `operating_cash_flow = net_profit − Δaccounts_receivable − Δinventory + Δcurrent_liabilities`
///   (indirect method; current liabilities are payables plus accrued payroll);
/// - `cash_balance = yesterday's cash_balance + operating_cash_flow`, plus the equity raised on
///   the one `funding` day (there is no capital spending, depreciation or debt);
/// - `current_assets = cash_balance + accounts_receivable + inventory`; `total_assets` adds
///   constant fixed assets; `total_liabilities = current_liabilities`;
///   `book_equity = total_assets − total_liabilities`;
///   `retained_earnings = yesterday's retained_earnings + net_profit`, so `book_equity −
///   retained_earnings` (paid-in capital) only moves on the funding day;
/// - `active_customers = yesterday's active_customers + new_customers − churned_customers`;
/// - saas: `mrr = yesterday's mrr + new_mrr + expansion_mrr − contraction_mrr − churned_mrr`,
///   and `deals_won = new_customers`;
/// - ecommerce: `revenue = orders × average_order_value` and `conversion_rate = orders /
///   sessions` rounded to six decimals; `visitors ≤ sessions`;
/// - services: `deals_won = new_customers`;
/// - `compliance_items_ok ≤ compliance_items_total`.
///
/// Definitions where the catalogue leaves a choice: `largest_customer_revenue_share` is the
/// largest current account's share of MRR (saas) or of monthly fees (services), and the
/// reseller's share of the last 30 days' revenue while it still buys (ecommerce);
/// `customer_acquisition_cost` is sales and marketing spend over customers won in the last 30
/// days (90 for services); `customer_lifetime_value` is monthly gross profit per customer over
/// monthly churn, both over the last 90 days; the saas `conversion_rate` is leads / sessions;
/// `pipeline_value` is the annual value of open opportunities.
pub fn simulate(profile: Profile, start: NaiveDate, days: u32, seed: u64) -> Vec<DemoPoint> {
    let names = metrics(profile);
    let timeline = Timeline::new(days);
    let mut noise = Noise::new(seed);
    let mut company: Box<dyn Company> = match profile {
        Profile::Saas => Box::new(saas::Saas::new(&mut noise)),
        Profile::Ecommerce => Box::new(ecommerce::Shop::new(&mut noise)),
        Profile::Services => Box::new(services::Agency::new(&mut noise)),
    };
    let first = start
        .checked_sub_days(Days::new(WARM_UP_DAYS))
        .unwrap_or(start);
    let warm_up = (start - first).num_days();
    // Reserve for a century at most: a bigger `days` ends at the calendar's limit anyway.
    let mut out = Vec::with_capacity(days.min(36_525) as usize * names.len());
    let mut date = first;
    for i in -warm_up..i64::from(days) {
        let day = Day::new(date, i, &timeline);
        let mut row = Row {
            out: &mut out,
            names,
            next: 0,
            date,
            keep: i >= 0,
        };
        company.step(&day, &mut noise, &mut row);
        debug_assert_eq!(row.next, names.len(), "a metric was not emitted on {date}");
        match date.succ_opt() {
            Some(d) => date = d,
            None => break,
        }
    }
    out
}

/// The bad quarter: its first and last day, both inclusive. It starts 60 % into the range and
/// lasts 90 days: new business falls, churn rises, costs rise against revenue, hiring freezes
/// and NPS drops (saas: fewer leads and wins, hosting and campaign overruns, one long outage;
/// ecommerce: a suspended ad account and delivery trouble; services: a cheaper rival and an
/// overrunning fixed-price project).
pub fn bad_quarter(start: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    let t = Timeline::new(days);
    (at(start, t.bad.0), at(start, (t.bad.1 - 1).max(t.bad.0)))
}

/// The day the largest customer leaves, 80 % into the range (after the bad quarter).
pub fn large_customer_loss(start: NaiveDate, days: u32) -> NaiveDate {
    at(start, Timeline::new(days).loss)
}

/// The day of the one funding injection, 35 % into the range, and the equity raised that day
/// in micros (it lands in `cash_balance` without passing through `operating_cash_flow`).
pub fn funding(profile: Profile, start: NaiveDate, days: u32) -> (NaiveDate, i64) {
    let cents = match profile {
        Profile::Saas => saas::FUNDING_CENTS,
        Profile::Ecommerce => ecommerce::FUNDING_CENTS,
        Profile::Services => services::FUNDING_CENTS,
    };
    (
        at(start, Timeline::new(days).funding),
        cents * MICROS_PER_CENT,
    )
}

fn at(start: NaiveDate, offset: i64) -> NaiveDate {
    start
        .checked_add_days(Days::new(offset.max(0) as u64))
        .unwrap_or(NaiveDate::MAX)
}

/// Cents in a whole number of dollars: every amount in the demo is kept in cents.
const fn usd(dollars: i64) -> i64 {
    dollars * 100
}

const MICROS_PER_CENT: i64 = 10_000;
const MICROS_PER_UNIT: i64 = 1_000_000;

/// Where the scripted events fall, as day offsets from `start`.
struct Timeline {
    /// The bad quarter, half-open.
    bad: (i64, i64),
    loss: i64,
    funding: i64,
    /// Days on which a new regulation adds compliance items.
    new_rules: [i64; 2],
}

impl Timeline {
    fn new(days: u32) -> Self {
        let days = i64::from(days);
        let bad_start = days * 3 / 5;
        Self {
            bad: (bad_start, (bad_start + BAD_QUARTER_DAYS).min(days)),
            loss: days * 4 / 5,
            funding: days * 7 / 20,
            new_rules: [days / 4, days * 3 / 4],
        }
    }
}

/// A simulated company: one call per day, emitting every metric of its profile in order.
trait Company {
    fn step(&mut self, day: &Day, noise: &mut Noise, row: &mut Row<'_>);
}

/// The points of one day, checked against the profile's metric list as they are pushed.
struct Row<'a> {
    out: &'a mut Vec<DemoPoint>,
    names: &'static [&'static str],
    next: usize,
    date: NaiveDate,
    /// False during the warm-up, whose points are played but not emitted.
    keep: bool,
}

impl Row<'_> {
    fn micros(&mut self, metric: &'static str, value_micros: i64) {
        debug_assert_eq!(self.names.get(self.next), Some(&metric), "emission order");
        self.next += 1;
        if self.keep {
            self.out.push(DemoPoint {
                metric,
                date: self.date,
                value_micros,
            });
        }
    }
    fn cents(&mut self, metric: &'static str, cents: i64) {
        self.micros(metric, cents * MICROS_PER_CENT);
    }
    fn count(&mut self, metric: &'static str, n: i64) {
        self.micros(metric, n * MICROS_PER_UNIT);
    }
    /// Hours to two decimals.
    fn hours(&mut self, metric: &'static str, hours: f64) {
        self.micros(metric, noise::round(hours * 100.0) * MICROS_PER_CENT);
    }
    /// A score to one decimal.
    fn score(&mut self, metric: &'static str, score: f64) {
        self.micros(metric, noise::round(score * 10.0) * 100_000);
    }
}

/// `num / den` rounded half away from zero; `den` must be positive.
fn div_round(num: i128, den: i128) -> i64 {
    debug_assert!(den > 0);
    let q = if num >= 0 {
        (2 * num + den) / (2 * den)
    } else {
        -((-2 * num + den) / (2 * den))
    };
    q as i64
}

/// `num / den` as a ratio in micros, 0 when there is no denominator.
fn ratio_micros(num: i64, den: i64) -> i64 {
    if den <= 0 {
        0
    } else {
        div_round(i128::from(num) * 1_000_000, i128::from(den))
    }
}
