//! Unit tests of the score arithmetic on hand-made KPIs, with figures worked out by hand.

use super::*;
use crate::metrics::Category;
use crate::org::Industry;
use chrono::{DateTime, NaiveDate, Utc};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-07-02T08:00:00Z")
        .unwrap()
        .to_utc()
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
}

fn kpi(value: f64) -> Result<Kpi, Absent> {
    Ok(Kpi::new(value))
}

/// Financial complete (scores 60, 70, 100, 60, 40: mean 66), customer two of its five core
/// factors for `general` (55, 70: mean 62.5), nothing else.
fn sample() -> Kpis {
    let mut k = Kpis::new();
    k.insert(FactorId::ProfitMargin, kpi(0.05));
    k.insert(FactorId::CashFlowRatio, kpi(0.10));
    k.insert(
        FactorId::CashRunway,
        Ok(Kpi {
            value: f64::INFINITY,
            confidence: 1.0,
            note: Some("cash-flow positive: not burning cash".into()),
        }),
    );
    k.insert(FactorId::BurnRate, kpi(0.20));
    k.insert(FactorId::CurrentRatio, kpi(1.0));
    k.insert(
        FactorId::Nps,
        Ok(Kpi {
            value: 20.0,
            confidence: 0.5,
            note: None,
        }),
    );
    k.insert(FactorId::ChurnRate, kpi(0.03));
    k.insert(
        FactorId::LtvToCac,
        Err(Absent {
            reason: "needs customer_lifetime_value".into(),
            needs: vec!["customer_lifetime_value".into()],
        }),
    );
    k
}

fn run(k: &Kpis, w: CategoryWeights) -> Score {
    score_kpis(Industry::General, as_of(), now(), w, k)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn weighted_means_over_what_is_present() {
    let s = run(&sample(), CategoryWeights::default());
    assert!(close(s.financial.unwrap(), 66.0));
    assert!(close(s.customer.unwrap(), 62.5));
    assert_eq!(s.operational, None);
    assert_eq!(s.growth, None);
    assert_eq!(s.risk, None);
    // Financial and customer weigh 25 each: the overall is their plain mean.
    assert!(close(s.overall.unwrap(), 64.25));
    // Financial has all its weight, customer 2 of its 5 core factors (net revenue retention
    // does not apply to `general`).
    assert!(close(s.coverage, (25.0 + 25.0 * 2.0 / 5.0) / 100.0));
    let pm = s.factor(FactorId::ProfitMargin).unwrap();
    assert!(close(pm.effective_weight, 0.1));
    assert!(close(pm.contribution, 6.0));
    let nps = s.factor(FactorId::Nps).unwrap();
    assert!(close(nps.effective_weight, 0.25));
    assert!(close(nps.contribution, 13.75));
    // Financial factors at full confidence, churn full, NPS half: 0.5 + 0.25 + 0.125.
    assert!(close(s.confidence.unwrap(), 0.875));
    assert!(close(
        s.category(Category::Customer).unwrap().confidence.unwrap(),
        0.75
    ));
    let sum: f64 = s.factors().map(|f| f.contribution).sum();
    assert_eq!(sum, s.overall.unwrap());
    let runway = s.factor(FactorId::CashRunway).unwrap();
    assert_eq!((runway.value, runway.score), (None, Some(100.0)));
    assert_eq!(s.stored().overall, Some(64));
    assert_eq!(
        s.stored().customer,
        Some(63),
        "62.5 rounds half away from zero"
    );
    assert_eq!(s.model_version, MODEL_VERSION);
}

#[test]
fn absent_factors_and_categories_explain_themselves() {
    let s = run(&sample(), CategoryWeights::default());
    let ltv = s.factor(FactorId::LtvToCac).unwrap();
    assert_eq!((ltv.score, ltv.value, ltv.confidence), (None, None, None));
    assert_eq!(ltv.effective_weight, 0.0);
    assert_eq!(
        ltv.absent_reason.as_deref(),
        Some("needs customer_lifetime_value")
    );
    // A factor missing from the map is absent too, with its inputs as what it needs.
    let cac = s.factor(FactorId::CacPayback).unwrap();
    assert_eq!(cac.absent_reason.as_deref(), Some("not measured"));
    let customer = s.category(Category::Customer).unwrap();
    assert!(customer.hint.is_none(), "present categories need no hint");
    assert!(
        customer
            .needs
            .contains(&"customer_lifetime_value".to_owned())
    );
    let growth = s.category(Category::Growth).unwrap();
    assert_eq!(growth.score, None);
    let hint = growth.hint.as_deref().unwrap();
    assert!(
        hint.starts_with("Send or backfill revenue, leads"),
        "{hint}"
    );
    assert!(hint.ends_with("to unlock the growth score."), "{hint}");
    // Optional factors are listed but not held against coverage or the hint.
    let uptime = s.factor(FactorId::Uptime).unwrap();
    assert!(uptime.optional);
    assert!(
        !s.category(Category::Operational)
            .unwrap()
            .needs
            .contains(&"uptime".to_owned())
    );
    // Factors for other industries are not listed at all.
    assert!(s.factor(FactorId::InventoryTurnover).is_none());
    assert!(s.factor(FactorId::RuleOf40).is_none());
}

#[test]
fn low_coverage_gives_no_overall() {
    let mut k = sample();
    for f in [
        FactorId::CashFlowRatio,
        FactorId::CashRunway,
        FactorId::BurnRate,
        FactorId::CurrentRatio,
    ] {
        k.remove(&f);
    }
    let s = run(&k, CategoryWeights::default());
    // 25 / 5 + 25 × 2 / 5 = 15 % of the weight.
    assert!(close(s.coverage, 0.15));
    assert_eq!(s.overall, None);
    let reason = s.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("Only 15 % of the model's weight has data"),
        "{reason}"
    );
    assert!(reason.contains("at least 25 %"), "{reason}");
    assert!(s.financial.is_some(), "categories are still reported");
    assert!(
        run(&Kpis::new(), CategoryWeights::default())
            .overall
            .is_none()
    );
}

#[test]
fn organization_weights_change_the_overall() {
    let w = |f, c, o, g, r| CategoryWeights::new(f, c, o, g, r).unwrap();
    let s = run(&sample(), w(100, 0, 0, 0, 0));
    assert!(close(s.overall.unwrap(), 66.0));
    assert!(close(s.coverage, 1.0));
    assert_eq!(s.factor(FactorId::Nps).unwrap().effective_weight, 0.0);
    let s = run(&sample(), w(0, 100, 0, 0, 0));
    assert!(close(s.overall.unwrap(), 62.5));
    assert!(close(s.coverage, 0.4));
    let s = run(&sample(), w(40, 10, 20, 20, 10));
    assert!(close(
        s.overall.unwrap(),
        (40.0 * 66.0 + 10.0 * 62.5) / 50.0
    ));
    // Only weightless categories have data: no overall.
    let s = run(&sample(), w(0, 0, 0, 100, 0));
    assert_eq!(s.overall, None);
    assert_eq!(s.coverage, 0.0);
}

#[test]
fn drivers_split_the_change_exactly() {
    let before = run(&sample(), CategoryWeights::default());
    let mut k = sample();
    k.insert(FactorId::Nps, kpi(50.0));
    let after = run(&k, CategoryWeights::default());
    assert!(close(after.overall.unwrap(), 70.5));
    let d = drivers(&before, &after);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].factor, FactorId::Nps);
    assert!(close(d[0].change, 6.25));
    assert_eq!(
        (d[0].previous_score, d[0].current_score),
        (Some(55.0), Some(80.0))
    );

    // A factor appearing re-weights the others: every move is a driver, and they still sum.
    let mut k = sample();
    k.insert(FactorId::LtvToCac, kpi(5.0));
    let after = run(&k, CategoryWeights::default());
    let d = drivers(&before, &after);
    assert_eq!(d[0].factor, FactorId::LtvToCac);
    assert!(
        d.iter()
            .any(|x| x.factor == FactorId::Nps && x.change < 0.0)
    );
    let total: f64 = d.iter().map(|x| x.change).sum();
    assert!(close(
        total,
        after.overall.unwrap() - before.overall.unwrap()
    ));
    assert!(drivers(&before, &run(&Kpis::new(), CategoryWeights::default())).is_empty());
}

#[test]
fn recommendations_name_the_benchmark_and_a_next_step() {
    let s = run(&sample(), CategoryWeights::default());
    let r = recommendations(&s);
    // Below 60: NPS (55, weight 0.25 → 5 points to gain) and current ratio (40, weight 0.1 →
    // 3.5 points).
    let names: Vec<_> = r.iter().map(|x| x.factor).collect();
    assert_eq!(names, [FactorId::Nps, FactorId::CurrentRatio]);
    assert!(close(r[0].potential, 5.0));
    assert_eq!(r[1].target_value, Some(1.5));
    assert_eq!(
        r[1].title,
        "current ratio is 1.00×; 1.50× would score 75 (it scores 40)"
    );
    assert!(r[1].benchmark.contains("2:1"));
    assert!(!r[1].action.is_empty());
}

#[test]
fn json_has_the_shape_of_get_health_score() {
    let s = run(&sample(), CategoryWeights::default());
    let v = serde_json::to_value(&s).unwrap();
    for key in [
        "overall",
        "financial",
        "customer",
        "operational",
        "growth",
        "risk",
        "coverage",
        "confidence",
        "model_version",
        "calculated_at",
        "categories",
        "drivers",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["growth"], serde_json::Value::Null);
    assert_eq!(v["model_version"], "1.0.0");
    assert_eq!(v["calculated_at"], "2024-07-02T08:00:00Z");
    let cat = &v["categories"][0];
    assert_eq!(cat["name"], "financial");
    assert_eq!(cat["weight"], 25);
    assert!(cat.get("hint").is_none());
    assert!(v["categories"][3]["hint"].is_string());
    let f = &cat["factors"][0];
    for key in [
        "name",
        "kpi",
        "value",
        "score",
        "effective_weight",
        "contribution",
        "benchmark",
        "source",
        "confidence",
    ] {
        assert!(f.get(key).is_some(), "{key}");
    }
    assert_eq!(f["name"], "profit_margin");
    assert_eq!(f["score"], 60.0);
    let absent = &v["categories"][1]["factors"];
    let ltv = absent
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ltv_to_cac")
        .unwrap();
    assert_eq!(ltv["absent_reason"], "needs customer_lifetime_value");
    // It reads back as it was written (the previous score, for drivers), to the last bits that
    // JSON's decimal form may round.
    let back: Score = serde_json::from_value(v).unwrap();
    assert!(close(back.overall.unwrap(), s.overall.unwrap()));
    assert_eq!(back.categories.len(), s.categories.len());
    for (a, b) in back.factors().zip(s.factors()) {
        assert_eq!(
            (a.name, &a.absent_reason, &a.note),
            (b.name, &b.absent_reason, &b.note)
        );
        assert!(close(a.contribution, b.contribution));
    }
    assert_eq!((back.as_of, back.calculated_at), (s.as_of, s.calculated_at));
}
