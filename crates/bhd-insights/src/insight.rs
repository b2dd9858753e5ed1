//! Insights as the API serves them: forecasts, runway, anomalies and trend changes, in words.
//!
//! `insights` takes an organization's daily series by canonical metric name (API.md) and runs
//! the methods of this crate on revenue, expenses and cash. Each `Insight` carries the figures
//! it rests on in `evidence` (the period, the method, the expected range or interval), so the
//! dashboard can show why. A metric with too little history simply yields no insight of that
//! kind; nothing here fails as a whole. The clock is never read: `now` is passed in.

use crate::anomaly::{Anomaly, anomalies};
use crate::forecast::{Forecast, forecast};
use crate::runway::{FIT_DAYS, RunwayStatus, runway};
use crate::series::{DailySeries, Period, Roll, add_days, next_month};
use crate::trend::{TrendChange, TrendOptions, growth_rates, trend_changes};
use augurs::mstl::stlrs;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;

/// The canonical metric types this module reads (API.md).
pub mod names {
    /// Revenue (flow).
    pub const REVENUE: &str = "revenue";
    /// Expenses (flow); the demo company books the cost of goods sold apart from them.
    pub const EXPENSES: &str = "expenses";
    /// Cost of goods sold (flow).
    pub const COGS: &str = "cost_of_goods_sold";
    /// Operating cash flow (flow).
    pub const OPERATING_CASH_FLOW: &str = "operating_cash_flow";
    /// Net profit (flow).
    pub const NET_PROFIT: &str = "net_profit";
    /// Cash balance (stock).
    pub const CASH: &str = "cash_balance";
}

/// What an insight is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsightKind {
    /// A forecast with a prediction interval.
    Forecast,
    /// When cash runs out.
    Runway,
    /// A day far outside its expected range.
    Anomaly,
    /// A change in a growth rate.
    TrendChange,
}

impl InsightKind {
    /// The name used in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            InsightKind::Forecast => "forecast",
            InsightKind::Runway => "runway",
            InsightKind::Anomaly => "anomaly",
            InsightKind::TrendChange => "trend_change",
        }
    }
}

impl fmt::Display for InsightKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much an insight calls for attention, from `info` (good to know) to `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Good to know; nothing to do.
    Info,
    /// Worth a look.
    Low,
    /// Needs attention.
    Medium,
    /// Needs attention soon.
    High,
    /// Needs attention now.
    Critical,
}

/// One insight, in the shape of `GET /insights` (API.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// A stable key (`kind:metric:date`), so that regenerating the same insight replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the insight is about.
    pub kind: InsightKind,
    /// How much it calls for attention.
    pub severity: Severity,
    /// One line for a card.
    pub title: String,
    /// A few sentences with the figures.
    pub body: String,
    /// The figures, period, method and expected range behind the text, as a JSON object.
    pub evidence: Value,
    /// The metric types it rests on.
    pub metrics: Vec<String>,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
}

/// The settings of `insights`.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightOptions {
    /// The coverage of prediction intervals, such as 0.8.
    pub level: f64,
    /// The robust z-score beyond which a day is an anomaly.
    pub anomaly_threshold: f64,
    /// Anomalies are reported for this many days up to the last day with data.
    pub anomaly_window_days: usize,
    /// At most this many anomalies per metric, the largest first.
    pub max_anomalies_per_metric: usize,
    /// Months forecast for revenue and expenses.
    pub forecast_months: usize,
    /// Days the cash runway is projected.
    pub runway_horizon_days: usize,
    /// Days ahead the cash forecast insight reports.
    pub cash_forecast_days: usize,
    /// Trend changes this many months before the last complete month or later are reported;
    /// when there is none, the most recent change is.
    pub trend_recent_months: usize,
    /// The settings of the change-point search.
    pub trend: TrendOptions,
    /// The organization's currency (ISO 4217), used only to write amounts.
    pub currency: Option<String>,
    /// The organization's current local day; points from it on are incomplete and ignored.
    /// Defaults to `now`'s UTC day.
    pub today: Option<NaiveDate>,
}

impl Default for InsightOptions {
    fn default() -> Self {
        Self {
            level: 0.8,
            anomaly_threshold: crate::anomaly::DEFAULT_THRESHOLD,
            anomaly_window_days: 90,
            max_anomalies_per_metric: 3,
            forecast_months: 3,
            runway_horizon_days: 3 * 365 + 1,
            cash_forecast_days: 90,
            trend_recent_months: 12,
            trend: TrendOptions::default(),
            currency: None,
            today: None,
        }
    }
}

/// Days of history the anomaly search fits: a year, so that its scale reflects recent noise (and
/// the decomposition, most of an organization's recalculation time, stays short).
const ANOMALY_FIT_DAYS: usize = 365;

const ANOMALY_METHOD: &str =
    "MSTL(7) residuals scored by median and MAD; clear outliers refit at their expectation";

const RUNWAY_METHOD: &str = "ETS with an undamped additive trend on the accumulated net cash flow \
                             at the end of each week (MSTL(7) on daily totals under ten weeks), \
                             added to the last cash balance";

/// The insights for revenue, expenses and cash found in `series` (canonical metric name →
/// daily points; stocks as the day's closing value, flows as the day's total), generated at
/// `now`, most severe first.
pub fn insights(
    series: &BTreeMap<String, Vec<(NaiveDate, f64)>>,
    now: DateTime<Utc>,
    options: &InsightOptions,
) -> Vec<Insight> {
    let today = options.today.unwrap_or_else(|| now.date_naive());
    let daily = |name: &str| -> Option<DailySeries> {
        let points: Vec<(NaiveDate, f64)> = series
            .get(name)?
            .iter()
            .copied()
            .filter(|(d, _)| *d < today)
            .collect();
        DailySeries::from_points(&points)
    };
    let ctx = Ctx {
        now,
        options,
        money: Money {
            symbol: options.currency.as_deref().map(currency_symbol),
        },
    };
    let mut out = Vec::new();
    for (name, subject) in [(names::REVENUE, "Revenue"), (names::EXPENSES, "Expenses")] {
        if let Some(s) = daily(name) {
            out.extend(ctx.flow_forecast(name, subject, &s));
            out.extend(ctx.anomalies(name, subject, &s));
            out.extend(ctx.trend_changes(name, subject, &s));
        }
    }
    if let Some(cash) = daily(names::CASH) {
        let flow = net_flow(&daily, &cash);
        out.extend(ctx.runway(&cash, &flow));
        // No anomaly search on daily cash movements: they follow the calendar of the month
        // (payroll, rent, taxes), not the week, so every payday would be flagged.
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// The daily net cash flow and the metrics it was made from, best source first.
struct NetFlow {
    series: DailySeries,
    basis: &'static str,
    metrics: Vec<&'static str>,
}

fn net_flow(daily: &impl Fn(&str) -> Option<DailySeries>, cash: &DailySeries) -> NetFlow {
    if let Some(ocf) = daily(names::OPERATING_CASH_FLOW) {
        return NetFlow {
            series: ocf,
            basis: "operating_cash_flow",
            metrics: vec![names::OPERATING_CASH_FLOW],
        };
    }
    if let (Some(rev), Some(exp)) = (daily(names::REVENUE), daily(names::EXPENSES)) {
        let net = rev.zip_with(&exp, |r, e| r - e);
        return match daily(names::COGS) {
            // As in the demo company's books (net_profit = revenue − cost_of_goods_sold −
            // expenses), expenses leave out the cost of goods sold: take it off as well.
            Some(cogs) => NetFlow {
                series: net.zip_with(&cogs, |n, c| n - c),
                basis: "revenue - expenses - cost_of_goods_sold",
                metrics: vec![names::REVENUE, names::EXPENSES, names::COGS],
            },
            None => NetFlow {
                series: net,
                basis: "revenue - expenses",
                metrics: vec![names::REVENUE, names::EXPENSES],
            },
        };
    }
    if let Some(np) = daily(names::NET_PROFIT) {
        return NetFlow {
            series: np,
            basis: "net_profit",
            metrics: vec![names::NET_PROFIT],
        };
    }
    NetFlow {
        series: cash.differences(),
        basis: "daily change of cash_balance",
        metrics: vec![],
    }
}

struct Ctx<'a> {
    now: DateTime<Utc>,
    options: &'a InsightOptions,
    money: Money,
}

impl Ctx<'_> {
    fn insight(
        &self,
        kind: InsightKind,
        key: String,
        severity: Severity,
        (title, body): (String, String),
        evidence: Value,
        metrics: Vec<String>,
    ) -> Insight {
        Insight {
            id: Some(format!("{kind}:{key}")),
            kind,
            severity,
            title,
            body,
            evidence,
            metrics,
            generated_at: self.now,
        }
    }

    fn pct_level(&self) -> String {
        format!("{:.0}%", self.options.level * 100.0)
    }

    /// A forecast of the next months of a flow (or of 7-day blocks for a short history).
    fn flow_forecast(&self, name: &str, subject: &str, s: &DailySeries) -> Option<Insight> {
        let months = s.complete_months(Roll::Sum);
        let (periods, period, monthly) = if months.len() >= 12 {
            (months, 12, true)
        } else {
            (s.weeks_ending_last(Roll::Sum), 1, false)
        };
        let values: Vec<f64> = periods.iter().map(|p| p.value).collect();
        let horizon = if monthly {
            self.options.forecast_months.max(1)
        } else {
            4
        };
        let fc = forecast(&values, period, horizon, self.options.level).ok()?;
        let last = *periods.last()?;
        let labels: Vec<(String, NaiveDate, NaiveDate)> = (0..horizon)
            .map(|h| {
                if monthly {
                    let mut first = last.start;
                    for _ in 0..=h {
                        first = next_month(first);
                    }
                    let end = add_days(next_month(first), -1);
                    (first.format("%Y-%m").to_string(), first, end)
                } else {
                    let first = add_days(last.start, 7 * (h as i64 + 1));
                    let end = add_days(first, 6);
                    (format!("the week to {end}"), first, end)
                }
            })
            .collect();
        let label_last = if monthly {
            last.start.format("%Y-%m").to_string()
        } else {
            format!("the week to {}", add_days(last.start, 6))
        };
        let m = &self.money;
        // Against the same month a year before when there is one (a December peak makes any
        // January look like a fall), else against the last period.
        let (base, base_label) = if monthly {
            let year_before = periods[periods.len() - 12];
            (year_before, year_before.start.format("%Y-%m").to_string())
        } else {
            (last, label_last.clone())
        };
        let change = fc.point[0] / base.value - 1.0;
        let title = format!(
            "{subject} forecast: {} in {} ({} range {} – {})",
            m.amount(fc.point[0]),
            labels[0].0,
            self.pct_level(),
            m.amount(fc.lower[0]),
            m.amount(fc.upper[0]),
        );
        let steps: Vec<String> = (0..horizon)
            .map(|h| {
                format!(
                    "{} {} ({} – {})",
                    labels[h].0,
                    m.amount(fc.point[h]),
                    m.amount(fc.lower[h]),
                    m.amount(fc.upper[h])
                )
            })
            .collect();
        let method = describe_method(&fc, monthly);
        let body = format!(
            "Expected {}: {}. The last full {}, {}, was {}; {} was {} ({} in {}). Forecast from \
             {} {} of history{}; ranges are {} prediction intervals.",
            subject.to_lowercase(),
            steps.join(", "),
            if monthly { "month" } else { "week" },
            label_last,
            m.amount(last.value),
            base_label,
            m.amount(base.value),
            signed_pct(change),
            labels[0].0,
            periods.len(),
            if monthly { "months" } else { "weeks" },
            method,
            self.pct_level(),
        );
        // Only a falling revenue calls for attention; growing costs are judged elsewhere (their
        // anomalies and trend changes), since a growing company's costs grow too.
        let severity = match change {
            c if name == names::REVENUE && c < -0.15 => Severity::High,
            c if name == names::REVENUE && c < -0.05 => Severity::Medium,
            _ => Severity::Info,
        };
        let evidence = json!({
            "metric": name,
            "granularity": if monthly { "month" } else { "week" },
            "period": {
                "from": periods[0].start,
                "to": add_days(last.start, last.days as i64 - 1),
            },
            "history_periods": periods.len(),
            "last": { "label": label_last, "from": last.start, "value": last.value },
            "forecast": (0..horizon).map(|h| json!({
                "label": labels[h].0,
                "from": labels[h].1,
                "to": labels[h].2,
                "point": fc.point[h],
                "lower": fc.lower[h],
                "upper": fc.upper[h],
            })).collect::<Vec<_>>(),
            "compared_with": { "label": base_label, "from": base.start, "value": base.value },
            "change": change,
            "level": fc.level,
            "seasonal_period": fc.seasonal_period,
            "log_scale": fc.log_scale,
            "gaps_filled_days": s.missing(),
            "method": method_name(&fc),
        });
        Some(self.insight(
            InsightKind::Forecast,
            format!("{name}:{}", labels[0].1),
            severity,
            (title, body),
            evidence,
            vec![name.to_string()],
        ))
    }

    /// Recent anomalies of a daily flow.
    fn anomalies(&self, name: &str, subject: &str, s: &DailySeries) -> Vec<Insight> {
        let o = self.options;
        if s.is_empty() {
            return Vec::new();
        }
        let end = s.end();
        let fit = s.window(add_days(end, 1 - ANOMALY_FIT_DAYS as i64), end);
        let Ok(found) = anomalies(&fit.values, 7, o.anomaly_threshold) else {
            return Vec::new();
        };
        let from = add_days(end, 1 - o.anomaly_window_days as i64);
        let mut recent: Vec<&Anomaly> = found
            .iter()
            .filter(|a| fit.date_at(a.index) >= from)
            .collect();
        recent.sort_by(|a, b| b.robust_z.abs().total_cmp(&a.robust_z.abs()));
        recent.truncate(o.max_anomalies_per_metric);
        let good_up = name != names::EXPENSES;
        let m = &self.money;
        recent
            .into_iter()
            .map(|a| {
                let date = fit.date_at(a.index);
                let high = a.robust_z > 0.0;
                let title = format!(
                    "{subject} unusually {} on {date}",
                    if high { "high" } else { "low" }
                );
                let ratio = if a.expected > 0.0 {
                    format!(", {:.1}× the expected level", a.observed / a.expected)
                } else {
                    String::new()
                };
                let body = format!(
                    "{subject} was {} on {}, {date}, against an expected {} (normal range {} – {} \
                     for that day of the week at the current trend){ratio}; robust z-score {:.1}.",
                    m.amount(a.observed),
                    date.weekday(),
                    m.amount(a.expected),
                    m.amount(a.low),
                    m.amount(a.high),
                    a.robust_z,
                );
                let bad = high != good_up;
                let severity = match (bad, a.robust_z.abs()) {
                    (true, z) if z >= 2.0 * o.anomaly_threshold => Severity::High,
                    (true, _) => Severity::Medium,
                    (false, _) => Severity::Low,
                };
                let evidence = json!({
                    "metric": name,
                    "date": date,
                    "observed": a.observed,
                    "expected": a.expected,
                    "expected_range": { "low": a.low, "high": a.high },
                    "ratio_to_expected": (a.expected > 0.0).then(|| a.observed / a.expected),
                    "robust_z": a.robust_z,
                    "threshold": o.anomaly_threshold,
                    "period": { "from": fit.start, "to": end },
                    "window": { "from": from.max(fit.start), "to": end },
                    "seasonal_period": 7,
                    "method": ANOMALY_METHOD,
                });
                self.insight(
                    InsightKind::Anomaly,
                    format!("{name}:{date}"),
                    severity,
                    (title, body),
                    evidence,
                    vec![name.to_string()],
                )
            })
            .collect()
    }

    /// Changes in the monthly growth of a flow.
    fn trend_changes(&self, name: &str, subject: &str, s: &DailySeries) -> Vec<Insight> {
        // The daily average of each month, adjusted for the days of the week it holds: a month
        // with five weekends is not a slowdown.
        let months = weekday_adjusted(s).complete_months(Roll::Mean);
        let Some(growth) = monthly_growth(&months) else {
            return Vec::new();
        };
        let changes = trend_changes(&growth.rates, &self.options.trend);
        let Some(latest) = changes.last() else {
            return Vec::new();
        };
        // growth.rates[i] is the growth into months[i + 1].
        let month_of = |c: &TrendChange| months[c.index + 1].start;
        let last_month = months[months.len() - 1].start;
        let cutoff = (0..self.options.trend_recent_months)
            .fold(last_month, |d, _| add_days(d, -1).with_day(1).unwrap_or(d));
        let mut report: Vec<&TrendChange> =
            changes.iter().filter(|c| month_of(c) >= cutoff).collect();
        if report.is_empty() {
            report.push(latest);
        }
        let good_up = name != names::EXPENSES;
        report
            .into_iter()
            .map(|c| {
                let month = month_of(c);
                let ym = month.format("%Y-%m");
                let faster = c.growth_after > c.growth_before;
                let verb = match (faster, c.growth_after < 0.0, c.growth_before < 0.0) {
                    (false, true, false) => "turned negative",
                    (true, false, true) => "turned positive",
                    (false, _, _) => "slowed",
                    (true, _, _) => "accelerated",
                };
                let title = format!(
                    "{subject} growth {verb} from {} to {} a month around {ym}",
                    signed_pct(c.growth_before),
                    signed_pct(c.growth_after),
                );
                let first = months[c.index + 1 - c.steps_before].start;
                let body = format!(
                    "Month-over-month growth of {} ({}) averaged {} over the {} months to {} \
                     and {} over the {} months from {ym}. Change point found by Bayesian \
                     online change-point detection on the standardised growth rates.",
                    subject.to_lowercase(),
                    if growth.adjusted {
                        "daily average adjusted for the weekday mix and the season"
                    } else {
                        "daily average adjusted for the weekday mix"
                    },
                    signed_pct(c.growth_before),
                    c.steps_before,
                    add_days(month, -1).format("%Y-%m"),
                    signed_pct(c.growth_after),
                    c.steps_after,
                );
                let bad = faster != good_up;
                let severity = match (bad, good_up, c.growth_after) {
                    (true, true, g) if g < 0.0 => Severity::High,
                    (true, _, _) => Severity::Medium,
                    (false, _, _) => Severity::Info,
                };
                let evidence = json!({
                    "metric": name,
                    "month": ym.to_string(),
                    "growth_before": c.growth_before,
                    "growth_after": c.growth_after,
                    "months_before": c.steps_before,
                    "months_after": c.steps_after,
                    "segment_before": { "from": first, "to": add_days(month, -1) },
                    "period": {
                        "from": months[0].start,
                        "to": add_days(next_month(last_month), -1),
                    },
                    "seasonally_adjusted": growth.adjusted,
                    "hazard_lambda": self.options.trend.hazard_lambda,
                    "method": "BOCPD (Normal-Gamma prior) on z-scored month-over-month growth",
                });
                self.insight(
                    InsightKind::TrendChange,
                    format!("{name}:{ym}"),
                    severity,
                    (title, body),
                    evidence,
                    vec![name.to_string()],
                )
            })
            .collect()
    }

    /// The cash forecast and the runway.
    fn runway(&self, cash: &DailySeries, flow: &NetFlow) -> Vec<Insight> {
        let o = self.options;
        let horizon = o.runway_horizon_days.max(o.cash_forecast_days).max(1);
        let Ok(r) = runway(cash, &flow.series, o.level, horizon) else {
            return Vec::new();
        };
        let mut metrics = vec![names::CASH.to_string()];
        metrics.extend(flow.metrics.iter().map(|m| m.to_string()));
        let m = &self.money;
        let lvl = self.pct_level();
        let flow_from =
            add_days(r.as_of.min(flow.series.end()), 1 - FIT_DAYS as i64).max(flow.series.start);
        let base = json!({
            "metric": names::CASH,
            "as_of": r.as_of,
            "cash": r.cash,
            "flow_basis": flow.basis,
            "flow_period": { "from": flow_from, "to": flow.series.end().min(r.as_of) },
            "monthly_net_flow": r.monthly_net_flow,
            "recent_monthly_net_flow_90d": r.recent_monthly_net_flow,
            "level": r.projection.level,
            "method": RUNWAY_METHOD,
        });

        let mut out = Vec::new();
        // The cash forecast.
        let h = o.cash_forecast_days.clamp(1, horizon) - 1;
        let at = r.date_at(h);
        let (p, lo, hi) = (
            r.projection.point[h],
            r.projection.lower[h],
            r.projection.upper[h],
        );
        let mut ev = base.clone();
        ev["forecast"] = json!(
            [30, 90, 180, 365]
                .iter()
                .filter(|d| **d <= horizon)
                .map(|d| json!({
                    "date": r.date_at(d - 1),
                    "point": r.projection.point[d - 1],
                    "lower": r.projection.lower[d - 1],
                    "upper": r.projection.upper[d - 1],
                }))
                .collect::<Vec<_>>()
        );
        let title = format!(
            "Cash forecast: {} by {at} ({lvl} range {} – {})",
            m.amount(p),
            m.amount(lo),
            m.amount(hi)
        );
        let body = format!(
            "From {} on {}, with a net cash flow of {} a month ({}), cash is projected at {} on \
             {at} ({lvl} range {} – {}).",
            m.amount(r.cash),
            r.as_of,
            m.signed(r.monthly_net_flow),
            flow.basis,
            m.amount(p),
            m.amount(lo),
            m.amount(hi),
        );
        out.push(self.insight(
            InsightKind::Forecast,
            format!("{}:{at}", names::CASH),
            Severity::Info,
            (title, body),
            ev,
            metrics.clone(),
        ));

        // The runway.
        let month = |d: NaiveDate| d.format("%Y-%m").to_string();
        let horizon_end = r.date_at(horizon - 1);
        // Months when the range spans months, days when it falls within one.
        let span = match (r.zero_date_earliest, r.zero_date_latest) {
            (Some(a), Some(b)) if month(a) == month(b) => format!("{a} – {b}"),
            (Some(a), Some(b)) => format!("{} – {}", month(a), month(b)),
            (Some(a), None) => format!("{} – after {}", month(a), month(horizon_end)),
            _ => String::new(),
        };
        let between = match (r.zero_date_earliest, r.zero_date_latest) {
            (Some(a), Some(b)) => format!("between {a} and {b}"),
            (Some(a), None) => format!("between {a} and some time after {horizon_end}"),
            _ => String::new(),
        };
        let (severity, title, body) = match (r.status, r.zero_date) {
            (RunwayStatus::OutOfCash, _) => (
                Severity::Critical,
                "Cash is exhausted".to_string(),
                format!("The cash balance was {} on {}.", m.amount(r.cash), r.as_of),
            ),
            (RunwayStatus::Burning, Some(zero)) => {
                let months = r.months.unwrap_or(0.0);
                (
                    match months {
                        x if x < 6.0 => Severity::Critical,
                        x if x < 12.0 => Severity::High,
                        x if x < 18.0 => Severity::Medium,
                        _ => Severity::Low,
                    },
                    format!(
                        "Cash runs out around {} at the current burn ({lvl} range {span})",
                        month(zero)
                    ),
                    format!(
                        "Cash is {} on {} and the net cash flow is {} a month ({}). At that rate \
                         the balance reaches zero around {zero}, in about {months:.1} months; \
                         with {lvl} confidence {between}.",
                        m.amount(r.cash),
                        r.as_of,
                        m.signed(r.monthly_net_flow),
                        flow.basis,
                    ),
                )
            }
            (status, _) => {
                let burning = status == RunwayStatus::Burning;
                let pessimistic = r.zero_date_earliest.map(|d| {
                    format!(
                        " In the pessimistic case (the lower end of the {lvl} range) cash runs \
                         out around {}.",
                        month(d)
                    )
                });
                let title = if burning {
                    format!("Runway beyond {} at the current burn", month(horizon_end))
                } else {
                    format!(
                        "Not burning cash: net cash flow is {} a month",
                        m.signed(r.monthly_net_flow)
                    )
                };
                (
                    match (burning, pessimistic.is_some()) {
                        (_, true) => Severity::Low,
                        (true, false) => Severity::Low,
                        (false, false) => Severity::Info,
                    },
                    title,
                    format!(
                        "Cash is {} on {} and the net cash flow is {} a month ({}); the balance \
                         stays above zero to {horizon_end} in the projection.{}",
                        m.amount(r.cash),
                        r.as_of,
                        m.signed(r.monthly_net_flow),
                        flow.basis,
                        pessimistic.unwrap_or_default(),
                    ),
                )
            }
        };
        let mut ev = base;
        ev["status"] = json!(match r.status {
            RunwayStatus::NotBurning => "not_burning",
            RunwayStatus::Burning => "burning",
            RunwayStatus::OutOfCash => "out_of_cash",
        });
        ev["zero_date"] = json!(r.zero_date);
        ev["zero_date_earliest"] = json!(r.zero_date_earliest);
        ev["zero_date_latest"] = json!(r.zero_date_latest);
        ev["runway_months"] = json!(r.months);
        ev["horizon"] = json!({ "days": horizon, "to": horizon_end });
        out.push(self.insight(
            InsightKind::Runway,
            names::CASH.to_string(),
            severity,
            (title, body),
            ev,
            metrics,
        ));
        out
    }
}

/// Month-over-month growth of the daily average, seasonally adjusted when there are three
/// years to estimate the season from.
struct Growth {
    rates: Vec<f64>,
    adjusted: bool,
}

/// The series without its weekly season (found by STL on the log scale for a positive series),
/// gaps filled.
fn weekday_adjusted(s: &DailySeries) -> DailySeries {
    let mut y = s.values.clone();
    crate::series::fill_gaps(&mut y);
    let log = y.iter().all(|v| *v > 0.0);
    let x: Vec<f32> = y
        .iter()
        .map(|v| if log { v.ln() as f32 } else { *v as f32 })
        .collect();
    // One pass of STL's inner loop, not the two it defaults to without robustness: the
    // adjusted days are only averaged by month, and a second pass moved monthly growth by about
    // a tenth of a percentage point (a simulated three years whose weekly pattern changes
    // halfway), for half of the trend-change search's time.
    if let Ok(fit) = stlrs::params().inner_loops(1).fit(&x, 7) {
        for (v, (xi, si)) in y.iter_mut().zip(x.iter().zip(fit.seasonal())) {
            let a = f64::from(*xi - *si);
            *v = if log { a.exp() } else { a };
        }
    }
    DailySeries {
        start: s.start,
        values: y,
    }
}

fn monthly_growth(months: &[Period]) -> Option<Growth> {
    if months.len() < 8 {
        return None;
    }
    let level: Vec<f64> = months.iter().map(|p| p.value).collect();
    if level.len() >= 36 && level.iter().all(|v| *v > 0.0) {
        let logs: Vec<f32> = level.iter().map(|v| v.ln() as f32).collect();
        if let Ok(fit) = stlrs::params().fit(&logs, 12) {
            let adjusted: Vec<f64> = logs
                .iter()
                .zip(fit.seasonal())
                .map(|(x, s)| f64::from(*x) - f64::from(*s))
                .collect();
            let rates = adjusted
                .windows(2)
                .map(|w| (w[1] - w[0]).exp_m1())
                .collect();
            return Some(Growth {
                rates,
                adjusted: true,
            });
        }
    }
    let rates = growth_rates(&level);
    rates.iter().all(|g| g.is_finite()).then_some(Growth {
        rates,
        adjusted: false,
    })
}

fn method_name(fc: &Forecast) -> &'static str {
    match (fc.seasonal_period.is_some(), fc.log_scale) {
        (true, true) => "MSTL + AutoETS on the log scale",
        (true, false) => "MSTL + AutoETS",
        (false, true) => "AutoETS on the log scale",
        (false, false) => "AutoETS",
    }
}

fn describe_method(fc: &Forecast, monthly: bool) -> String {
    match fc.seasonal_period {
        Some(p) => format!(
            " with the {} season removed (MSTL, period {p}) and exponential smoothing for the \
             trend (AutoETS)",
            if monthly { "yearly" } else { "seasonal" }
        ),
        None => " by exponential smoothing (AutoETS), too short a history for a seasonal pattern"
            .to_string(),
    }
}

/// Writes amounts compactly: 950, 12.3k, 1.25M.
struct Money {
    symbol: Option<String>,
}

impl Money {
    fn amount(&self, v: f64) -> String {
        let sign = if v < 0.0 { "−" } else { "" };
        format!(
            "{sign}{}{}",
            self.symbol.as_deref().unwrap_or(""),
            compact(v.abs())
        )
    }

    fn signed(&self, v: f64) -> String {
        if v >= 0.0 {
            format!("+{}", self.amount(v))
        } else {
            self.amount(v)
        }
    }
}

fn compact(v: f64) -> String {
    let (x, unit) = match v {
        v if v >= 1e9 => (v / 1e9, "B"),
        v if v >= 1e6 => (v / 1e6, "M"),
        v if v >= 1e3 => (v / 1e3, "k"),
        v => (v, ""),
    };
    let digits = if x >= 100.0 || unit.is_empty() {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    format!("{x:.digits$}{unit}")
}

fn currency_symbol(code: &str) -> String {
    match code {
        "USD" | "CAD" | "AUD" | "NZD" => "$".into(),
        "EUR" => "€".into(),
        "GBP" => "£".into(),
        "JPY" => "¥".into(),
        other => format!("{other} "),
    }
}

fn signed_pct(r: f64) -> String {
    let p = r * 100.0;
    if p >= 0.0 {
        format!("+{p:.1}%")
    } else {
        format!("−{:.1}%", -p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_compact() {
        let m = Money {
            symbol: Some("$".into()),
        };
        assert_eq!(m.amount(950.4), "$950");
        assert_eq!(m.amount(12_345.0), "$12.3k");
        assert_eq!(m.amount(1_250_000.0), "$1.25M");
        assert_eq!(m.signed(-85_000.0), "−$85.0k");
        assert_eq!(m.signed(2_000.0), "+$2.00k");
        assert_eq!(signed_pct(-0.0123), "−1.2%");
    }

    #[test]
    fn kinds_and_severities_serialise_as_the_api_says() {
        assert_eq!(json!(InsightKind::TrendChange), json!("trend_change"));
        assert_eq!(json!(Severity::Critical), json!("critical"));
        assert!(Severity::Critical > Severity::Info);
    }
}
