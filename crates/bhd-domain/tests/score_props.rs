//! Properties of the health-score model that SCORING.md requires, on random KPIs and random
//! monthly metrics:
//! - every score (factor, category, overall) is within 0–100, and finite;
//! - improving any KPI in its good direction never lowers any score;
//! - absent data never lowers a score below what the present data gives: an absent factor is
//!   left out, not counted as zero, so every category and the overall stay within the range of
//!   the present factors' scores, and dropping a factor scores at least as high as keeping it
//!   at its worst (score 0);
//! - the same input gives the same output;
//! - the overall equals the sum of the factors' contributions, and the drivers of a change sum
//!   to that change.

use bhd_domain::metrics::{Category, Direction, canonical};
use bhd_domain::org::Industry;
use bhd_domain::score::{
    Absent, Applies, CategoryWeights, FactorId, Kpi, Kpis, Score, ScoreInput, applies, curve,
    drivers, kpis, score, score_kpis,
};
use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;

const EPS: f64 = 1e-9;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-07-03T10:00:00Z")
        .unwrap()
        .to_utc()
}

fn industry() -> impl Strategy<Value = Industry> {
    proptest::sample::select(Industry::ALL.to_vec())
}

/// Valid weights: the defaults half of the time, else five random parts of 100.
fn weights() -> impl Strategy<Value = CategoryWeights> {
    prop_oneof![
        Just(CategoryWeights::default()),
        proptest::collection::vec(0i64..=100, 4).prop_map(|mut cuts| {
            cuts.sort_unstable();
            let parts = [
                cuts[0],
                cuts[1] - cuts[0],
                cuts[2] - cuts[1],
                cuts[3] - cuts[2],
                100 - cuts[3],
            ];
            CategoryWeights::new(parts[0], parts[1], parts[2], parts[3], parts[4]).unwrap()
        }),
    ]
}

/// One factor's raw draw: present?, position along its curve (−0.5 … 1.5 of the breakpoints'
/// span, so both clamped ends are reached), confidence, and 1 in 20 each for ±∞.
type Draw = (bool, f64, f64, u8);

fn draws() -> impl Strategy<Value = Vec<Draw>> {
    proptest::collection::vec(
        (
            proptest::bool::weighted(0.8),
            -0.5f64..1.5,
            0.0f64..=1.0,
            0u8..20,
        ),
        FactorId::ALL.len(),
    )
}

fn position_to_kpi(f: FactorId, industry: Industry, t: f64) -> f64 {
    let p = curve(f, industry).points();
    let (x0, xn) = (p[0].0, p[p.len() - 1].0);
    x0 + t * (xn - x0)
}

fn to_kpis(industry: Industry, draws: &[Draw]) -> Kpis {
    FactorId::ALL
        .iter()
        .zip(draws)
        .map(|(f, &(present, t, confidence, special))| {
            let k = if present {
                let value = match special {
                    0 => f64::INFINITY,
                    1 => f64::NEG_INFINITY,
                    _ => position_to_kpi(*f, industry, t),
                };
                Ok(Kpi {
                    value,
                    confidence,
                    note: None,
                })
            } else {
                Err(Absent {
                    reason: "test".into(),
                    needs: vec![],
                })
            };
            (*f, k)
        })
        .collect()
}

fn run(industry: Industry, w: CategoryWeights, k: &Kpis) -> Score {
    score_kpis(industry, as_of(), now(), w, k)
}

/// Every score within 0–100 and finite, confidences and coverage within 0–1, effective weights
/// summing to 1 and the overall equal to the sum of contributions whenever there is one.
fn check_invariants(s: &Score) -> Result<(), TestCaseError> {
    let in_range = |x: f64| x.is_finite() && (0.0..=100.0).contains(&x);
    let unit = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
    for f in s.factors() {
        if let Some(x) = f.score {
            prop_assert!(in_range(x), "{} = {x}", f.name);
            prop_assert!(unit(f.confidence.unwrap()));
        }
        prop_assert!(f.value.is_none_or(f64::is_finite));
        prop_assert!(f.effective_weight.is_finite() && f.effective_weight >= 0.0);
        prop_assert!(f.contribution.is_finite());
    }
    for c in &s.categories {
        if let Some(x) = c.score {
            prop_assert!(in_range(x), "{} = {x}", c.name);
        }
        prop_assert!(unit(c.coverage));
    }
    prop_assert!(unit(s.coverage));
    if let Some(c) = s.confidence {
        prop_assert!(unit(c));
    }
    if let Some(overall) = s.overall {
        prop_assert!(in_range(overall));
        let sum: f64 = s.factors().map(|f| f.contribution).sum();
        prop_assert!((overall - sum).abs() < EPS, "{overall} vs {sum}");
        let weights: f64 = s.factors().map(|f| f.effective_weight).sum();
        prop_assert!((weights - 1.0).abs() < EPS, "{weights}");
        prop_assert!(s.coverage >= 0.25 - EPS);
    }
    Ok(())
}

/// `after` scores at least `before` everywhere `before` has a score.
fn never_lower(before: &Score, after: &Score) -> Result<(), TestCaseError> {
    let ge = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(b), Some(a)) => a >= b - EPS,
        (None, _) => true,
        (Some(_), None) => false,
    };
    prop_assert!(
        ge(before.overall, after.overall),
        "overall {:?} → {:?}",
        before.overall,
        after.overall
    );
    for (b, a) in before.categories.iter().zip(&after.categories) {
        prop_assert!(
            ge(b.score, a.score),
            "{}: {:?} → {:?}",
            b.name,
            b.score,
            a.score
        );
    }
    for (b, a) in before.factors().zip(after.factors()) {
        prop_assert!(
            ge(b.score, a.score),
            "{}: {:?} → {:?}",
            b.name,
            b.score,
            a.score
        );
    }
    Ok(())
}

/// Monthly data for a random subset of the canonical metrics over the 16 months to `as_of`,
/// with gaps and values of every sign and size.
fn monthly_input() -> impl Strategy<Value = ScoreInput> {
    let n = canonical().len();
    (
        industry(),
        weights(),
        proptest::collection::vec(proptest::bool::weighted(0.7), n),
        proptest::collection::vec(
            proptest::option::weighted(
                0.85,
                prop_oneof![
                    -1_000.0f64..1_000.0,
                    0.0f64..1.0,
                    Just(0.0),
                    -10_000_000.0f64..10_000_000.0,
                    0.0f64..100_000.0,
                ],
            ),
            n * 16,
        ),
        0i64..200,
    )
        .prop_map(|(industry, w, metrics, values, age)| {
            let mut input = ScoreInput::new(industry, as_of(), now());
            input.weights = Some(w);
            for (i, def) in canonical().iter().enumerate() {
                if !metrics[i] {
                    continue;
                }
                for back in 0..16u32 {
                    if let Some(v) = values[i * 16 + back as usize] {
                        let month = as_of().checked_sub_months(Months::new(back)).unwrap();
                        input.set(&def.name, month, v);
                    }
                }
            }
            // One metric was last seen a random number of days ago.
            input
                .last_seen
                .insert("revenue".into(), now() - TimeDelta::days(age));
            input
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn scores_stay_in_range_and_sum_exactly(
        industry in industry(),
        w in weights(),
        d in draws(),
    ) {
        let k = to_kpis(industry, &d);
        let s = run(industry, w, &k);
        check_invariants(&s)?;
        // Deterministic.
        prop_assert_eq!(&s, &run(industry, w, &k));
    }

    #[test]
    fn improving_a_kpi_never_lowers_any_score(
        industry in industry(),
        w in weights(),
        d in draws(),
        pick in 0..FactorId::ALL.len(),
        step in 0.0f64..1.0,
    ) {
        let f = FactorId::ALL[pick];
        let before = to_kpis(industry, &d);
        let Some(Ok(k)) = before.get(&f) else { return Ok(()) };
        let span = {
            let p = curve(f, industry).points();
            p[p.len() - 1].0 - p[0].0
        };
        let better = match curve(f, industry).good() {
            Direction::Up => k.value + step * span,
            Direction::Down => k.value - step * span,
            Direction::Neutral => k.value,
        };
        let mut after = before.clone();
        after.insert(f, Ok(Kpi { value: better, ..k.clone() }));
        let (b, a) = (run(industry, w, &before), run(industry, w, &after));
        never_lower(&b, &a)?;
        // And the factor itself moved the right way on its own curve.
        prop_assert!(curve(f, industry).eval(better) >= curve(f, industry).eval(k.value));
    }

    #[test]
    fn absent_data_is_never_counted_as_zero(
        industry in industry(),
        w in weights(),
        d in draws(),
        remove in proptest::collection::vec(any::<bool>(), FactorId::ALL.len()),
        pick in 0..FactorId::ALL.len(),
    ) {
        let full = to_kpis(industry, &d);
        let mut less = full.clone();
        for (f, r) in FactorId::ALL.iter().zip(&remove) {
            if *r {
                less.remove(f);
            }
        }
        let s = run(industry, w, &less);
        check_invariants(&s)?;
        // Each category is a mean of its present factors only...
        for c in &s.categories {
            let present: Vec<f64> = c.factors.iter().filter_map(|f| f.score).collect();
            match c.score {
                None => prop_assert!(present.is_empty()),
                Some(x) => {
                    let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(lo - EPS <= x && x <= hi + EPS, "{}: {x} outside {lo}..{hi}", c.name);
                }
            }
        }
        // ...and the overall a mean of the present factors of weighted categories.
        if let Some(x) = s.overall {
            let present: Vec<f64> = s
                .categories
                .iter()
                .filter(|c| c.weight > 0)
                .flat_map(|c| c.factors.iter().filter_map(|f| f.score))
                .collect();
            let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(lo - EPS <= x && x <= hi + EPS, "{x} outside {lo}..{hi}");
        }
        // Dropping a factor never scores lower than keeping it at a score of 0.
        let f = FactorId::ALL[pick];
        let c = curve(f, industry);
        if applies(f, industry) != Applies::No && c.range().0 == 0.0 {
            let mut without = less.clone();
            without.remove(&f);
            let mut zero = less.clone();
            zero.insert(f, Ok(Kpi::new(c.kpi_for(0.0).unwrap())));
            let (sw, sz) = (run(industry, w, &without), run(industry, w, &zero));
            prop_assert_eq!(sz.factor(f).unwrap().score, Some(0.0));
            if let (Some(a), Some(b)) = (sw.overall, sz.overall) {
                prop_assert!(a >= b - EPS, "without {a} < with zero {b}");
            }
            let cat = f.def().category;
            if let (Some(a), Some(b)) = (
                sw.category(cat).and_then(|c| c.score),
                sz.category(cat).and_then(|c| c.score),
            ) {
                prop_assert!(a >= b - EPS);
            }
        }
    }

    #[test]
    fn drivers_sum_to_the_change(
        industry in industry(),
        w in weights(),
        d1 in draws(),
        d2 in draws(),
    ) {
        let (prev, cur) = (
            run(industry, w, &to_kpis(industry, &d1)),
            run(industry, w, &to_kpis(industry, &d2)),
        );
        let ds = drivers(&prev, &cur);
        match (prev.overall, cur.overall) {
            (Some(p), Some(c)) => {
                let total: f64 = ds.iter().map(|x| x.change).sum();
                prop_assert!((total - (c - p)).abs() < EPS, "{total} vs {}", c - p);
                for x in &ds {
                    prop_assert!((x.change - (x.current_contribution - x.previous_contribution)).abs() < EPS);
                }
                prop_assert!(ds.windows(2).all(|w| w[0].change.abs() >= w[1].change.abs()));
            }
            _ => prop_assert!(ds.is_empty()),
        }
        // Against itself, nothing moved.
        prop_assert!(drivers(&cur, &cur).is_empty());
    }

    #[test]
    fn any_monthly_data_gives_a_well_formed_score(input in monthly_input()) {
        let s = score(&input);
        check_invariants(&s)?;
        // Every absent factor says why; every present one has a finite confidence.
        for f in s.factors() {
            prop_assert_eq!(f.score.is_none(), f.absent_reason.is_some(), "{}", f.name);
        }
        // Deterministic, down to the JSON.
        let again = score(&input.clone());
        prop_assert_eq!(
            serde_json::to_string(&s).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
        // The KPI layer never produces NaN.
        for k in kpis(&input).values().flatten() {
            prop_assert!(!k.value.is_nan());
        }
    }

    #[test]
    fn better_metric_values_never_lower_any_score(
        input in monthly_input(),
        pick in 0usize..6,
        delta in 0.0f64..10_000.0,
    ) {
        // Metrics that feed exactly one factor, with the direction that is good for it.
        let (metric, up) = [
            ("nps", true),
            ("uptime", true),
            ("cash_balance", true),
            ("customer_lifetime_value", true),
            ("largest_customer_revenue_share", false),
            ("compliance_items_ok", true),
        ][pick];
        let mut better = input.clone();
        if let Some(series) = better.months.get_mut(metric) {
            for v in series.values_mut() {
                *v += if up { delta } else { -delta };
            }
        }
        never_lower(&score(&input), &score(&better))?;
    }
}

#[test]
fn categories_follow_scoring_md_order() {
    let s = score(&ScoreInput::new(Industry::General, as_of(), now()));
    let names: Vec<Category> = s.categories.iter().map(|c| c.name).collect();
    assert_eq!(names, Category::ALL);
    assert_eq!(s.overall, None);
}
