//! Cash runway: when the cash balance reaches zero if the current net cash flow goes on.
//!
//! The net cash flow (money in minus money out, per day) is accumulated and forecast as one
//! series with a linear, undamped trend, the "current burn", after removing the weekly season.
//! Forecasting the accumulated flow, rather than adding up daily forecasts, gives intervals
//! that grow the way an accumulated quantity's uncertainty grows. The projection starts from
//! the last observed cash balance, so financing that does not pass through the flow (an equity
//! raise, a loan) is counted once, where it was observed.

use crate::InsightError;
use crate::forecast::{Forecast, TrendSpec, forecast_with};
use crate::series::{DailySeries, add_days, fill_gaps};
use chrono::NaiveDate;

/// Days in an average month, to turn days into months.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// How many trailing days of net cash flow the burn is estimated from.
pub const FIT_DAYS: usize = 365;

/// Whether cash is being used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunwayStatus {
    /// The projected net cash flow is zero or positive.
    NotBurning,
    /// The projected net cash flow is negative.
    Burning,
    /// The last observed balance is already zero or below.
    OutOfCash,
}

/// The projected cash path and the day it reaches zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Runway {
    /// The day of the last observed cash balance, where the projection starts.
    pub as_of: NaiveDate,
    /// The last observed cash balance.
    pub cash: f64,
    /// The projected net cash flow per average month (negative when burning).
    pub monthly_net_flow: f64,
    /// The actual net cash flow per average month over the last 90 days of flow data.
    pub recent_monthly_net_flow: f64,
    /// Whether cash is being used up.
    pub status: RunwayStatus,
    /// The first day the projected balance is zero or below, within the horizon.
    pub zero_date: Option<NaiveDate>,
    /// The first day the interval's lower end is zero or below: the pessimistic date.
    pub zero_date_earliest: Option<NaiveDate>,
    /// The first day the interval's upper end is zero or below: the optimistic date.
    pub zero_date_latest: Option<NaiveDate>,
    /// Months from `as_of` to `zero_date`.
    pub months: Option<f64>,
    /// The projected daily balance for the days after `as_of`, with its interval.
    pub projection: Forecast,
    /// The days projected.
    pub horizon_days: usize,
}

impl Runway {
    /// The day of step `h` (0-based) of the projection.
    pub fn date_at(&self, h: usize) -> NaiveDate {
        add_days(self.as_of, h as i64 + 1)
    }
}

/// Projects `cash_balance` forward `horizon_days` days from its last observed day by the
/// forecast of the accumulated daily `net_flow` (over its last year), with intervals at
/// `level`, and finds the days the projection and its interval ends reach zero.
pub fn runway(
    cash_balance: &DailySeries,
    net_flow: &DailySeries,
    level: f64,
    horizon_days: usize,
) -> Result<Runway, InsightError> {
    let last = cash_balance
        .values
        .iter()
        .rposition(|v| v.is_finite())
        .ok_or(InsightError::NotEnoughData { needed: 1, got: 0 })?;
    let as_of = cash_balance.date_at(last);
    let cash = cash_balance.values[last];

    let flow_end = net_flow.end().min(as_of);
    let flow = net_flow.window(add_days(flow_end, 1 - FIT_DAYS as i64), flow_end);
    let mut daily = flow.values.clone();
    fill_gaps(&mut daily);
    let recent = &daily[daily.len().saturating_sub(90)..];
    let recent_monthly_net_flow = if recent.is_empty() {
        f64::NAN
    } else {
        recent.iter().sum::<f64>() / recent.len() as f64 * DAYS_PER_MONTH
    };

    // The cumulative flow keeps the gaps (as NaN) so that forecast_with counts and fills them.
    let mut acc = 0.0;
    let cumulative: Vec<f64> = flow
        .values
        .iter()
        .zip(&daily)
        .map(|(raw, filled)| {
            acc += filled;
            if raw.is_finite() { acc } else { f64::NAN }
        })
        .collect();
    let base = acc;
    // Whatever days lie between the flow's end and as_of are already in the cash balance.
    let skip = (as_of - flow_end).num_days().max(0) as usize;
    let fc = accumulated_forecast(&cumulative, base, horizon_days + skip, level)?;
    let anchor = |v: &[f64]| -> Vec<f64> {
        let at_as_of = if skip == 0 { base } else { v[skip - 1] };
        v[skip..].iter().map(|x| cash + (x - at_as_of)).collect()
    };
    let point = anchor(&fc.point);
    let lower = anchor(&fc.lower);
    let upper = anchor(&fc.upper);
    let monthly_net_flow = match point.last() {
        Some(end) if horizon_days > 0 => (end - cash) / horizon_days as f64 * DAYS_PER_MONTH,
        _ => f64::NAN,
    };

    let first_at_or_below_zero = |path: &[f64]| {
        path.iter()
            .position(|v| *v <= 0.0)
            .map(|h| add_days(as_of, h as i64 + 1))
    };
    let status = if cash <= 0.0 {
        RunwayStatus::OutOfCash
    } else if monthly_net_flow < 0.0 {
        RunwayStatus::Burning
    } else {
        RunwayStatus::NotBurning
    };
    let (zero_date, zero_date_earliest, zero_date_latest) = if status == RunwayStatus::OutOfCash {
        (Some(as_of), Some(as_of), Some(as_of))
    } else {
        (
            first_at_or_below_zero(&point),
            first_at_or_below_zero(&lower),
            first_at_or_below_zero(&upper),
        )
    };
    let months = zero_date.map(|d| (d - as_of).num_days() as f64 / DAYS_PER_MONTH);
    Ok(Runway {
        as_of,
        cash,
        monthly_net_flow,
        recent_monthly_net_flow,
        status,
        zero_date,
        zero_date_earliest,
        zero_date_latest,
        months,
        projection: Forecast {
            point,
            lower,
            upper,
            level,
            seasonal_period: fc.seasonal_period,
            gaps_filled: flow.values.iter().filter(|v| !v.is_finite()).count(),
            log_scale: false,
        },
        horizon_days,
    })
}

/// Days of flow from which the burn is fit to whole weeks rather than days.
const WEEKLY_FROM_DAYS: usize = 7 * crate::forecast::MIN_OBSERVATIONS;

/// The forecast of the accumulated flow `cumulative` (ending at `base`) for the next `steps`
/// days. From ten weeks of flow on, it is fit to the running total at the end of each week
/// back from the last day and the weekly steps are joined by straight lines: a week holds
/// every weekday once, so the weekly season is gone without a decomposition, and exponential
/// smoothing fits a seventh of the points (its optimiser was most of a recalculation's time;
/// the burn is a trend over months, which weekly points show as well). A shorter flow is fit
/// day by day, with the weekly season removed by MSTL.
fn accumulated_forecast(
    cumulative: &[f64],
    base: f64,
    steps: usize,
    level: f64,
) -> Result<Forecast, InsightError> {
    if cumulative.len() < WEEKLY_FROM_DAYS {
        return forecast_with(cumulative, 7, steps, level, TrendSpec::Linear);
    }
    let mut weekly: Vec<f64> = cumulative.iter().rev().step_by(7).copied().collect();
    weekly.reverse();
    let fc = forecast_with(&weekly, 1, steps.div_ceil(7), level, TrendSpec::Linear)?;
    let daily = |w: &[f64]| -> Vec<f64> {
        (1..=steps)
            .map(|d| {
                let (week, day) = (d / 7, d % 7);
                let from = if week == 0 { base } else { w[week - 1] };
                if day == 0 {
                    from
                } else {
                    from + (w[week] - from) * day as f64 / 7.0
                }
            })
            .collect()
    };
    Ok(Forecast {
        point: daily(&fc.point),
        lower: daily(&fc.lower),
        upper: daily(&fc.upper),
        ..fc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_steps_are_joined_day_by_day_from_the_last_total() {
        // A straight line of −100 a day: the weekly fit and its daily path follow it exactly.
        let cumulative: Vec<f64> = (1..=140).map(|d| -100.0 * d as f64).collect();
        let base = cumulative[cumulative.len() - 1];
        let fc = accumulated_forecast(&cumulative, base, 10, 0.8).unwrap();
        assert_eq!(fc.point.len(), 10);
        assert_eq!(fc.seasonal_period, None);
        for (d, p) in fc.point.iter().enumerate() {
            let truth = base - 100.0 * (d + 1) as f64;
            assert!((p - truth).abs() < 1.0, "day {}: {p} vs {truth}", d + 1);
        }
        // The interval widens from nothing at the last observed total.
        assert!(fc.upper[0] - fc.lower[0] <= fc.upper[9] - fc.lower[9] + 1e-9);
    }
}
