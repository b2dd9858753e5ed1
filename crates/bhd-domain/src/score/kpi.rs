//! The KPIs: each factor's figure computed from monthly metric values, with how complete and
//! how recent its inputs are.
//!
//! Windows are whole months ending with `as_of`, the last complete month (SCORING.md,
//! "Windows"). A KPI whose inputs are missing or stale is `Absent` with the reason and the
//! metrics that would unlock it; this module must never fill a gap with zero. Where a KPI is
//! unbounded (no burn, so unlimited runway) its value is infinite and a note says why; curves
//! clamp it.

use super::curve::Curve;
use super::factors::FactorId;
use super::input::{Goal, ScoreInput, month_start};
use super::profile::{Applies, applies};
use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A factor's KPI value with the confidence its data deserves.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// The KPI (may be ±∞ where the KPI is unbounded; never NaN).
    pub value: f64,
    /// 0–1: completeness of the window × recency of the inputs.
    pub confidence: f64,
    /// Why the value is special, when it is (for example "cash-flow positive").
    pub note: Option<String>,
}

impl Kpi {
    /// A KPI with full confidence and no note.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            confidence: 1.0,
            note: None,
        }
    }
}

/// Why a factor could not be computed, and which metrics would unlock it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent {
    /// For people.
    pub reason: String,
    /// Metric types whose data is missing or stale (empty when the data is there but the KPI is
    /// undefined, such as a margin on zero revenue).
    pub needs: Vec<String>,
}

impl Absent {
    fn undefined(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            needs: Vec::new(),
        }
    }
}

/// Each factor's KPI or why it is absent.
pub type Kpis = BTreeMap<FactorId, Result<Kpi, Absent>>;

/// Recency (0–1) by age of a metric's latest point in days: a month-end figure posted within
/// a few days counts in full; three months later it counts a quarter.
const RECENCY: Curve = Curve::new(&[(35.0, 1.0), (65.0, 0.75), (95.0, 0.5), (125.0, 0.25)]);

/// The KPI of every factor that applies to the input's industry (core or optional).
pub fn kpis(input: &ScoreInput) -> Kpis {
    let view = View::new(input);
    FactorId::ALL
        .iter()
        .filter(|f| applies(**f, input.industry) != Applies::No)
        .map(|f| {
            let mut acc = Acc::new(&view);
            let result = measure(*f, &mut acc).and_then(|(value, note)| {
                if value.is_nan() {
                    return Err(Absent::undefined("the figures give no defined value"));
                }
                Ok(Kpi {
                    value,
                    confidence: acc.confidence(),
                    note,
                })
            });
            (*f, result)
        })
        .collect()
}

/// A monthly series: reported, or derived from others.
struct Series<'a> {
    values: std::borrow::Cow<'a, BTreeMap<NaiveDate, f64>>,
    /// The reported metrics it comes from (itself when reported).
    sources: Vec<&'a str>,
}

/// The input seen through the windows, with the derived series.
struct View<'a> {
    input: &'a ScoreInput,
    as_of: NaiveDate,
    series: BTreeMap<&'a str, Series<'a>>,
}

impl<'a> View<'a> {
    fn new(input: &'a ScoreInput) -> Self {
        let as_of = month_start(input.as_of);
        let mut series: BTreeMap<&'a str, Series<'a>> = input
            .months
            .iter()
            .filter(|(_, m)| m.values().any(|v| v.is_finite()))
            .map(|(k, m)| {
                let s = Series {
                    values: std::borrow::Cow::Borrowed(m),
                    sources: vec![k.as_str()],
                };
                (k.as_str(), s)
            })
            .collect();
        // Series-level fallbacks (docs/scoring.md, "Derived inputs"): used only when the
        // organization does not report the metric at all, never to patch single months.
        let derive = |series: &mut BTreeMap<&'a str, Series<'a>>,
                      name: &'static str,
                      parts: &[(&'static str, f64, bool)]| {
            if series.contains_key(name) {
                return;
            }
            let present: Vec<_> = parts
                .iter()
                .filter_map(|(m, sign, required)| match series.get(*m) {
                    Some(s) => Some(Some((s, *sign))),
                    None if *required => Some(None),
                    None => None,
                })
                .collect();
            if present.iter().any(Option::is_none) {
                return;
            }
            let present: Vec<_> = present.into_iter().flatten().collect();
            let Some((first, _)) = present.first() else {
                return;
            };
            let mut values = BTreeMap::new();
            for month in first.values.keys() {
                let sum: Option<f64> = present
                    .iter()
                    .map(|(s, sign)| s.values.get(month).map(|v| v * sign))
                    .sum();
                if let Some(v) = sum.filter(|v| v.is_finite()) {
                    values.insert(*month, v);
                }
            }
            let mut sources: Vec<&'a str> = Vec::new();
            for (s, _) in &present {
                sources.extend(s.sources.iter().copied());
            }
            series.insert(
                name,
                Series {
                    values: std::borrow::Cow::Owned(values),
                    sources,
                },
            );
        };
        derive(
            &mut series,
            "gross_profit",
            &[("revenue", 1.0, true), ("cost_of_goods_sold", -1.0, true)],
        );
        derive(
            &mut series,
            "net_profit",
            &[
                ("revenue", 1.0, true),
                ("expenses", -1.0, true),
                ("cost_of_goods_sold", -1.0, false),
            ],
        );
        derive(&mut series, "ebit", &[("net_profit", 1.0, true)]);
        derive(
            &mut series,
            "book_equity",
            &[
                ("total_assets", 1.0, true),
                ("total_liabilities", -1.0, true),
            ],
        );
        Self {
            input,
            as_of,
            series,
        }
    }

    fn has(&self, metric: &str) -> bool {
        self.series.contains_key(metric)
    }

    /// The month `back` months before `as_of`.
    fn month(&self, back: u32) -> Option<NaiveDate> {
        self.as_of.checked_sub_months(Months::new(back))
    }

    fn get(&self, metric: &str, back: u32) -> Option<f64> {
        let month = self.month(back)?;
        self.series
            .get(metric)?
            .values
            .get(&month)
            .copied()
            .filter(|v| v.is_finite())
    }

    /// The latest month up to `as_of` with a value of `metric`.
    fn latest_month(&self, metric: &str) -> Option<NaiveDate> {
        self.series
            .get(metric)?
            .values
            .range(..=self.as_of)
            .rev()
            .find(|(_, v)| v.is_finite())
            .map(|(m, _)| *m)
    }

    /// Recency of a reported metric (0–1).
    fn recency(&self, metric: &str) -> f64 {
        let last = self.input.last_seen.get(metric).copied().or_else(|| {
            // The end of its latest month with a value.
            let m = self.latest_month(metric)?;
            let end = m.checked_add_months(Months::new(1))?;
            Some(end.and_time(NaiveTime::MIN).and_utc())
        });
        match last {
            Some(t) => RECENCY.eval(age_days(self.input.now, t)),
            None => 0.0,
        }
    }
}

fn age_days(now: DateTime<Utc>, then: DateTime<Utc>) -> f64 {
    ((now - then).num_seconds() as f64 / 86_400.0).max(0.0)
}

/// One factor's measurement: which metrics it used and how much of its windows had data.
struct Acc<'v, 'a> {
    view: &'v View<'a>,
    used: BTreeSet<&'a str>,
    expected: usize,
    present: usize,
}

impl<'v, 'a> Acc<'v, 'a> {
    fn new(view: &'v View<'a>) -> Self {
        Self {
            view,
            used: BTreeSet::new(),
            expected: 0,
            present: 0,
        }
    }

    /// Completeness × the recency of the stalest input.
    fn confidence(&self) -> f64 {
        let completeness = if self.expected == 0 {
            1.0
        } else {
            self.present as f64 / self.expected as f64
        };
        let recency = self
            .used
            .iter()
            .map(|m| self.view.recency(m))
            .fold(1.0, f64::min);
        (completeness * recency).clamp(0.0, 1.0)
    }

    /// The rows of a window: for each `back` in `backs`, the values of `cells` (metric, extra
    /// months back) when all are present. Fails when fewer than `min` rows are complete.
    /// Returns (month, values) pairs, most recent first.
    fn rows(
        &mut self,
        cells: &[(&str, u32)],
        backs: std::ops::Range<u32>,
        min: usize,
    ) -> Result<Vec<(NaiveDate, Vec<f64>)>, Absent> {
        let n = backs.len();
        let mut rows = Vec::new();
        for back in backs.clone() {
            let values: Option<Vec<f64>> = cells
                .iter()
                .map(|(m, extra)| self.view.get(m, back + extra))
                .collect();
            if let (Some(values), Some(month)) = (values, self.view.month(back)) {
                rows.push((month, values));
            }
        }
        self.expected += n;
        self.present += rows.len();
        for (m, _) in cells {
            if let Some(s) = self.view.series.get(*m) {
                self.used.extend(s.sources.iter().copied());
            }
        }
        if rows.len() >= min.max(1) {
            return Ok(rows);
        }
        Err(self.missing(cells, backs, min))
    }

    /// The reason a window lacks data, naming what is missing or stale.
    fn missing(&self, cells: &[(&str, u32)], backs: std::ops::Range<u32>, min: usize) -> Absent {
        let mut names: Vec<&str> = Vec::new();
        for (m, _) in cells {
            if !names.contains(m) {
                names.push(m);
            }
        }
        let (first, last) = (backs.start, backs.end.saturating_sub(1));
        let mut needs = Vec::new();
        let mut details = Vec::new();
        for m in &names {
            let count = backs
                .clone()
                .filter(|b| {
                    cells
                        .iter()
                        .filter(|(c, _)| c == m)
                        .all(|(_, extra)| self.view.get(m, b + extra).is_some())
                })
                .count();
            if count >= min.max(1) {
                continue;
            }
            needs.push((*m).to_owned());
            let oldest = self
                .view
                .month(last + cells.iter().map(|c| c.1).max().unwrap_or(0));
            details.push(match self.view.latest_month(m) {
                Some(month) if Some(month) >= oldest => {
                    format!("{m}: not enough history, {count} of {}", backs.len())
                }
                Some(month) => format!("{m}: stale, latest month {}", month.format("%Y-%m")),
                None => format!("{m}: no data"),
            });
        }
        if needs.is_empty() {
            // Each metric alone has enough months, but not the same ones.
            needs = names.iter().map(|m| (*m).to_owned()).collect();
            details.push("the months with data do not line up".to_owned());
        }
        let months = |b: u32| {
            self.view
                .month(b)
                .map_or_else(String::new, |m| m.format("%Y-%m").to_string())
        };
        let span = if first == last {
            months(first)
        } else {
            format!("{} to {}", months(last), months(first))
        };
        Absent {
            reason: format!(
                "needs {} for at least {} of the {} complete months {span} ({})",
                names.join(", "),
                min.max(1),
                backs.len(),
                details.join("; ")
            ),
            needs,
        }
    }

    /// The most recent complete row of `cells` in the trailing `n` months.
    fn latest(&mut self, cells: &[&str], n: u32) -> Result<Vec<f64>, Absent> {
        let cells: Vec<(&str, u32)> = cells.iter().map(|m| (*m, 0)).collect();
        let rows = self.rows(&cells, 0..n, 1)?;
        Ok(rows.into_iter().next().map(|r| r.1).unwrap_or_default())
    }
}

fn sum(rows: &[(NaiveDate, Vec<f64>)], i: usize) -> f64 {
    rows.iter().map(|r| r.1[i]).sum()
}

fn mean(rows: &[(NaiveDate, Vec<f64>)], i: usize) -> f64 {
    sum(rows, i) / rows.len() as f64
}

fn cells<'m>(metrics: &[&'m str]) -> Vec<(&'m str, u32)> {
    metrics.iter().map(|m| (*m, 0)).collect()
}

/// Days in the month starting `m`.
fn days_in(m: NaiveDate) -> f64 {
    m.checked_add_months(Months::new(1))
        .map_or(30.0, |n| (n - m).num_days() as f64)
}

type Measure = Result<(f64, Option<String>), Absent>;

fn note(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// The metric that stands for the net cash flow of operations: operating cash flow when the
/// organization reports it, else net profit (reported or derived).
fn cash_flow_metric(view: &View<'_>) -> &'static str {
    if view.has("operating_cash_flow") {
        "operating_cash_flow"
    } else {
        "net_profit"
    }
}

fn measure(f: FactorId, acc: &mut Acc<'_, '_>) -> Measure {
    use FactorId as F;
    match f {
        F::ProfitMargin => profit_margin(acc).map(|v| (v, None)),
        F::CashFlowRatio => {
            let with_cogs = acc.view.has("cost_of_goods_sold");
            let metrics: &[&str] = if with_cogs {
                &["operating_cash_flow", "expenses", "cost_of_goods_sold"]
            } else {
                &["operating_cash_flow", "expenses"]
            };
            let rows = acc.rows(&cells(metrics), 0..3, 2)?;
            let costs = sum(&rows, 1) + if with_cogs { sum(&rows, 2) } else { 0.0 };
            if costs <= 0.0 {
                return Err(Absent::undefined("operating expenses are zero"));
            }
            Ok((sum(&rows, 0) / costs, None))
        }
        F::CashRunway => {
            let cash = acc.latest(&["cash_balance"], 3)?[0];
            let flow = cash_flow_metric(acc.view);
            let rows = acc.rows(&[(flow, 0)], 0..3, 2)?;
            let burn = -mean(&rows, 0);
            if burn <= 0.0 {
                return Ok((f64::INFINITY, note("cash-flow positive: not burning cash")));
            }
            if cash <= 0.0 {
                return Ok((0.0, note("no cash left")));
            }
            Ok((cash / burn, None))
        }
        F::BurnRate => {
            let flow = cash_flow_metric(acc.view);
            let rows = acc.rows(&cells(&[flow, "revenue"]), 0..3, 2)?;
            let (burn, revenue) = (-sum(&rows, 0), sum(&rows, 1));
            let cash_positive = (burn <= 0.0).then(|| "cash-flow positive".to_owned());
            if revenue > 0.0 {
                Ok((burn / revenue, cash_positive))
            } else if burn > 0.0 {
                Ok((f64::INFINITY, note("burning cash without revenue")))
            } else {
                Ok((0.0, note("no revenue and no burn")))
            }
        }
        F::CurrentRatio => {
            let row = acc.latest(&["current_assets", "current_liabilities"], 3)?;
            let (assets, liabilities) = (row[0], row[1]);
            if liabilities > 0.0 {
                Ok((assets / liabilities, None))
            } else if assets >= 0.0 {
                Ok((f64::INFINITY, note("no current liabilities")))
            } else {
                Err(Absent::undefined(
                    "negative current assets and no liabilities",
                ))
            }
        }
        F::ChurnRate => {
            let rows = acc.rows(
                &[("churned_customers", 0), ("active_customers", 1)],
                0..3,
                2,
            )?;
            let rates: Vec<f64> = rows
                .iter()
                .filter(|r| r.1[1] > 0.0)
                .map(|r| r.1[0] / r.1[1])
                .collect();
            if rates.is_empty() {
                return Err(Absent::undefined("no customers at the start of the months"));
            }
            Ok((rates.iter().sum::<f64>() / rates.len() as f64, None))
        }
        F::NetRevenueRetention => {
            let start = acc.rows(&[("mrr", 12)], 0..1, 1)?[0].1[0];
            let rows = acc.rows(
                &cells(&["expansion_mrr", "contraction_mrr", "churned_mrr"]),
                0..12,
                10,
            )?;
            if start <= 0.0 {
                return Err(Absent::undefined("no MRR twelve months ago"));
            }
            // Months without data are scaled up from those with it, never taken as zero.
            let scale = 12.0 / rows.len() as f64;
            let kept = start + scale * (sum(&rows, 0) - sum(&rows, 1) - sum(&rows, 2));
            Ok((kept / start, None))
        }
        F::LtvToCac => {
            let rows = acc.rows(
                &cells(&["customer_lifetime_value", "customer_acquisition_cost"]),
                0..3,
                2,
            )?;
            let cac = mean(&rows, 1);
            if cac <= 0.0 {
                return Err(Absent::undefined("acquisition cost is zero"));
            }
            Ok((mean(&rows, 0) / cac, None))
        }
        F::CacPayback => {
            let rows = acc.rows(
                &cells(&[
                    "customer_acquisition_cost",
                    "gross_profit",
                    "active_customers",
                ]),
                0..3,
                2,
            )?;
            let customers = sum(&rows, 2);
            if customers <= 0.0 {
                return Err(Absent::undefined("no active customers"));
            }
            let per_customer = sum(&rows, 1) / customers;
            let cac = mean(&rows, 0);
            if per_customer <= 0.0 {
                return Ok((
                    f64::INFINITY,
                    note("no gross profit per customer: acquisition cost is never recovered"),
                ));
            }
            Ok((cac.max(0.0) / per_customer, None))
        }
        F::CacTrend => relative_change(acc, "customer_acquisition_cost", 6, 4),
        F::Nps => {
            let rows = acc.rows(&[("nps", 0)], 0..3, 2)?;
            Ok((mean(&rows, 0), None))
        }
        F::GrossMargin => {
            let rows = acc.rows(&cells(&["revenue", "gross_profit"]), 0..3, 2)?;
            let revenue = sum(&rows, 0);
            if revenue <= 0.0 {
                return Err(Absent::undefined("revenue over the window is not positive"));
            }
            Ok((sum(&rows, 1) / revenue, None))
        }
        F::DaysSalesOutstanding => {
            let rows = acc.rows(&cells(&["accounts_receivable", "revenue"]), 0..3, 2)?;
            let revenue = sum(&rows, 1);
            if revenue <= 0.0 {
                return Err(Absent::undefined("revenue over the window is not positive"));
            }
            let days: f64 = rows.iter().map(|r| days_in(r.0)).sum();
            Ok((mean(&rows, 0).max(0.0) / revenue * days, None))
        }
        F::Uptime => {
            let rows = acc.rows(&[("uptime", 0)], 0..3, 2)?;
            Ok((mean(&rows, 0), None))
        }
        F::InventoryTurnover => {
            let cogs = acc.rows(&[("cost_of_goods_sold", 0)], 0..3, 2)?;
            // Month-end inventory from the month before the window to its last month.
            let stock = acc.rows(&[("inventory", 0)], 0..4, 2)?;
            let inventory = mean(&stock, 0);
            if inventory <= 0.0 {
                return Err(Absent::undefined("no inventory held"));
            }
            Ok((mean(&cogs, 0) * 12.0 / inventory, None))
        }
        F::RevenuePerEmployee => {
            let rows = acc.rows(&cells(&["revenue", "headcount"]), 0..3, 2)?;
            let people = mean(&rows, 1);
            if people <= 0.0 {
                return Err(Absent::undefined("headcount is zero"));
            }
            Ok((mean(&rows, 0) * 12.0 / people, None))
        }
        F::ProcessEfficiency => process_efficiency(acc),
        F::RevenueGrowth => growth(acc).map(|g| (g.monthly, note(g.basis))),
        F::RuleOf40 => {
            let g = growth(acc)?;
            let margin = profit_margin(acc)?;
            Ok((100.0 * (g.annual + margin), note(g.basis)))
        }
        F::SaasQuickRatio => {
            let rows = acc.rows(
                &cells(&["new_mrr", "expansion_mrr", "churned_mrr", "contraction_mrr"]),
                0..3,
                2,
            )?;
            let gained = sum(&rows, 0) + sum(&rows, 1);
            let lost = sum(&rows, 2) + sum(&rows, 3);
            if lost > 0.0 {
                Ok((gained.max(0.0) / lost, None))
            } else if gained > 0.0 {
                Ok((f64::INFINITY, note("no MRR lost")))
            } else {
                Err(Absent::undefined("no MRR gained or lost"))
            }
        }
        F::LeadGrowth => relative_change(acc, "leads", 3, 2),
        F::ConversionRateTrend => relative_change(acc, "conversion_rate", 3, 2),
        F::AltmanZ => {
            let row = acc.latest(
                &[
                    "current_assets",
                    "current_liabilities",
                    "total_assets",
                    "total_liabilities",
                    "retained_earnings",
                    "book_equity",
                ],
                3,
            )?;
            let ebit = acc.rows(&[("ebit", 0)], 0..3, 2)?;
            let (ca, cl, ta, tl, re, equity) = (row[0], row[1], row[2], row[3], row[4], row[5]);
            if ta <= 0.0 {
                return Err(Absent::undefined("total assets are zero"));
            }
            let annual_ebit = mean(&ebit, 0) * 12.0;
            let z = 6.56 * (ca - cl) / ta + 3.26 * re / ta + 6.72 * annual_ebit / ta;
            if tl > 0.0 {
                Ok((z + 1.05 * equity / tl, None))
            } else if equity > 0.0 {
                Ok((f64::INFINITY, note("no liabilities")))
            } else {
                Ok((z, note("no liabilities and no book equity")))
            }
        }
        F::BurnMultiple => {
            let flow = cash_flow_metric(acc.view);
            let rows = acc.rows(&[(flow, 0)], 0..3, 2)?;
            let mrr = acc.rows(&[("mrr", 0), ("mrr", 3)], 0..1, 1)?;
            // Net burn over the 3 months (scaled up if a month is missing).
            let burn = -mean(&rows, 0) * 3.0;
            if burn <= 0.0 {
                return Ok((0.0, note("not burning cash")));
            }
            let new_arr = 12.0 * (mrr[0].1[0] - mrr[0].1[1]);
            if new_arr <= 0.0 {
                return Ok((f64::INFINITY, note("burning cash while ARR did not grow")));
            }
            Ok((burn / new_arr, None))
        }
        F::RevenueVolatility => {
            let rows = acc.rows(&[("revenue", 0), ("revenue", 1)], 0..12, 6)?;
            let factors: Vec<f64> = rows
                .iter()
                .filter_map(|(m, v)| {
                    let prev_month = m.checked_sub_months(Months::new(1))?;
                    let now = v[0] / days_in(*m);
                    let before = v[1] / days_in(prev_month);
                    (now > 0.0 && before > 0.0).then(|| now / before)
                })
                .collect();
            if factors.len() < 6 {
                return Err(Absent::undefined(
                    "fewer than 6 month-on-month changes of positive revenue",
                ));
            }
            let n = factors.len() as f64;
            let mu = factors.iter().sum::<f64>() / n;
            let var = factors.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / n;
            Ok((var.sqrt() / mu, None))
        }
        F::CustomerConcentration => {
            let row = acc.latest(&["largest_customer_revenue_share"], 3)?;
            Ok((row[0], None))
        }
        F::Compliance => {
            let row = acc.latest(&["compliance_items_ok", "compliance_items_total"], 3)?;
            if row[1] <= 0.0 {
                return Err(Absent::undefined("no compliance items tracked"));
            }
            Ok((row[0].max(0.0) / row[1], None))
        }
    }
}

/// Net profit / revenue over the trailing 3 months.
fn profit_margin(acc: &mut Acc<'_, '_>) -> Result<f64, Absent> {
    let rows = acc.rows(&cells(&["revenue", "net_profit"]), 0..3, 2)?;
    let revenue = sum(&rows, 0);
    if revenue <= 0.0 {
        return Err(Absent::undefined("revenue over the window is not positive"));
    }
    Ok(sum(&rows, 1) / revenue)
}

/// The mean of the last `n` months against the mean of the `n` before, as a relative change.
fn relative_change(acc: &mut Acc<'_, '_>, metric: &str, n: u32, min: usize) -> Measure {
    let recent = acc.rows(&[(metric, 0)], 0..n, min)?;
    let prior = acc.rows(&[(metric, 0)], n..2 * n, min)?;
    let before = mean(&prior, 0);
    if before <= 0.0 {
        return Err(Absent::undefined(format!(
            "{metric} was zero in the months compared against"
        )));
    }
    Ok((mean(&recent, 0) / before - 1.0, None))
}

struct Growth {
    /// Compound monthly growth.
    monthly: f64,
    /// Annual growth (year over year, or the monthly rate compounded over 12 months).
    annual: f64,
    basis: &'static str,
}

/// Revenue growth: the trailing 3 months against the same months a year earlier when 13+
/// months exist, else against the 3 months before.
fn growth(acc: &mut Acc<'_, '_>) -> Result<Growth, Absent> {
    let view = acc.view;
    let yoy =
        (0..3).any(|b| view.get("revenue", b).is_some() && view.get("revenue", b + 12).is_some());
    if yoy {
        let rows = acc.rows(&[("revenue", 0), ("revenue", 12)], 0..3, 1)?;
        let (now, before) = (sum(&rows, 0), sum(&rows, 1));
        if before <= 0.0 {
            return Err(Absent::undefined("no revenue a year earlier"));
        }
        let ratio = (now / before).max(0.0);
        return Ok(Growth {
            monthly: ratio.powf(1.0 / 12.0) - 1.0,
            annual: ratio - 1.0,
            basis: "year over year",
        });
    }
    let recent = acc.rows(&[("revenue", 0)], 0..3, 2)?;
    let prior = acc.rows(&[("revenue", 0)], 3..6, 2)?;
    let before = mean(&prior, 0);
    if before <= 0.0 {
        return Err(Absent::undefined(
            "no revenue in the 3 months compared against",
        ));
    }
    let ratio = (mean(&recent, 0) / before).max(0.0);
    let monthly = ratio.powf(1.0 / 3.0) - 1.0;
    Ok(Growth {
        monthly,
        annual: ratio.powf(4.0) - 1.0,
        basis: "last 3 months against the 3 before",
    })
}

/// Mean over the targets with data of actual / target (at most) or target / actual (at
/// least), each actual the mean of the trailing 3 months.
fn process_efficiency(acc: &mut Acc<'_, '_>) -> Measure {
    let view = acc.view;
    let targets: Vec<_> = view
        .input
        .targets
        .iter()
        .filter(|t| t.target > 0.0 && t.target.is_finite())
        .collect();
    if targets.is_empty() {
        return Err(Absent::undefined("no process targets set"));
    }
    let mut ratios = Vec::new();
    let mut needs = Vec::new();
    for t in &targets {
        if !acc.view.has(&t.metric) {
            // A target on a metric that was never reported is not held against the score.
            needs.push(t.metric.clone());
            continue;
        }
        match acc.rows(&[(t.metric.as_str(), 0)], 0..3, 2) {
            Ok(rows) => {
                let actual = mean(&rows, 0);
                ratios.push(match t.goal {
                    Goal::AtMost => actual.max(0.0) / t.target,
                    Goal::AtLeast if actual > 0.0 => t.target / actual,
                    Goal::AtLeast => f64::INFINITY,
                });
            }
            Err(a) => needs.extend(a.needs),
        }
    }
    if ratios.is_empty() {
        return Err(Absent {
            reason: format!(
                "no recent data for the metrics with targets ({})",
                targets
                    .iter()
                    .map(|t| t.metric.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            needs,
        });
    }
    let note = (ratios.len() > 1).then(|| format!("mean over {} targets", ratios.len()));
    Ok((ratios.iter().sum::<f64>() / ratios.len() as f64, note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Industry;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input() -> ScoreInput {
        let now = DateTime::parse_from_rfc3339("2024-07-03T00:00:00Z")
            .unwrap()
            .to_utc();
        ScoreInput::new(Industry::General, d("2024-06-01"), now)
    }

    fn series(i: &mut ScoreInput, metric: &str, values: &[(&str, f64)]) {
        for (m, v) in values {
            i.set(metric, d(m), *v);
        }
    }

    fn value(k: &Kpis, f: FactorId) -> f64 {
        k[&f].as_ref().unwrap().value
    }

    #[test]
    fn profit_margin_and_derived_net_profit() {
        let mut i = input();
        series(
            &mut i,
            "revenue",
            &[
                ("2024-04-01", 100.0),
                ("2024-05-01", 100.0),
                ("2024-06-01", 200.0),
            ],
        );
        series(
            &mut i,
            "expenses",
            &[
                ("2024-04-01", 90.0),
                ("2024-05-01", 90.0),
                ("2024-06-01", 180.0),
            ],
        );
        let k = kpis(&i);
        // No net_profit reported: revenue − expenses stands in (40 / 400).
        assert!((value(&k, FactorId::ProfitMargin) - 0.1).abs() < 1e-12);
        // No cash flow reported: net profit stands in for the burn (none: cash positive).
        assert!(value(&k, FactorId::BurnRate) < 0.0);
        // Reported net profit wins over the derivation.
        series(
            &mut i,
            "net_profit",
            &[
                ("2024-04-01", -10.0),
                ("2024-05-01", -10.0),
                ("2024-06-01", -20.0),
            ],
        );
        let k = kpis(&i);
        assert!((value(&k, FactorId::ProfitMargin) + 0.1).abs() < 1e-12);
        assert!((value(&k, FactorId::BurnRate) - 0.1).abs() < 1e-12);
        assert!(k[&FactorId::ProfitMargin].as_ref().unwrap().confidence > 0.99);
    }

    #[test]
    fn missing_and_stale_inputs_are_absent_with_what_unlocks_them() {
        let mut i = input();
        // Revenue stopped in March: stale for a window of April–June.
        series(
            &mut i,
            "revenue",
            &[("2024-02-01", 100.0), ("2024-03-01", 100.0)],
        );
        let k = kpis(&i);
        let a = k[&FactorId::ProfitMargin].as_ref().unwrap_err();
        assert_eq!(a.needs, ["revenue", "net_profit"]);
        assert!(
            a.reason.contains("revenue: stale, latest month 2024-03"),
            "{}",
            a.reason
        );
        assert!(a.reason.contains("net_profit: no data"), "{}", a.reason);
        assert!(a.reason.contains("2024-04 to 2024-06"), "{}", a.reason);
        // One month missing of three: present, with lower confidence.
        series(
            &mut i,
            "revenue",
            &[("2024-04-01", 100.0), ("2024-06-01", 100.0)],
        );
        series(
            &mut i,
            "net_profit",
            &[
                ("2024-04-01", 5.0),
                ("2024-05-01", 5.0),
                ("2024-06-01", 5.0),
            ],
        );
        let k = kpis(&i);
        let pm = k[&FactorId::ProfitMargin].as_ref().unwrap();
        assert!((pm.value - 0.05).abs() < 1e-12);
        assert!(
            (pm.confidence - 2.0 / 3.0).abs() < 1e-12,
            "{}",
            pm.confidence
        );
        // Industry-specific factors are not measured where they do not apply.
        assert!(!k.contains_key(&FactorId::InventoryTurnover));
        assert!(!k.contains_key(&FactorId::RuleOf40));
    }

    #[test]
    fn recency_lowers_confidence() {
        let mut i = input();
        for m in ["2024-04-01", "2024-05-01", "2024-06-01"] {
            i.set("nps", d(m), 30.0);
        }
        let fresh = kpis(&i)[&FactorId::Nps].as_ref().unwrap().confidence;
        assert_eq!(fresh, 1.0);
        // The latest point is 95 days old.
        i.last_seen
            .insert("nps".into(), i.now - chrono::TimeDelta::days(95));
        let old = kpis(&i)[&FactorId::Nps].as_ref().unwrap().confidence;
        assert!((old - 0.5).abs() < 1e-9, "{old}");
    }

    #[test]
    fn growth_is_year_over_year_with_13_months() {
        let mut i = input();
        for (k, m) in [
            "2024-01-01",
            "2024-02-01",
            "2024-03-01",
            "2024-04-01",
            "2024-05-01",
            "2024-06-01",
        ]
        .iter()
        .enumerate()
        {
            i.set("revenue", d(m), 100.0 * 1.02f64.powi(k as i32));
        }
        let g = kpis(&i)[&FactorId::RevenueGrowth].clone().unwrap();
        assert!((g.value - 0.02).abs() < 1e-12, "{}", g.value);
        assert_eq!(
            g.note.as_deref(),
            Some("last 3 months against the 3 before")
        );
        i.set("revenue", d("2023-06-01"), 50.0);
        let g = kpis(&i)[&FactorId::RevenueGrowth].clone().unwrap();
        let expected = (100.0 * 1.02f64.powi(5) / 50.0).powf(1.0 / 12.0) - 1.0;
        assert!((g.value - expected).abs() < 1e-12);
        assert_eq!(g.note.as_deref(), Some("year over year"));
        // Only one of three months pairs up with a year earlier.
        assert!((g.confidence - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn unbounded_kpis_are_infinite_with_a_note() {
        let mut i = input();
        for m in ["2024-04-01", "2024-05-01", "2024-06-01"] {
            i.set("cash_balance", d(m), 1000.0);
            i.set("operating_cash_flow", d(m), 10.0);
        }
        let k = kpis(&i);
        let r = k[&FactorId::CashRunway].as_ref().unwrap();
        assert_eq!(r.value, f64::INFINITY);
        assert_eq!(
            r.note.as_deref(),
            Some("cash-flow positive: not burning cash")
        );
        for m in ["2024-04-01", "2024-05-01", "2024-06-01"] {
            i.set("operating_cash_flow", d(m), -100.0);
        }
        assert_eq!(value(&kpis(&i), FactorId::CashRunway), 10.0);
    }

    #[test]
    fn process_targets() {
        let mut i = input();
        for m in ["2024-04-01", "2024-05-01", "2024-06-01"] {
            i.set("fulfillment_time_hours", d(m), 36.0);
        }
        let k = kpis(&i);
        assert_eq!(value(&k, FactorId::ProcessEfficiency), 1.5);
        i.targets.clear();
        let k = kpis(&i);
        assert_eq!(
            k[&FactorId::ProcessEfficiency].as_ref().unwrap_err().reason,
            "no process targets set"
        );
    }
}
