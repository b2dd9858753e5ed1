//! Alert text for people: the title and one sentence saying what was measured, against what,
//! and why it matters to the rule.
//!
//! The text is built from the reading alone, so a resolved alert's text ("no longer below") and
//! a triggered one's come from the same function. It must never invent precision: figures are
//! rounded for reading (money to cents, scores to 2 places), never used for decisions.

use super::check::{Reading, window_days};
use super::spec::{Op, RuleSpec, ScoreName, Target};
use crate::metrics::{Kind, canonical_def};
use crate::score::{FactorId, format_value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The alert's title and description for `reading`. `unit_hint` is the metric's unit
/// (`currency`, `ratio`, …, as `Unit::as_str` writes it) for custom metrics; canonical metrics
/// and factors know their own. An anomaly reading carries no verdict, so its text is always the
/// triggered one.
pub fn describe(spec: &RuleSpec, reading: &Reading, unit_hint: Option<&str>) -> (String, String) {
    let op = spec.condition.op;
    let text = match &spec.target {
        Target::Metric(m) => describe_metric(spec, m, reading, unit_hint),
        Target::Score(s) => {
            let label = score_label(*s);
            if op.is_change() {
                let days = days_text(spec.condition.window_days.unwrap_or(1));
                let plain = |d: Decimal| number(d, 0, 2);
                let points = |d: Decimal| {
                    let n = number(d.abs(), 0, 2);
                    if d.abs() == Decimal::ONE {
                        format!("{n} point")
                    } else {
                        format!("{n} points")
                    }
                };
                let during = format!("in {days}");
                change_sentence(op, reading, &label, &during, &plain, &points, &plain)
            } else {
                level_sentence(op, reading, &label, &|d| number(d, 0, 2))
            }
        }
        Target::Factor(f) => {
            let unit = f.def().unit;
            level_sentence(op, reading, &factor_label(*f), &|d| {
                format_value(unit, as_f64(d))
            })
        }
    };
    (spec.name.clone(), text)
}

fn describe_metric(
    spec: &RuleSpec,
    metric: &str,
    reading: &Reading,
    unit_hint: Option<&str>,
) -> String {
    let op = spec.condition.op;
    let def = canonical_def(metric);
    let unit = unit_hint.or(def.map(|d| d.unit.as_str()));
    let n = window_days(spec);
    let value = |d: Decimal| metric_value(d, unit);
    let name = metric_label(metric);
    if op == Op::Anomaly {
        return format!(
            "{name} had an unusual value in the last {} (latest day: {}).",
            days_text(n),
            value(reading.current)
        );
    }
    let span = match (def.map(|d| d.kind), n) {
        (Some(Kind::Stock), _) => "latest".to_owned(),
        (_, 1) => "latest day".to_owned(),
        (Some(Kind::Flow), _) => format!("{n}-day total"),
        (Some(Kind::Rate), _) => format!("{n}-day average"),
        (None, _) => format!("last {}", days_text(n)),
    };
    let label = format!("{name} ({span})");
    if op.is_change() {
        let period = format!("against the previous {}", days_text(n));
        let delta = |d: Decimal| metric_delta(d.abs(), unit);
        change_sentence(op, reading, &label, &period, &value, &delta, &delta)
    } else {
        level_sentence(op, reading, &label, &value)
    }
}

/// "X is 4.2, below the threshold 6." (or "no longer below" when the reading does not cross).
fn level_sentence(
    op: Op,
    reading: &Reading,
    label: &str,
    value: &dyn Fn(Decimal) -> String,
) -> String {
    let side = if op.is_above() { "above" } else { "below" };
    let relation = if reading.crosses(op) {
        side.to_owned()
    } else {
        format!("no longer {side}")
    };
    match reading.threshold {
        Some(t) => format!(
            "{label} is {}, {relation} the threshold {}.",
            value(reading.current),
            value(t)
        ),
        None => format!("{label} is {}.", value(reading.current)),
    }
}

/// "X fell 12 points in 30 days (from 74 to 62); the rule fires below −10." `value` writes
/// the figures, `delta` the change's magnitude and `limit` the threshold's.
fn change_sentence(
    op: Op,
    reading: &Reading,
    label: &str,
    period: &str,
    value: &dyn Fn(Decimal) -> String,
    delta: &dyn Fn(Decimal) -> String,
    limit: &dyn Fn(Decimal) -> String,
) -> String {
    let side = if op.is_above() { "above" } else { "below" };
    let (Some(change), Some(baseline)) = (reading.change(op), reading.baseline) else {
        return format!("{label} is {}.", value(reading.current));
    };
    let amount = |d: Decimal| {
        if op.is_pct() {
            format!("{} %", number(d.abs(), 0, 1))
        } else {
            delta(d)
        }
    };
    let moved = if change.is_sign_positive() && !change.is_zero() {
        format!("rose {}", amount(change))
    } else if change.is_zero() {
        "did not change".to_owned()
    } else {
        format!("fell {}", amount(change))
    };
    let threshold = reading.threshold.map_or_else(String::new, |t| {
        let t = if op.is_pct() {
            format!("{} %", number(t, 0, 2))
        } else {
            signed(t, limit)
        };
        format!("; the rule fires {side} {t}")
    });
    format!(
        "{label} {moved} {period} (from {} to {}){threshold}.",
        value(baseline),
        value(reading.current)
    )
}

/// A signed figure written with `magnitude` (which formats absolute values) and a true minus
/// sign.
fn signed(d: Decimal, magnitude: &dyn Fn(Decimal) -> String) -> String {
    if d.is_sign_negative() && !d.is_zero() {
        format!("\u{2212}{}", magnitude(d.abs()))
    } else {
        magnitude(d.abs())
    }
}

/// A metric value as its unit reads: money with cents only when there are some, ratios as
/// percentages, counts with thousands separators.
fn metric_value(d: Decimal, unit: Option<&str>) -> String {
    match unit {
        Some("currency") => number(d, 2, 2).replace(".00", ""),
        Some("ratio") => format!("{} %", number(d * Decimal::ONE_HUNDRED, 0, 2)),
        Some("percent") => format!("{} %", number(d, 0, 2)),
        Some("days") => format!("{} days", number(d, 0, 1)),
        Some("hours") => format!("{} hours", number(d, 0, 1)),
        Some("count") => number(d, 0, 2),
        Some("score") => number(d, 0, 1),
        _ => number(d, 0, 6),
    }
}

/// A metric change's magnitude; a ratio's change is in percentage points, not percent.
fn metric_delta(d: Decimal, unit: Option<&str>) -> String {
    match unit {
        Some("ratio") => {
            let points = number(d * Decimal::ONE_HUNDRED, 0, 2);
            let plural = if points == "1" { "" } else { "s" };
            format!("{points} percentage point{plural}")
        }
        _ => metric_value(d, unit),
    }
}

/// `d` rounded half away from zero to at most `max` places (at least `min`), with thousands
/// separators and a true minus sign.
fn number(d: Decimal, min: u32, max: u32) -> String {
    let mut r = d
        .round_dp_with_strategy(max, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    if r.scale() < min {
        r.rescale(min);
    }
    let negative = r.is_sign_negative() && !r.is_zero();
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 3);
    if negative {
        out.push('\u{2212}');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A factor reading as an `f64` for `format_value`; the ±∞ sentinels become infinite again.
fn as_f64(d: Decimal) -> f64 {
    if d == Decimal::MAX {
        f64::INFINITY
    } else if d == Decimal::MIN {
        f64::NEG_INFINITY
    } else {
        d.to_f64().unwrap_or(f64::NAN)
    }
}

fn days_text(n: u32) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// `cash_balance` → "Cash balance", `new_mrr` → "New MRR".
fn metric_label(name: &str) -> String {
    let words: Vec<String> = name
        .split('_')
        .enumerate()
        .map(|(i, w)| match w {
            "mrr" | "nps" | "ebit" | "cac" | "ltv" | "arr" => w.to_ascii_uppercase(),
            "saas" => "SaaS".to_owned(),
            _ if i == 0 => {
                let mut c = w.chars();
                c.next().map_or_else(String::new, |f| {
                    f.to_uppercase().chain(c).collect::<String>()
                })
            }
            _ => w.to_owned(),
        })
        .collect();
    words.join(" ")
}

fn factor_label(f: FactorId) -> String {
    match f {
        FactorId::AltmanZ => "Altman Z\u{2033}".to_owned(),
        FactorId::ChurnRate => "Monthly churn rate".to_owned(),
        _ => metric_label(f.as_str()),
    }
}

fn score_label(s: ScoreName) -> String {
    match s {
        ScoreName::Overall => "Overall health score".to_owned(),
        _ => format!("{} score", metric_label(s.as_str())),
    }
}
