//! Alert rules: what a rule says and how it is validated, whether it holds over an
//! organization's facts, and the state machine that turns verdicts into alerts.
//!
//! The caller (the server's evaluation job) gathers the `Facts` (daily roll-ups, kinds, the
//! latest score and its history, factor KPIs, flagged anomalies), calls `check` then `evaluate`
//! for each rule, and stores the new `RuleState` and acts on the `Action`. This module must never
//! perform I/O or read the clock (`Facts::now` and `evaluate`'s `now` are the time), and never
//! use binary floating point for a metric figure: windows are aggregated exactly.
//!
//! # What a rule checks
//!
//! **Metric targets.** Let L be the metric's latest day with data. A window of N days is the
//! days L−N+1..=L (no window: N = 1, the latest day). The window's daily `Partial`s are merged
//! and finished by the metric's kind: a flow is summed, a stock takes its last value, a rate is
//! averaged, except that a canonical rate the catalogue recomputes from two flows (average order
//! value = revenue / orders) is Σ numerator / Σ denominator whenever both have data in the
//! window, as the dashboard's series are. A kind missing from `Facts::kinds` is the catalogue's;
//! an unknown metric is `NoData`.
//! - `above`/`below`: the window's value > / < the rule's value.
//! - `change_above`/`change_below`: the change from the previous window (L−2N+1..=L−N,
//!   aggregated the same way) to the current one, > / < the value.
//! - `change_pct_above`/`change_pct_below`: that change as a percent of |previous| (rounded to
//!   6 places), > / < the value; a previous value of 0 is `NoData`.
//! - `anomaly`: holds when the insights engine flagged a day ≥ L−N+1 (N defaults to 7); the
//!   reading is the latest day's value.
//!
//! An empty window (current or previous) is `NoData`.
//!
//! **Score targets.** The latest stored score's figure (2 places) against the value; for change
//! ops the baseline is the latest history entry at or before `now − window`. A missing figure or
//! baseline is `NoData`.
//!
//! **Factor targets.** The latest score's KPI value for the factor (6 places, in the KPI's own
//! unit: months of runway, churn as a fraction) against the value, `above`/`below` only. A KPI of
//! +∞ (not burning cash) reads as `Decimal::MAX`, so it is above every threshold and below none.
//!
//! # Evaluation
//!
//! See `evaluate`: missing data neither fires nor clears; a rule fires when its condition has
//! held for `for_evaluations` evaluations and `for_duration`, its cooldown since the last alert
//! has passed and it has no open alert; a clear verdict resolves the open alert.

mod check;
mod describe;
mod lifecycle;
mod spec;
#[cfg(test)]
mod tests;

pub use check::{Facts, Reading, ScoreFigures, Verdict, check, daily_metrics, lookback_days};
pub use describe::describe;
pub use lifecycle::{
    Action, AlertEvent, AlertStatus, IllegalTransition, RuleState, apply_user, evaluate, transition,
};
pub use spec::{
    Condition, DEFAULT_ANOMALY_WINDOW_DAYS, FieldError, MAX_CHANNELS, MAX_DURATION_SECS,
    MAX_FOR_EVALUATIONS, MAX_NAME_CHARS, MAX_WINDOW_DAYS, Op, RuleSpec, ScoreName, Severity,
    Target, category_of, default_rules, format_duration, format_window, parse_duration,
    parse_patch, parse_rule, parse_window,
};
