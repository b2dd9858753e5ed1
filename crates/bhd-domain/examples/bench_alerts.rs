//! Times alert evaluation: `check` + `evaluate` over 100,000 rules of 10,000 organizations.
//!
//! Each organization has 40 metrics × 400 days of deterministic daily roll-ups, a score with a
//! 90-entry history, all factor KPIs and a few flagged anomalies; each has 10 rules mixing every
//! op and target kind. Building the facts is never timed.
//!
//! All 10,000 organizations' roll-ups at once would take about 10 GB (a `(NaiveDate, Partial)`
//! is 64 bytes), more than a shared build machine should lend a benchmark, so the organizations
//! are built and timed in chunks of 500: run r's time is the sum of its chunks' times, and the
//! figure is the median of 5 runs.
//!
//! Run: `cargo run --release -p bhd-domain --example bench_alerts`

use bhd_domain::alerts::{
    Action, Facts, RuleSpec, RuleState, ScoreFigures, Verdict, check, evaluate, parse_rule,
};
use bhd_domain::metrics::{Amount, Kind, MetricDef, Unit, canonical};
use bhd_domain::period::Partial;
use bhd_domain::score::FactorId;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

const ORGS: usize = 10_000;
const CHUNK: usize = 500;
const METRICS: usize = 40;
const DAYS: i64 = 400;
const RULES_PER_ORG: usize = 10;
const RUNS: usize = 5;

/// A deterministic pseudo-random number for (org, metric, day, salt): splitmix64.
fn noise(org: usize, metric: usize, day: i64, salt: u64) -> u64 {
    let mut x = (org as u64) << 40 ^ (metric as u64) << 24 ^ (day as u64) << 4 ^ salt;
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A plausible value for a metric of `def`'s unit, as micros.
fn value(def: &MetricDef, n: u64) -> Amount {
    let micros = match def.unit {
        Unit::Currency => (500 + n % 20_000) as i64 * 1_000_000 + (n % 100) as i64 * 10_000,
        Unit::Count => (n % 500) as i64 * 1_000_000,
        Unit::Ratio => (n % 10_000) as i64 * 100,
        Unit::Percent => (n % 100) as i64 * 1_000_000,
        Unit::Days | Unit::Hours => (1 + n % 72) as i64 * 500_000,
        Unit::Score => ((n % 201) as i64 - 100) * 1_000_000,
    };
    Amount::from_micros(micros)
}

fn org_facts(org: usize, defs: &[&MetricDef], first: NaiveDate, now: DateTime<Utc>) -> Facts {
    let mut facts = Facts {
        now,
        ..Facts::default()
    };
    for (m, def) in defs.iter().enumerate() {
        let sparse = m % 5 == 4;
        let mut days = Vec::with_capacity(DAYS as usize);
        for d in 0..DAYS {
            let n = noise(org, m, d, 1);
            // Some metrics skip about one day in seven: only days with data are listed.
            if sparse && n.is_multiple_of(7) {
                continue;
            }
            let date = first + Duration::days(d);
            let noon = date
                .and_hms_opt(12, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(now);
            let mut p = Partial::from_point(noon, value(def, n));
            // Every third day has a second, later point.
            if n.is_multiple_of(3) {
                let later = noon + Duration::hours(5);
                p = p.merge(Partial::from_point(later, value(def, n >> 7)));
            }
            days.push((date, p));
        }
        facts.daily.insert(def.name.to_string(), days);
        facts.kinds.insert(def.name.to_string(), def.kind);
        if noise(org, m, 0, 2).is_multiple_of(4) {
            let last = first + Duration::days(DAYS - 1);
            let back = (noise(org, m, 0, 3) % 30) as i64;
            facts.anomalies.insert(
                def.name.to_string(),
                vec![
                    last - Duration::days(back + 40),
                    last - Duration::days(back),
                ],
            );
        }
    }
    let figures = |salt: u64| {
        let f = |k: u64| Some(20.0 + (noise(org, 0, salt as i64, k) % 8_000) as f64 / 100.0);
        ScoreFigures {
            overall: f(1),
            financial: f(2),
            customer: f(3),
            operational: f(4),
            growth: f(5),
            risk: if salt.is_multiple_of(11) { None } else { f(6) },
        }
    };
    facts.score = Some(figures(1_000));
    facts.score_history = (0..90)
        .map(|i| (now - Duration::days(90 - i), figures(i as u64)))
        .collect();
    for (i, f) in FactorId::ALL.iter().enumerate() {
        let n = noise(org, i, 0, 4);
        let v = match f {
            FactorId::CashRunway if n.is_multiple_of(5) => f64::INFINITY,
            FactorId::CashRunway => (n % 3_000) as f64 / 100.0,
            FactorId::ChurnRate => (n % 1_000) as f64 / 10_000.0,
            _ => (n % 10_000) as f64 / 1_000.0,
        };
        facts.factors.insert(*f, v);
    }
    facts
}

/// The organization's 10 rules: every op, and metric, score and factor targets.
fn org_rules(org: usize, defs: &[&MetricDef]) -> Vec<RuleSpec> {
    let pick = |k: usize, kind: Option<Kind>| {
        let mut i = (org * 7 + k * 13) % defs.len();
        while kind.is_some_and(|want| defs[i].kind != want) {
            i = (i + 1) % defs.len();
        }
        defs[i].name.to_string()
    };
    let bodies = [
        json!({"target": {"metric_type": pick(0, Some(Kind::Flow))},
               "condition": {"op": "above", "value": "200000", "window": "30d"}}),
        json!({"target": {"metric_type": pick(1, Some(Kind::Stock))},
               "condition": {"op": "below", "value": "5000"}}),
        json!({"target": {"metric_type": pick(2, Some(Kind::Rate))},
               "condition": {"op": "below", "value": "0.5", "window": "1w"}}),
        json!({"target": {"metric_type": pick(3, None)},
               "condition": {"op": "change_below", "value": "-1000", "window": "30d"}}),
        json!({"target": {"metric_type": pick(4, None)},
               "condition": {"op": "change_pct_above", "value": "15", "window": "7d"}}),
        json!({"target": {"metric_type": pick(5, None)},
               "condition": {"op": "change_pct_below", "value": "-10", "window": "90d"}}),
        json!({"target": {"metric_type": pick(6, None)}, "condition": {"op": "anomaly"}}),
        json!({"target": {"score": "overall"},
               "condition": {"op": "change_below", "value": "-10", "window": "30d"}}),
        json!({"target": {"score": if org.is_multiple_of(2) { "financial" } else { "risk" }},
               "condition": {"op": "below", "value": "40"}}),
        if org.is_multiple_of(2) {
            json!({"target": {"factor": "cash_runway"}, "condition": {"op": "below", "value": "6"}})
        } else {
            json!({"target": {"factor": "churn_rate"}, "condition": {"op": "above", "value": "0.03"}})
        },
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(k, mut body)| {
            body["name"] = json!(format!("rule {k}"));
            body["severity"] = json!("medium");
            body["for_evaluations"] = json!(1 + k % 3);
            body["cooldown"] = json!("1h");
            parse_rule(&body).unwrap_or_else(|e| panic!("rule {k} refused: {e:?}"))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    holds: u64,
    clear: u64,
    no_data: u64,
    triggers: u64,
}

fn main() {
    let defs: Vec<&MetricDef> = canonical().iter().take(METRICS).collect();
    let now = Utc.with_ymd_and_hms(2024, 7, 1, 6, 0, 0).unwrap();
    let first = now.date_naive() - Duration::days(DAYS);
    let mut run_ms = [0.0f64; RUNS];
    let mut tally = Tally::default();
    let mut rules_total = 0usize;
    let build = Instant::now();
    let mut build_ms = 0.0;
    for chunk in (0..ORGS).step_by(CHUNK) {
        let started = Instant::now();
        let orgs: Vec<(Facts, Vec<RuleSpec>)> = (chunk..(chunk + CHUNK).min(ORGS))
            .map(|org| (org_facts(org, &defs, first, now), org_rules(org, &defs)))
            .collect();
        let states: Vec<RuleState> = vec![RuleState::default(); orgs.len() * RULES_PER_ORG];
        build_ms += started.elapsed().as_secs_f64() * 1e3;
        for (run, total) in run_ms.iter_mut().enumerate() {
            let started = Instant::now();
            let mut i = 0;
            for (facts, rules) in &orgs {
                for spec in rules {
                    let verdict = check(spec, facts);
                    let (state, action) = evaluate(spec, &states[i], &verdict, now);
                    if run == 0 {
                        match verdict {
                            Verdict::Holds(_) => tally.holds += 1,
                            Verdict::Clear(_) => tally.clear += 1,
                            Verdict::NoData => tally.no_data += 1,
                        }
                        tally.triggers += u64::from(matches!(action, Action::Trigger(_)));
                    }
                    black_box((state, action));
                    i += 1;
                }
            }
            *total += started.elapsed().as_secs_f64() * 1e3;
            if run == 0 {
                rules_total += i;
            }
        }
    }
    let mut sorted = run_ms;
    sorted.sort_by(f64::total_cmp);
    let median = sorted[RUNS / 2];
    println!(
        "built {ORGS} organizations ({METRICS} metrics x {DAYS} days each, {} bytes per day) in \
         {:.0} ms (wall {:.0} ms)",
        std::mem::size_of::<(NaiveDate, Partial)>(),
        build_ms,
        build.elapsed().as_secs_f64() * 1e3,
    );
    println!(
        "verdicts: {} holds, {} clear, {} no data; {} triggers",
        tally.holds, tally.clear, tally.no_data, tally.triggers
    );
    println!(
        "check+evaluate over {rules_total} rules: median of {RUNS} runs {median:.1} ms \
         (runs: {}) = {:.0} rules/s",
        run_ms
            .iter()
            .map(|ms| format!("{ms:.1}"))
            .collect::<Vec<_>>()
            .join(", "),
        rules_total as f64 / (median / 1e3),
    );
}
