use super::*;
use crate::metrics::{Amount, Kind};
use crate::period::Partial;
use crate::score::FactorId;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn day(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

/// One point at noon on `d`.
fn point(d: NaiveDate, v: &str) -> (NaiveDate, Partial) {
    let noon = d.and_hms_opt(12, 0, 0).unwrap().and_utc();
    (d, Partial::from_point(noon, amount(v)))
}

/// `values[i]` on the day `first + i`; `None` leaves the day without data.
fn series(first: &str, values: &[Option<&str>]) -> Vec<(NaiveDate, Partial)> {
    let first = day(first);
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| point(first + Duration::days(i as i64), v)))
        .collect()
}

fn every_day(first: &str, n: usize, v: &str) -> Vec<(NaiveDate, Partial)> {
    series(first, &vec![Some(v); n])
}

fn facts() -> Facts {
    Facts {
        now: at("2024-07-01T06:00:00Z"),
        ..Facts::default()
    }
}

fn with_metric(mut f: Facts, name: &str, data: Vec<(NaiveDate, Partial)>) -> Facts {
    f.daily.insert(name.to_owned(), data);
    f
}

fn rule(target: Target, op: Op, value: Option<&str>, window_days: Option<u32>) -> RuleSpec {
    RuleSpec {
        name: "test rule".into(),
        target,
        condition: Condition {
            op,
            value: value.map(dec),
            window_days,
        },
        severity: Severity::High,
        for_evaluations: 1,
        for_duration: Duration::zero(),
        cooldown: Duration::hours(1),
        channels: Vec::new(),
        enabled: true,
    }
}

fn metric(name: &str) -> Target {
    Target::Metric(name.into())
}

fn current(v: &Verdict) -> Decimal {
    v.reading().unwrap().current
}

fn holds(v: &Verdict) -> bool {
    matches!(v, Verdict::Holds(_))
}

fn clear(v: &Verdict) -> bool {
    matches!(v, Verdict::Clear(_))
}

// --- Metric targets -------------------------------------------------------------------------

#[test]
fn above_and_below_on_the_latest_day() {
    let f = with_metric(
        facts(),
        "revenue",
        series(
            "2024-06-27",
            &[Some("500"), Some("90"), None, Some("120.5")],
        ),
    );
    let above = |v| check(&rule(metric("revenue"), Op::Above, Some(v), None), &f);
    let below = |v| check(&rule(metric("revenue"), Op::Below, Some(v), None), &f);
    assert!(holds(&above("120")));
    assert_eq!(current(&above("120")), dec("120.5"));
    assert!(clear(&above("120.5")), "strictly above");
    assert!(holds(&below("121")));
    assert!(clear(&below("120.5")), "strictly below");
    let r = *above("100").reading().unwrap();
    assert_eq!(r.threshold, Some(dec("100")));
    assert_eq!(r.baseline, None);
}

#[test]
fn flow_window_is_the_sum_of_its_days() {
    // 40 days of 100; the latest 30 sum to 3000, whatever lies before them.
    let f = with_metric(facts(), "revenue", every_day("2024-05-01", 40, "100"));
    let r = |op, v| check(&rule(metric("revenue"), op, Some(v), Some(30)), &f);
    assert_eq!(current(&r(Op::Above, "2999")), dec("3000"));
    assert!(holds(&r(Op::Above, "2999")));
    assert!(clear(&r(Op::Above, "3000")));
    assert!(holds(&r(Op::Below, "3000.01")));
    assert!(clear(&r(Op::Below, "3000")));
}

#[test]
fn missing_days_count_as_no_data_not_zero() {
    // Two points in a 7-day window: the sum is of those two; a rate averages only them.
    let values = [Some("10"), None, None, Some("30"), None, None, None];
    let f = with_metric(facts(), "revenue", series("2024-06-01", &values));
    let mut f = with_metric(f, "my_rate", series("2024-06-01", &values));
    f.kinds.insert("my_rate".into(), Kind::Rate);
    let flow = check(&rule(metric("revenue"), Op::Above, Some("0"), Some(7)), &f);
    assert_eq!(current(&flow), dec("40"));
    let rate = check(&rule(metric("my_rate"), Op::Above, Some("0"), Some(7)), &f);
    assert_eq!(current(&rate), dec("20"));
    // The window counts back from the latest day with data (06-04), not from `now`.
    let latest = check(&rule(metric("revenue"), Op::Above, Some("0"), None), &f);
    assert_eq!(current(&latest), dec("30"));
}

#[test]
fn stock_window_takes_the_last_value() {
    let f = with_metric(
        facts(),
        "cash_balance",
        series("2024-06-01", &[Some("1000"), Some("5000"), Some("800")]),
    );
    let v = check(
        &rule(metric("cash_balance"), Op::Below, Some("900"), Some(30)),
        &f,
    );
    assert!(holds(&v));
    assert_eq!(current(&v), dec("800"));
    let v = check(
        &rule(metric("cash_balance"), Op::Below, Some("800"), Some(30)),
        &f,
    );
    assert!(clear(&v));
}

#[test]
fn rate_window_is_the_average() {
    let f = with_metric(
        facts(),
        "uptime",
        series("2024-06-01", &[Some("0.99"), Some("0.98"), Some("1")]),
    );
    let v = check(
        &rule(metric("uptime"), Op::Below, Some("0.995"), Some(3)),
        &f,
    );
    assert_eq!(current(&v), dec("0.99"));
    assert!(holds(&v));
    let v = check(
        &rule(metric("uptime"), Op::Below, Some("0.99"), Some(3)),
        &f,
    );
    assert!(clear(&v));
}

#[test]
fn a_rate_with_parts_is_recomputed_from_them_as_the_dashboard_does() {
    // Average order value from its own daily points would average 50 and 10 = 30; from its
    // parts it is (1000 + 100) / (20 + 10) = 36.666667.
    let f = with_metric(
        facts(),
        "average_order_value",
        series("2024-06-01", &[Some("50"), Some("10")]),
    );
    let f = with_metric(
        f,
        "revenue",
        series("2024-06-01", &[Some("1000"), Some("100")]),
    );
    let f = with_metric(f, "orders", series("2024-06-01", &[Some("20"), Some("10")]));
    let spec = rule(
        metric("average_order_value"),
        Op::Below,
        Some("40"),
        Some(2),
    );
    assert_eq!(current(&check(&spec, &f)), dec("36.666667"));
    assert_eq!(
        daily_metrics(&spec),
        ["average_order_value", "revenue", "orders"]
    );
    // Without its parts, its own points are averaged.
    let mut own = f.clone();
    own.daily.remove("orders");
    assert_eq!(current(&check(&spec, &own)), dec("30"));
    // Parts alone give the metric a value even if it was never sent itself.
    let mut parts = f.clone();
    parts.daily.remove("average_order_value");
    assert!(holds(&check(&spec, &parts)));
}

#[test]
fn change_above_and_below_compare_with_the_previous_window() {
    // 7 days of 100 then 7 days of 70: the weekly total fell by 210.
    let mut values = vec![Some("100"); 7];
    values.extend(vec![Some("70"); 7]);
    let f = with_metric(facts(), "revenue", series("2024-06-01", &values));
    let r = |op, v| check(&rule(metric("revenue"), op, Some(v), Some(7)), &f);
    let v = r(Op::ChangeBelow, "-200");
    assert!(holds(&v));
    let reading = v.reading().unwrap();
    assert_eq!(
        (reading.current, reading.baseline),
        (dec("490"), Some(dec("700")))
    );
    assert_eq!(reading.change(Op::ChangeBelow), Some(dec("-210")));
    assert!(clear(&r(Op::ChangeBelow, "-210")));
    assert!(clear(&r(Op::ChangeAbove, "0")));
    assert!(holds(&r(Op::ChangeAbove, "-211")));
    // A rise fires change_above.
    let mut up = vec![Some("70"); 7];
    up.extend(vec![Some("100"); 7]);
    let f = with_metric(facts(), "revenue", series("2024-06-01", &up));
    let v = check(
        &rule(metric("revenue"), Op::ChangeAbove, Some("200"), Some(7)),
        &f,
    );
    assert!(holds(&v));
}

#[test]
fn change_pct_compares_percent_of_the_previous_window() {
    let f = with_metric(
        facts(),
        "revenue",
        series("2024-06-01", &[Some("200"), Some("150")]),
    );
    let r = |op, v| check(&rule(metric("revenue"), op, Some(v), Some(1)), &f);
    let v = r(Op::ChangePctBelow, "-20");
    assert!(holds(&v));
    assert_eq!(
        v.reading().unwrap().change(Op::ChangePctBelow),
        Some(dec("-25"))
    );
    assert!(clear(&r(Op::ChangePctBelow, "-25")));
    assert!(holds(&r(Op::ChangePctAbove, "-30")));
    assert!(clear(&r(Op::ChangePctAbove, "10")));
    // Against a negative baseline the percent is of its magnitude: −100 → −50 rose 50 %.
    let f = with_metric(
        facts(),
        "net_profit",
        series("2024-06-01", &[Some("-100"), Some("-50")]),
    );
    let v = check(
        &rule(
            metric("net_profit"),
            Op::ChangePctAbove,
            Some("49"),
            Some(1),
        ),
        &f,
    );
    assert!(holds(&v));
    assert_eq!(
        v.reading().unwrap().change(Op::ChangePctAbove),
        Some(dec("50"))
    );
    // Thirds round half-even to 6 places.
    let f = with_metric(
        facts(),
        "revenue",
        series("2024-06-01", &[Some("3"), Some("4")]),
    );
    let v = check(
        &rule(metric("revenue"), Op::ChangePctAbove, Some("1"), Some(1)),
        &f,
    );
    assert_eq!(
        v.reading().unwrap().change(Op::ChangePctAbove),
        Some(dec("33.333333"))
    );
}

#[test]
fn change_ops_without_a_baseline_have_no_data() {
    // Data only in the current window.
    let f = with_metric(facts(), "revenue", every_day("2024-06-01", 7, "10"));
    for op in [
        Op::ChangeAbove,
        Op::ChangeBelow,
        Op::ChangePctAbove,
        Op::ChangePctBelow,
    ] {
        assert_eq!(
            check(&rule(metric("revenue"), op, Some("1"), Some(7)), &f),
            Verdict::NoData
        );
    }
    // A zero baseline has no percent change.
    let f = with_metric(
        facts(),
        "revenue",
        series("2024-06-01", &[Some("0"), Some("5")]),
    );
    let pct = rule(metric("revenue"), Op::ChangePctAbove, Some("1"), Some(1));
    assert_eq!(check(&pct, &f), Verdict::NoData);
    // ... but an absolute change from zero is fine.
    let abs = rule(metric("revenue"), Op::ChangeAbove, Some("1"), Some(1));
    assert!(holds(&check(&abs, &f)));
}

#[test]
fn anomaly_holds_while_a_flagged_day_is_in_the_window() {
    let f = with_metric(facts(), "revenue", every_day("2024-06-01", 20, "10"));
    // The latest day is 06-20; a 7-day window starts on 06-14.
    let mut f = f;
    let spec = rule(metric("revenue"), Op::Anomaly, None, None);
    assert!(clear(&check(&spec, &f)));
    f.anomalies
        .insert("revenue".into(), vec![day("2024-06-13")]);
    assert!(clear(&check(&spec, &f)), "06-13 is before the default week");
    f.anomalies
        .insert("revenue".into(), vec![day("2024-06-02"), day("2024-06-14")]);
    let v = check(&spec, &f);
    assert!(holds(&v));
    assert_eq!(
        *v.reading().unwrap(),
        Reading {
            current: dec("10"),
            threshold: None,
            baseline: None
        }
    );
    // A shorter window lets it go sooner.
    let short = rule(metric("revenue"), Op::Anomaly, None, Some(3));
    assert!(clear(&check(&short, &f)));
    // Anomalies of a metric without data are no data.
    let mut none = facts();
    none.anomalies
        .insert("revenue".into(), vec![day("2024-06-14")]);
    assert_eq!(check(&spec, &none), Verdict::NoData);
}

#[test]
fn metric_no_data_cases() {
    let spec = rule(metric("revenue"), Op::Above, Some("1"), Some(7));
    assert_eq!(check(&spec, &facts()), Verdict::NoData);
    let empty = with_metric(facts(), "revenue", Vec::new());
    assert_eq!(check(&spec, &empty), Verdict::NoData);
    // A custom metric whose kind is unknown cannot be aggregated.
    let custom = with_metric(facts(), "trial_starts", every_day("2024-06-01", 3, "1"));
    let spec = rule(metric("trial_starts"), Op::Above, Some("1"), Some(7));
    assert_eq!(check(&spec, &custom), Verdict::NoData);
    let mut known = custom.clone();
    known.kinds.insert("trial_starts".into(), Kind::Flow);
    assert_eq!(current(&check(&spec, &known)), dec("3"));
    // A canonical metric's kind comes from the catalogue when the facts omit it.
    let f = with_metric(facts(), "orders", every_day("2024-06-01", 3, "2"));
    let spec = rule(metric("orders"), Op::Above, Some("1"), Some(7));
    assert_eq!(current(&check(&spec, &f)), dec("6"));
}

#[test]
fn ten_tenths_sum_to_exactly_one() {
    let f = with_metric(facts(), "revenue", every_day("2024-06-01", 10, "0.1"));
    let exactly = check(&rule(metric("revenue"), Op::Below, Some("1"), Some(10)), &f);
    assert_eq!(current(&exactly), Decimal::ONE);
    assert!(clear(&exactly), "1 is not below 1: no binary rounding");
    assert!(clear(&check(
        &rule(metric("revenue"), Op::Above, Some("1"), Some(10)),
        &f
    )));
}

// --- Score and factor targets ----------------------------------------------------------------

fn figures(overall: f64) -> ScoreFigures {
    ScoreFigures {
        overall: Some(overall),
        financial: Some(overall - 5.0),
        ..ScoreFigures::default()
    }
}

#[test]
fn score_target_above_and_below() {
    let mut f = facts();
    let spec = |op, v| rule(Target::Score(ScoreName::Overall), op, Some(v), None);
    assert_eq!(check(&spec(Op::Below, "50"), &f), Verdict::NoData);
    f.score = Some(figures(48.456));
    let v = check(&spec(Op::Below, "50"), &f);
    assert!(holds(&v));
    assert_eq!(current(&v), dec("48.46"), "2 places");
    assert!(clear(&check(&spec(Op::Above, "50"), &f)));
    let fin = rule(
        Target::Score(ScoreName::Financial),
        Op::Below,
        Some("45"),
        None,
    );
    assert_eq!(current(&check(&fin, &f)), dec("43.46"));
    // A figure the score did not have is no data.
    let risk = rule(Target::Score(ScoreName::Risk), Op::Below, Some("45"), None);
    assert_eq!(check(&risk, &f), Verdict::NoData);
}

#[test]
fn score_change_over_thirty_days() {
    let spec = &default_rules()[0];
    assert_eq!(spec.target, Target::Score(ScoreName::Overall));
    let mut f = facts(); // now = 2024-07-01T06:00
    f.score = Some(figures(62.0));
    // No history old enough yet.
    f.score_history = vec![(at("2024-06-15T00:00:00Z"), figures(74.0))];
    assert_eq!(check(spec, &f), Verdict::NoData);
    // The latest entry at or before now − 30 days (2024-06-01T06:00) is the baseline.
    f.score_history = vec![
        (at("2024-05-20T00:00:00Z"), figures(90.0)),
        (at("2024-06-01T06:00:00Z"), figures(74.0)),
        (at("2024-06-01T06:00:01Z"), figures(60.0)),
        (at("2024-06-20T00:00:00Z"), figures(61.0)),
    ];
    let v = check(spec, &f);
    assert!(holds(&v), "{v:?}");
    let r = v.reading().unwrap();
    assert_eq!((r.current, r.baseline), (dec("62"), Some(dec("74"))));
    // A fall of exactly 10 does not fire "more than 10".
    f.score = Some(figures(64.0));
    assert!(clear(&check(spec, &f)));
    // A percent change on a score.
    f.score = Some(figures(37.0));
    let pct = rule(
        Target::Score(ScoreName::Overall),
        Op::ChangePctBelow,
        Some("-40"),
        Some(30),
    );
    let v = check(&pct, &f);
    assert!(holds(&v));
    assert_eq!(
        v.reading().unwrap().change(Op::ChangePctBelow),
        Some(dec("-50"))
    );
    // A baseline entry without the figure is no data.
    f.score_history[1].1.overall = None;
    assert_eq!(check(spec, &f), Verdict::NoData);
}

#[test]
fn factor_targets() {
    let runway = &default_rules()[1];
    let churn = &default_rules()[2];
    let mut f = facts();
    assert_eq!(check(runway, &f), Verdict::NoData);
    f.factors.insert(FactorId::CashRunway, 4.25);
    f.factors.insert(FactorId::ChurnRate, 0.0312);
    let v = check(runway, &f);
    assert!(holds(&v));
    assert_eq!(current(&v), dec("4.25"));
    // 3.12 % is above 3 %: six places keep a fraction's meaning.
    let v = check(churn, &f);
    assert!(holds(&v));
    assert_eq!(current(&v), dec("0.0312"));
    f.factors.insert(FactorId::ChurnRate, 0.03);
    assert!(clear(&check(churn, &f)));
    f.factors.insert(FactorId::CashRunway, 6.0);
    assert!(clear(&check(runway, &f)));
    // Not burning cash: unlimited runway is above every threshold and below none.
    f.factors.insert(FactorId::CashRunway, f64::INFINITY);
    let v = check(runway, &f);
    assert!(clear(&v));
    assert_eq!(current(&v), Decimal::MAX);
    let above = rule(
        Target::Factor(FactorId::CashRunway),
        Op::Above,
        Some("9000000000000"),
        None,
    );
    assert!(holds(&check(&above, &f)));
    f.factors.insert(FactorId::CashRunway, f64::NEG_INFINITY);
    assert_eq!(current(&check(runway, &f)), Decimal::MIN);
    assert!(holds(&check(runway, &f)));
    f.factors.insert(FactorId::CashRunway, f64::NAN);
    assert_eq!(check(runway, &f), Verdict::NoData);
    // Change ops and anomaly have nothing to work on for a factor.
    f.factors.insert(FactorId::CashRunway, 4.0);
    let change = rule(
        Target::Factor(FactorId::CashRunway),
        Op::ChangeBelow,
        Some("-1"),
        Some(30),
    );
    assert_eq!(check(&change, &f), Verdict::NoData);
}

#[test]
fn lookback_covers_what_the_check_reads() {
    let m = |op, v, w| lookback_days(&rule(metric("revenue"), op, v, w));
    assert_eq!(m(Op::Above, Some("1"), None), 1);
    assert_eq!(m(Op::Below, Some("1"), Some(30)), 30);
    assert_eq!(m(Op::ChangePctBelow, Some("1"), Some(30)), 60);
    assert_eq!(m(Op::Anomaly, None, None), 7);
    assert_eq!(m(Op::Anomaly, None, Some(14)), 14);
    for r in default_rules() {
        assert_eq!(lookback_days(&r), 0, "scores and factors read no roll-ups");
        assert!(daily_metrics(&r).is_empty());
    }
    // Exactly the lookback is enough: the same verdict with only those days.
    let mut values: Vec<Option<&str>> = (0..100)
        .map(|i| Some(if i % 3 == 0 { "7" } else { "2" }))
        .collect();
    values[97] = None;
    let full = with_metric(facts(), "revenue", series("2024-03-01", &values));
    let spec = rule(metric("revenue"), Op::ChangePctAbove, Some("1"), Some(10));
    let n = lookback_days(&spec) as usize;
    let all = &full.daily["revenue"];
    let latest = all.last().unwrap().0;
    let cut: Vec<_> = all
        .iter()
        .filter(|(d, _)| *d > latest - Duration::days(n as i64))
        .copied()
        .collect();
    let trimmed = with_metric(facts(), "revenue", cut);
    assert_eq!(check(&spec, &full), check(&spec, &trimmed));
}

// --- Evaluation ------------------------------------------------------------------------------

fn reading(v: i64) -> Reading {
    Reading {
        current: Decimal::from(v),
        threshold: Some(Decimal::from(10)),
        baseline: None,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap()
}

/// Runs `verdicts` every `step`, returning the times of the triggers.
fn run(spec: &RuleSpec, verdicts: &[Verdict], step: Duration) -> (RuleState, Vec<DateTime<Utc>>) {
    let mut state = RuleState::default();
    let mut fired = Vec::new();
    for (i, v) in verdicts.iter().enumerate() {
        let now = t0() + step * i as i32;
        let (next, action) = evaluate(spec, &state, v, now);
        if let Action::Trigger(_) = action {
            assert!(state.open.is_none(), "fired with an alert open");
            fired.push(now);
        }
        state = next;
    }
    (state, fired)
}

fn spec_with(f: impl FnOnce(&mut RuleSpec)) -> RuleSpec {
    let mut s = rule(metric("revenue"), Op::Above, Some("10"), None);
    f(&mut s);
    s
}

#[test]
fn fires_once_and_resolves_when_clear() {
    let spec = spec_with(|_| {});
    let s0 = RuleState::default();
    let (s1, a) = evaluate(&spec, &s0, &Verdict::Holds(reading(12)), t0());
    assert_eq!(a, Action::Trigger(reading(12)));
    assert_eq!(s1.open, Some(AlertStatus::Active));
    assert_eq!(s1.last_triggered_at, Some(t0()));
    assert_eq!((s1.streak, s1.pending_since), (1, Some(t0())));
    let (s2, a) = evaluate(
        &spec,
        &s1,
        &Verdict::Holds(reading(13)),
        t0() + Duration::hours(5),
    );
    assert_eq!(a, Action::Nothing, "one open alert per rule");
    assert_eq!(s2.streak, 1, "the streak stops at for_evaluations");
    assert_eq!(s2, s1, "a rule that keeps holding has nothing new to store");
    let (s3, a) = evaluate(
        &spec,
        &s2,
        &Verdict::Clear(reading(8)),
        t0() + Duration::hours(6),
    );
    assert_eq!(a, Action::Resolve(reading(8)));
    assert_eq!(
        s3,
        RuleState {
            streak: 0,
            pending_since: None,
            last_triggered_at: Some(t0()),
            open: None
        }
    );
    let (_, a) = evaluate(
        &spec,
        &s3,
        &Verdict::Clear(reading(8)),
        t0() + Duration::hours(7),
    );
    assert_eq!(a, Action::Nothing);
}

#[test]
fn one_open_alert_under_repeated_crossings() {
    let spec = spec_with(|s| s.cooldown = Duration::zero());
    // Long runs of holds with occasional missing data: one alert per run of holds.
    let mut verdicts = Vec::new();
    for run_len in [5, 1, 30, 2, 12] {
        for i in 0..run_len {
            verdicts.push(if i % 4 == 3 {
                Verdict::NoData
            } else {
                Verdict::Holds(reading(20))
            });
        }
        verdicts.push(Verdict::Clear(reading(1)));
    }
    let (_, fired) = run(&spec, &verdicts, Duration::minutes(10));
    assert_eq!(fired.len(), 5);
    // Acknowledged stays acknowledged while the condition holds.
    let (s, _) = evaluate(
        &spec,
        &RuleState::default(),
        &Verdict::Holds(reading(20)),
        t0(),
    );
    let mut s = apply_user(&s, AlertEvent::Acknowledge).unwrap();
    for i in 1..50 {
        let (next, a) = evaluate(
            &spec,
            &s,
            &Verdict::Holds(reading(20)),
            t0() + Duration::minutes(i),
        );
        assert_eq!(a, Action::Nothing);
        assert_eq!(next.open, Some(AlertStatus::Acknowledged));
        s = next;
    }
}

fn flapping(n: usize) -> Vec<Verdict> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                Verdict::Holds(reading(20))
            } else {
                Verdict::Clear(reading(1))
            }
        })
        .collect()
}

#[test]
fn for_evaluations_damps_a_flapping_series() {
    let spec = spec_with(|s| s.for_evaluations = 2);
    let (_, fired) = run(&spec, &flapping(500), Duration::minutes(10));
    assert!(fired.is_empty());
    // Two holds in a row do fire.
    let mut v = flapping(10);
    v.extend([Verdict::Holds(reading(20)), Verdict::Holds(reading(20))]);
    let (_, fired) = run(&spec, &v, Duration::minutes(10));
    assert_eq!(fired, [t0() + Duration::minutes(110)]);
}

#[test]
fn for_duration_waits_for_the_condition_to_have_held() {
    let spec = spec_with(|s| s.for_duration = Duration::minutes(30));
    let (_, fired) = run(
        &spec,
        &vec![Verdict::Holds(reading(20)); 10],
        Duration::minutes(10),
    );
    assert_eq!(fired, [t0() + Duration::minutes(30)]);
    let spec = spec_with(|s| s.for_duration = Duration::minutes(15));
    let (_, fired) = run(&spec, &flapping(300), Duration::minutes(10));
    assert!(fired.is_empty());
    // Missing data does not break "held since".
    let v = [
        Verdict::Holds(reading(20)),
        Verdict::NoData,
        Verdict::Holds(reading(20)),
    ];
    let (_, fired) = run(&spec, &v, Duration::minutes(10));
    assert_eq!(fired, [t0() + Duration::minutes(20)]);
}

#[test]
fn cooldown_spaces_triggers_of_a_flapping_series() {
    let spec = spec_with(|s| s.cooldown = Duration::hours(1));
    let (_, fired) = run(&spec, &flapping(144), Duration::minutes(10));
    assert!(fired.len() >= 20, "{}", fired.len());
    for w in fired.windows(2) {
        assert!(w[1] - w[0] >= Duration::hours(1), "{w:?}");
    }
    // Without a cooldown the same series fires on every hold.
    let spec = spec_with(|s| s.cooldown = Duration::zero());
    let (_, fired) = run(&spec, &flapping(144), Duration::minutes(10));
    assert_eq!(fired.len(), 72);
}

#[test]
fn no_data_changes_nothing() {
    let spec = spec_with(|_| {});
    let (open, _) = evaluate(
        &spec,
        &RuleState::default(),
        &Verdict::Holds(reading(20)),
        t0(),
    );
    for state in [RuleState::default(), open] {
        let (next, a) = evaluate(&spec, &state, &Verdict::NoData, t0() + Duration::days(3));
        assert_eq!((next, a), (state, Action::Nothing));
    }
}

#[test]
fn a_disabled_rule_never_fires_and_lets_its_alert_go() {
    let on = spec_with(|_| {});
    let off = spec_with(|s| s.enabled = false);
    let (_, fired) = run(
        &off,
        &vec![Verdict::Holds(reading(20)); 20],
        Duration::minutes(10),
    );
    assert!(fired.is_empty());
    let (open, _) = evaluate(
        &on,
        &RuleState::default(),
        &Verdict::Holds(reading(20)),
        t0(),
    );
    let later = t0() + Duration::hours(1);
    let (s, a) = evaluate(&off, &open, &Verdict::Holds(reading(21)), later);
    assert_eq!(a, Action::Resolve(reading(21)));
    assert_eq!((s.open, s.streak, s.pending_since), (None, 0, None));
    assert_eq!(s.last_triggered_at, Some(t0()));
    // With no reading to resolve it with, it stays open until there is one.
    let (s, a) = evaluate(&off, &open, &Verdict::NoData, later);
    assert_eq!(a, Action::Nothing);
    assert_eq!(s.open, Some(AlertStatus::Active));
}

#[test]
fn transitions_and_their_messages() {
    use AlertEvent::*;
    use AlertStatus::*;
    assert_eq!(transition(Active, Acknowledge), Ok(Acknowledged));
    assert_eq!(transition(Active, Resolve), Ok(Resolved));
    assert_eq!(transition(Active, AutoResolve), Ok(Resolved));
    assert_eq!(transition(Acknowledged, Resolve), Ok(Resolved));
    assert_eq!(transition(Acknowledged, AutoResolve), Ok(Resolved));
    let err = |from, event| transition(from, event).unwrap_err().to_string();
    assert_eq!(
        err(Acknowledged, Acknowledge),
        "the alert is already acknowledged"
    );
    assert_eq!(
        err(Resolved, Acknowledge),
        "the alert is resolved and can no longer be acknowledged"
    );
    assert_eq!(err(Resolved, Resolve), "the alert is already resolved");
    assert_eq!(err(Resolved, AutoResolve), "the alert is already resolved");
    assert_eq!(
        transition(Resolved, Resolve).unwrap_err(),
        IllegalTransition {
            from: Resolved,
            event: Resolve
        }
    );
    assert_eq!("acknowledged".parse::<AlertStatus>(), Ok(Acknowledged));
    assert!("open".parse::<AlertStatus>().is_err());
    assert_eq!(serde_json::to_value(Resolved).unwrap(), json!("resolved"));
    assert_eq!(AutoResolve.as_str(), "auto_resolve");
}

#[test]
fn people_acknowledge_and_resolve_the_open_alert() {
    let spec = spec_with(|_| {});
    let (open, _) = evaluate(
        &spec,
        &RuleState::default(),
        &Verdict::Holds(reading(20)),
        t0(),
    );
    let acked = apply_user(&open, AlertEvent::Acknowledge).unwrap();
    assert_eq!(acked.open, Some(AlertStatus::Acknowledged));
    assert!(apply_user(&acked, AlertEvent::Acknowledge).is_err());
    let resolved = apply_user(&acked, AlertEvent::Resolve).unwrap();
    assert_eq!(resolved.open, None);
    assert_eq!(resolved.last_triggered_at, Some(t0()));
    assert_eq!(
        apply_user(&resolved, AlertEvent::Resolve).unwrap_err().from,
        AlertStatus::Resolved
    );
    // Still holding: the cooldown (1 h) damps an immediate re-fire, then it fires again.
    let soon = t0() + Duration::minutes(10);
    let (s, a) = evaluate(&spec, &resolved, &Verdict::Holds(reading(20)), soon);
    assert_eq!(a, Action::Nothing);
    let (_, a) = evaluate(
        &spec,
        &s,
        &Verdict::Holds(reading(20)),
        t0() + Duration::hours(1),
    );
    assert!(matches!(a, Action::Trigger(_)));
}

proptest! {
    #[test]
    fn the_state_machine_never_reaches_an_illegal_state(
        steps in prop::collection::vec(
            (0u8..3, 0u8..4, 0i64..7_200, prop::bool::weighted(0.9)),
            1..150,
        ),
        for_evaluations in 1u32..4,
        for_minutes in 0i64..90,
        cooldown_minutes in 0i64..180,
    ) {
        let mut spec = spec_with(|s| {
            s.for_evaluations = for_evaluations;
            s.for_duration = Duration::minutes(for_minutes);
            s.cooldown = Duration::minutes(cooldown_minutes);
        });
        let mut state = RuleState::default();
        let mut now = t0();
        let mut last_fired: Option<DateTime<Utc>> = None;
        for (verdict, user, secs, enabled) in steps {
            spec.enabled = enabled;
            now += Duration::seconds(secs);
            let verdict = match verdict {
                0 => Verdict::Holds(reading(20)),
                1 => Verdict::Clear(reading(1)),
                _ => Verdict::NoData,
            };
            let (next, action) = evaluate(&spec, &state, &verdict, now);
            prop_assert_ne!(next.open, Some(AlertStatus::Resolved));
            match action {
                Action::Trigger(_) => {
                    prop_assert!(state.open.is_none(), "triggered while open");
                    prop_assert!(enabled);
                    prop_assert_eq!(next.open, Some(AlertStatus::Active));
                    prop_assert!(next.streak >= for_evaluations);
                    if let Some(prev) = last_fired {
                        prop_assert!(now - prev >= spec.cooldown);
                    }
                    last_fired = Some(now);
                }
                Action::Resolve(_) => {
                    prop_assert!(state.open.is_some());
                    prop_assert_eq!(next.open, None);
                }
                Action::Nothing => {
                    prop_assert!(next.open.is_none() || next.open == state.open);
                }
            }
            state = next;
            let event = match user {
                0 => None,
                1 => Some(AlertEvent::Acknowledge),
                2 => Some(AlertEvent::Resolve),
                _ => Some(AlertEvent::AutoResolve),
            };
            if let Some(event) = event {
                match apply_user(&state, event) {
                    Ok(next) => {
                        prop_assert_ne!(next.open, Some(AlertStatus::Resolved));
                        if event == AlertEvent::Acknowledge {
                            prop_assert_eq!(state.open, Some(AlertStatus::Active));
                            prop_assert_eq!(next.open, Some(AlertStatus::Acknowledged));
                        } else {
                            prop_assert!(state.open.is_some());
                            prop_assert_eq!(next.open, None);
                        }
                        prop_assert_eq!(next.last_triggered_at, state.last_triggered_at);
                        state = next;
                    }
                    Err(e) => {
                        prop_assert!(
                            state.open.is_none()
                                || (state.open == Some(AlertStatus::Acknowledged)
                                    && event == AlertEvent::Acknowledge)
                        );
                        prop_assert_eq!(e.event, event);
                    }
                }
            }
            for event in [AlertEvent::Acknowledge, AlertEvent::Resolve, AlertEvent::AutoResolve] {
                prop_assert!(transition(AlertStatus::Resolved, event).is_err());
                if let Ok(AlertStatus::Acknowledged) = transition(AlertStatus::Acknowledged, event) {
                    prop_assert!(false, "acknowledged from acknowledged");
                }
            }
        }
    }

    #[test]
    fn durations_and_windows_round_trip(secs in 0i64..=MAX_DURATION_SECS, days in 1u32..=MAX_WINDOW_DAYS) {
        let d = Duration::seconds(secs);
        let text = format_duration(d);
        prop_assert_eq!(parse_duration(&text).unwrap(), d);
        let w = format_window(days);
        prop_assert_eq!(parse_window(&w).unwrap(), days);
    }

    #[test]
    fn parse_rule_never_panics(
        name in proptest::option::of(".{0,130}"),
        op in "[a-z_]{0,20}",
        value in proptest::option::of("[-+0-9.eENaI]{0,12}"),
        window in proptest::option::of("[0-9]{0,4}[dwm]?"),
        cooldown in "[0-9]{0,25}[smhdwy]?",
        target_key in "metric_type|score|factor|other",
        target_value in "[a-z_]{0,12}",
    ) {
        let mut body = json!({
            "target": {target_key: target_value},
            "condition": {"op": op},
            "severity": "low",
            "cooldown": cooldown,
        });
        if let Some(n) = name { body["name"] = json!(n); }
        if let Some(v) = value { body["condition"]["value"] = json!(v); }
        if let Some(w) = window { body["condition"]["window"] = json!(w); }
        match parse_rule(&body) {
            Ok(spec) => {
                let again = parse_rule(&serde_json::to_value(&spec).unwrap());
                prop_assert_eq!(again, Ok(spec));
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}

// --- Parsing ---------------------------------------------------------------------------------

fn valid() -> Value {
    json!({
        "name": "Revenue dropping",
        "target": {"metric_type": "revenue"},
        "condition": {"op": "below", "value": "1000", "window": "30d"},
        "severity": "high",
    })
}

/// `valid()` with `changes` merged in (top level and one level down; null deletes).
fn body(changes: Value) -> Value {
    let mut out = valid();
    for (k, v) in changes.as_object().unwrap() {
        match (out.get_mut(k), v) {
            (_, Value::Null) => {
                out.as_object_mut().unwrap().remove(k);
            }
            (Some(Value::Object(inner)), Value::Object(patch)) if k == "condition" => {
                for (ik, iv) in patch {
                    if iv.is_null() {
                        inner.remove(ik);
                    } else {
                        inner.insert(ik.clone(), iv.clone());
                    }
                }
            }
            _ => {
                out[k] = v.clone();
            }
        }
    }
    out
}

fn fields(json: &Value) -> Vec<String> {
    match parse_rule(json) {
        Ok(spec) => panic!("accepted {json}: {spec:?}"),
        Err(e) => e.into_iter().map(|e| e.field).collect(),
    }
}

#[test]
fn a_valid_rule_with_defaults() {
    let spec = parse_rule(&valid()).unwrap();
    assert_eq!(spec.name, "Revenue dropping");
    assert_eq!(spec.target, Target::Metric("revenue".into()));
    assert_eq!(
        spec.condition,
        Condition {
            op: Op::Below,
            value: Some(dec("1000")),
            window_days: Some(30)
        }
    );
    assert_eq!(spec.severity, Severity::High);
    assert_eq!(spec.for_evaluations, 1);
    assert_eq!(spec.for_duration, Duration::zero());
    assert_eq!(spec.cooldown, Duration::hours(1));
    assert!(spec.channels.is_empty() && spec.enabled);
    let json = serde_json::to_value(&spec).unwrap();
    assert_eq!(
        json,
        json!({
            "name": "Revenue dropping",
            "target": {"metric_type": "revenue"},
            "condition": {"op": "below", "value": "1000", "window": "30d"},
            "severity": "high",
            "for_evaluations": 1,
            "for_duration": "0s",
            "cooldown": "1h",
            "channels": [],
            "enabled": true,
        })
    );
}

#[test]
fn accepted_variants() {
    let ok = |changes: Value| parse_rule(&body(changes)).unwrap();
    assert_eq!(ok(json!({"name": "  padded  "})).name, "padded");
    assert_eq!(
        ok(json!({"name": "é".repeat(120)})).name.chars().count(),
        120
    );
    assert_eq!(
        ok(json!({"condition": {"value": 1.5}})).condition.value,
        Some(dec("1.5"))
    );
    assert_eq!(
        ok(json!({"condition": {"value": "1e3"}})).condition.value,
        Some(dec("1000"))
    );
    assert_eq!(
        ok(json!({"condition": {"value": -0.25}})).condition.value,
        Some(dec("-0.25"))
    );
    assert_eq!(
        ok(json!({"condition": {"window": "2w"}}))
            .condition
            .window_days,
        Some(14)
    );
    assert_eq!(
        ok(json!({"condition": {"window": null}}))
            .condition
            .window_days,
        None
    );
    let anomaly = ok(json!({"condition": {"op": "anomaly", "value": null, "window": null}}));
    assert_eq!(anomaly.condition.window_days, Some(7));
    assert_eq!(anomaly.condition.value, None);
    let custom = ok(json!({"target": {"metric_type": "trial_starts"}}));
    assert_eq!(custom.target, Target::Metric("trial_starts".into()));
    let spec = ok(json!({
        "for_evaluations": 100,
        "for_duration": "90s",
        "cooldown": "30d",
        "channels": [
            "0190a5a8-5b2e-7000-8000-000000000001",
            "0190A5A8-5B2E-7000-8000-000000000002"
        ],
        "enabled": false,
        "cooldown_extra": null,
    }));
    assert_eq!(spec.for_evaluations, 100);
    assert_eq!(spec.for_duration, Duration::seconds(90));
    assert_eq!(spec.cooldown, Duration::days(30));
    assert_eq!(spec.channels.len(), 2);
    assert!(!spec.enabled);
    assert_eq!(ok(json!({"cooldown": "0s"})).cooldown, Duration::zero());
    let score = ok(json!({
        "target": {"score": "financial"},
        "condition": {"op": "change_pct_below", "value": "-15", "window": "4w"},
    }));
    assert_eq!(score.target, Target::Score(ScoreName::Financial));
    let factor = ok(json!({
        "target": {"factor": "ltv_to_cac"},
        "condition": {"op": "below", "value": "3", "window": null},
    }));
    assert_eq!(factor.target, Target::Factor(FactorId::LtvToCac));
}

#[test]
fn every_refused_input_names_its_field() {
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"colour": "red"}), &["colour"]),
        (json!({"name": null}), &["name"]),
        (json!({"name": "   "}), &["name"]),
        (json!({"name": "x".repeat(121)}), &["name"]),
        (json!({"name": 42}), &["name"]),
        (json!({"name": "a\u{7}b"}), &["name"]),
        (json!({"target": null}), &["target"]),
        (json!({"target": {}}), &["target"]),
        (json!({"target": "revenue"}), &["target"]),
        (
            json!({"target": {"metric_type": "revenue", "score": "overall"}}),
            &["target"],
        ),
        (
            json!({"target": {"metrc_type": "revenue"}}),
            &["target.metrc_type"],
        ),
        (
            json!({"target": {"metric_type": "Revenue"}}),
            &["target.metric_type"],
        ),
        (
            json!({"target": {"metric_type": "a__b"}}),
            &["target.metric_type"],
        ),
        (
            json!({"target": {"metric_type": 7}}),
            &["target.metric_type"],
        ),
        (json!({"target": {"score": "total"}}), &["target.score"]),
        (json!({"target": {"factor": "cash"}}), &["target.factor"]),
        (json!({"condition": null}), &["condition"]),
        (json!({"condition": "below 5"}), &["condition"]),
        (json!({"condition": {"op": "sideways"}}), &["condition.op"]),
        (json!({"condition": {"op": null}}), &["condition.op"]),
        (json!({"condition": {"op": 3}}), &["condition.op"]),
        (json!({"condition": {"extra": 1}}), &["condition.extra"]),
        (json!({"condition": {"value": null}}), &["condition.value"]),
        (
            json!({"condition": {"op": "anomaly"}}),
            &["condition.value"],
        ),
        (
            json!({"condition": {"op": "change_below", "value": "-5", "window": null}}),
            &["condition.window"],
        ),
        (
            json!({"condition": {"op": "change_pct_above", "value": "0"}}),
            &["condition.value"],
        ),
        (
            json!({"condition": {"op": "change_pct_below", "value": 0}}),
            &["condition.value"],
        ),
        (json!({"condition": {"value": "NaN"}}), &["condition.value"]),
        (
            json!({"condition": {"value": "Infinity"}}),
            &["condition.value"],
        ),
        (
            json!({"condition": {"value": "-inf"}}),
            &["condition.value"],
        ),
        (
            json!({"condition": {"value": "12abc"}}),
            &["condition.value"],
        ),
        (json!({"condition": {"value": ""}}), &["condition.value"]),
        (json!({"condition": {"value": true}}), &["condition.value"]),
        (json!({"condition": {"value": [1]}}), &["condition.value"]),
        (
            json!({"condition": {"value": "0.0000001"}}),
            &["condition.value"],
        ),
        (
            json!({"condition": {"value": "1e20"}}),
            &["condition.value"],
        ),
        (json!({"condition": {"value": 1e300}}), &["condition.value"]),
        (
            json!({"condition": {"window": "30"}}),
            &["condition.window"],
        ),
        (json!({"condition": {"window": 30}}), &["condition.window"]),
        (
            json!({"condition": {"window": "0d"}}),
            &["condition.window"],
        ),
        (
            json!({"condition": {"window": "731d"}}),
            &["condition.window"],
        ),
        (
            json!({"condition": {"window": "105w"}}),
            &["condition.window"],
        ),
        (
            json!({"condition": {"window": "1m"}}),
            &["condition.window"],
        ),
        (json!({"condition": {"window": "d"}}), &["condition.window"]),
        (
            json!({"condition": {"window": "-3d"}}),
            &["condition.window"],
        ),
        (
            json!({"condition": {"window": "99999999999999999999999d"}}),
            &["condition.window"],
        ),
        (
            json!({"target": {"score": "overall"}, "condition": {"op": "anomaly", "value": null}}),
            &["condition.op"],
        ),
        (
            json!({"target": {"factor": "cash_runway"}, "condition": {"op": "anomaly", "value": null, "window": null}}),
            &["condition.op"],
        ),
        (
            json!({"target": {"factor": "cash_runway"}, "condition": {"op": "change_below", "value": "-1"}}),
            &["condition.op", "condition.window"],
        ),
        (
            json!({"target": {"factor": "cash_runway"}, "condition": {"window": "30d"}}),
            &["condition.window"],
        ),
        (
            json!({"target": {"score": "overall"}, "condition": {"value": "50", "window": "30d"}}),
            &["condition.window"],
        ),
        (
            json!({"target": {"score": "overall"}, "condition": {"value": "150", "window": null}}),
            &["condition.value"],
        ),
        (
            json!({"target": {"score": "overall"}, "condition": {"op": "change_below", "value": "-101"}}),
            &["condition.value"],
        ),
        (json!({"severity": null}), &["severity"]),
        (json!({"severity": "urgent"}), &["severity"]),
        (json!({"severity": 3}), &["severity"]),
        (json!({"for_evaluations": 0}), &["for_evaluations"]),
        (json!({"for_evaluations": 101}), &["for_evaluations"]),
        (json!({"for_evaluations": -1}), &["for_evaluations"]),
        (json!({"for_evaluations": 1.5}), &["for_evaluations"]),
        (json!({"for_evaluations": "2"}), &["for_evaluations"]),
        (
            json!({"for_evaluations": 5_000_000_000u64}),
            &["for_evaluations"],
        ),
        (json!({"for_duration": "10x"}), &["for_duration"]),
        (json!({"for_duration": "31d"}), &["for_duration"]),
        (json!({"for_duration": "5w"}), &["for_duration"]),
        (json!({"for_duration": ""}), &["for_duration"]),
        (json!({"for_duration": "1.5h"}), &["for_duration"]),
        (json!({"for_duration": " 1h"}), &["for_duration"]),
        (json!({"for_duration": 60}), &["for_duration"]),
        (json!({"cooldown": "1y"}), &["cooldown"]),
        (json!({"cooldown": "-1h"}), &["cooldown"]),
        (
            json!({"cooldown": "99999999999999999999999w"}),
            &["cooldown"],
        ),
        (json!({"cooldown": "1h30m"}), &["cooldown"]),
        (json!({"channels": "abc"}), &["channels"]),
        (
            json!({"channels": [
                "0190a5a8-5b2e-7000-8000-000000000001",
                "nope",
                "0190a5a8-5b2e-7000-8000-000000000001",
                5
            ]}),
            &["channels[1]", "channels[2]", "channels[3]"],
        ),
        (json!({"enabled": "yes"}), &["enabled"]),
    ];
    for (changes, want) in cases {
        let json = body(changes.clone());
        assert_eq!(fields(&json), want, "{changes}");
    }
    let many: Vec<Value> = (0..21)
        .map(|i| json!(format!("0190a5a8-5b2e-7000-8000-{i:012}")))
        .collect();
    assert_eq!(fields(&body(json!({"channels": many}))), ["channels"]);
    assert_eq!(fields(&json!([])), [""]);
    assert_eq!(fields(&json!("rule")), [""]);
    assert_eq!(
        fields(&json!({})),
        ["name", "target", "condition", "severity"]
    );
}

#[test]
fn every_problem_is_reported_at_once_in_field_order() {
    let bad = json!({
        "cooldown": "soon",
        "severity": "x",
        "condition": {"op": "below", "window": "0d"},
        "target": {},
        "name": "",
        "enabled": 1,
        "mystery": true,
    });
    let got = fields(&bad);
    assert_eq!(
        got,
        [
            "name",
            "target",
            "condition.window",
            "condition.value",
            "severity",
            "cooldown",
            "enabled",
            "mystery"
        ]
    );
    let errors = parse_rule(&bad).unwrap_err();
    assert!(errors.iter().all(|e| !e.message.is_empty()));
    let value = parse_rule(&body(json!({"condition": {"value": "NaN"}}))).unwrap_err();
    assert_eq!(
        value[0].to_string(),
        "condition.value: must be a decimal number such as 12.5 or 1.5e3"
    );
}

#[test]
fn defaults_parse_and_round_trip() {
    let rules = default_rules();
    assert_eq!(rules.len(), 3);
    for spec in &rules {
        let json = serde_json::to_value(spec).unwrap();
        assert_eq!(parse_rule(&json).as_ref(), Ok(spec), "{json}");
        assert_eq!(
            serde_json::from_value::<RuleSpec>(json.clone()).unwrap(),
            *spec
        );
        assert_eq!(spec.for_evaluations, 1);
        assert_eq!(spec.cooldown, Duration::days(1));
        assert_eq!(json["cooldown"], "1d");
    }
    assert_eq!(
        serde_json::to_value(&rules[0]).unwrap()["condition"],
        json!({"op": "change_below", "value": "-10", "window": "30d"})
    );
    assert_eq!(rules[0].severity, Severity::High);
    assert_eq!(rules[1].target, Target::Factor(FactorId::CashRunway));
    assert_eq!(rules[1].condition.value, Some(dec("6")));
    assert_eq!(rules[1].severity, Severity::Critical);
    assert_eq!(rules[2].target, Target::Factor(FactorId::ChurnRate));
    assert_eq!(rules[2].condition.value, Some(dec("0.03")));
    assert_eq!(rules[2].severity, Severity::Medium);
    // The churn threshold is where the factor's curve gives the benchmark's 70 points.
    let churn = crate::score::curve(FactorId::ChurnRate, crate::Industry::Saas);
    assert_eq!(churn.eval(0.03), 70.0);
    // A stored rule that no longer validates is refused with its reasons.
    let err = serde_json::from_value::<RuleSpec>(json!({"name": "x"})).unwrap_err();
    assert!(err.to_string().contains("target: is required"), "{err}");
}

#[test]
fn patches_merge_top_level_keys() {
    let current = parse_rule(&valid()).unwrap();
    let patched = parse_patch(&current, &json!({"cooldown": "2h", "enabled": false})).unwrap();
    assert_eq!(patched.cooldown, Duration::hours(2));
    assert!(!patched.enabled);
    assert_eq!(patched.condition, current.condition);
    // A nested object is replaced whole.
    let patched = parse_patch(&current, &json!({"condition": {"op": "anomaly"}})).unwrap();
    assert_eq!(patched.condition.window_days, Some(7));
    // Null resets to the default (or is refused where there is none).
    let custom = parse_patch(&current, &json!({"cooldown": "3h"})).unwrap();
    assert_eq!(
        parse_patch(&custom, &json!({"cooldown": null}))
            .unwrap()
            .cooldown,
        Duration::hours(1)
    );
    let errors = parse_patch(
        &current,
        &json!({"name": null, "for_evaluations": 0, "bogus": 1}),
    )
    .unwrap_err();
    let got: Vec<_> = errors.into_iter().map(|e| e.field).collect();
    assert_eq!(got, ["name", "for_evaluations", "bogus"]);
    // Cross-field checks see the merged rule.
    let errors = parse_patch(&current, &json!({"target": {"factor": "churn_rate"}})).unwrap_err();
    assert_eq!(errors[0].field, "condition.window");
    assert_eq!(parse_patch(&current, &json!([1])).unwrap_err()[0].field, "");
    assert_eq!(parse_patch(&current, &json!({})).unwrap(), current);
}

#[test]
fn durations_and_windows_are_written_canonically() {
    for (text, secs, canonical) in [
        ("0s", 0, "0s"),
        ("0m", 0, "0s"),
        ("90s", 90, "90s"),
        ("120s", 120, "2m"),
        ("30m", 1800, "30m"),
        ("60m", 3600, "1h"),
        ("2h", 7200, "2h"),
        ("24h", 86_400, "1d"),
        ("1d", 86_400, "1d"),
        ("14d", 1_209_600, "2w"),
        ("1w", 604_800, "1w"),
        ("007m", 420, "7m"),
    ] {
        let d = parse_duration(text).unwrap();
        assert_eq!(d.num_seconds(), secs, "{text}");
        assert_eq!(format_duration(d), canonical, "{text}");
    }
    assert_eq!(format_duration(Duration::milliseconds(1500)), "1s");
    assert_eq!(format_duration(Duration::seconds(-5)), "0s");
    for bad in ["", "s", "1", "1.5h", "1H", "+1h", "1 h", "1hh", "١h", "1μ"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_window("7d"), Ok(7));
    assert_eq!(parse_window("104w"), Ok(728));
    assert_eq!(parse_window("730d"), Ok(730));
    assert_eq!(format_window(30), "30d");
    assert_eq!(format_window(28), "4w");
    assert_eq!(format_window(1), "1d");
}

#[test]
fn enums_read_and_write_their_names() {
    assert_eq!(
        serde_json::to_value(Severity::Critical).unwrap(),
        json!("critical")
    );
    assert_eq!("medium".parse::<Severity>(), Ok(Severity::Medium));
    assert!(Severity::Low < Severity::Medium && Severity::High < Severity::Critical);
    assert_eq!(ScoreName::Operational.as_str(), "operational");
    assert_eq!(
        serde_json::to_value(Op::ChangePctAbove).unwrap(),
        json!("change_pct_above")
    );
    assert_eq!(Op::ALL.len(), 7);
    assert_eq!(
        serde_json::to_value(Target::Factor(FactorId::CashRunway)).unwrap(),
        json!({"factor": "cash_runway"})
    );
    let r = Reading {
        current: dec("0.100000"),
        threshold: Some(dec("6")),
        baseline: None,
    };
    assert_eq!(
        serde_json::to_value(Verdict::Holds(r)).unwrap(),
        json!({"verdict": "holds", "reading": {"current": "0.1", "threshold": "6", "baseline": null}})
    );
}

#[test]
fn categories() {
    assert_eq!(category_of(&metric("revenue")), "financial");
    assert_eq!(category_of(&metric("nps")), "customer");
    assert_eq!(category_of(&metric("trial_starts")), "custom");
    assert_eq!(category_of(&Target::Score(ScoreName::Overall)), "overall");
    assert_eq!(category_of(&Target::Score(ScoreName::Growth)), "growth");
    assert_eq!(
        category_of(&Target::Factor(FactorId::CashRunway)),
        "financial"
    );
    assert_eq!(
        category_of(&Target::Factor(FactorId::ChurnRate)),
        "customer"
    );
}

// --- Text ------------------------------------------------------------------------------------

fn text(spec: &RuleSpec, r: Reading, unit: Option<&str>) -> String {
    let (title, description) = describe(spec, &r, unit);
    assert_eq!(title, spec.name);
    description
}

fn read(current: &str, threshold: Option<&str>, baseline: Option<&str>) -> Reading {
    Reading {
        current: dec(current),
        threshold: threshold.map(dec),
        baseline: baseline.map(dec),
    }
}

#[test]
fn descriptions_read_well() {
    let revenue = rule(metric("revenue"), Op::Below, Some("20000"), Some(30));
    assert_eq!(
        text(&revenue, read("12345.67", Some("20000"), None), None),
        "Revenue (30-day total) is 12,345.67, below the threshold 20,000."
    );
    assert_eq!(
        text(&revenue, read("25000", Some("20000"), None), None),
        "Revenue (30-day total) is 25,000, no longer below the threshold 20,000."
    );
    assert_eq!(
        text(
            &default_rules()[0],
            read("62", Some("-10"), Some("74")),
            None
        ),
        "Overall health score fell 12 points in 30 days (from 74 to 62); the rule fires below \u{2212}10."
    );
    let pct = rule(metric("revenue"), Op::ChangePctBelow, Some("-10"), Some(7));
    assert_eq!(
        text(&pct, read("800", Some("-10"), Some("1000")), None),
        "Revenue (7-day total) fell 20 % against the previous 7 days (from 1,000 to 800); the \
         rule fires below \u{2212}10 %."
    );
    let change = rule(metric("new_mrr"), Op::ChangeAbove, Some("500"), Some(14));
    assert_eq!(
        text(&change, read("2500.5", Some("500"), Some("1000")), None),
        "New MRR (14-day total) rose 1,500.50 against the previous 14 days (from 1,000 to \
         2,500.50); the rule fires above 500."
    );
    let uptime = rule(metric("uptime"), Op::ChangeBelow, Some("-0.01"), Some(7));
    assert_eq!(
        text(&uptime, read("0.97", Some("-0.01"), Some("0.995")), None),
        "Uptime (7-day average) fell 2.5 percentage points against the previous 7 days (from \
         99.5 % to 97 %); the rule fires below \u{2212}1 percentage point."
    );
    assert_eq!(
        text(&default_rules()[1], read("4.25", Some("6"), None), None),
        "Cash runway is 4.2 months, below the threshold 6.0 months."
    );
    assert_eq!(
        text(&default_rules()[2], read("0.045", Some("0.03"), None), None),
        "Monthly churn rate is 4.5 %, above the threshold 3.0 %."
    );
    let unbounded = rule(
        Target::Factor(FactorId::CashRunway),
        Op::Above,
        Some("24"),
        None,
    );
    assert_eq!(
        text(
            &unbounded,
            Reading {
                current: Decimal::MAX,
                threshold: Some(dec("24")),
                baseline: None
            },
            None
        ),
        "Cash runway is unbounded, above the threshold 24.0 months."
    );
    let anomaly = rule(metric("orders"), Op::Anomaly, None, Some(7));
    assert_eq!(
        text(&anomaly, read("1234", None, None), None),
        "Orders had an unusual value in the last 7 days (latest day: 1,234)."
    );
    let custom = rule(metric("trial_starts"), Op::Above, Some("50"), Some(7));
    assert_eq!(
        text(&custom, read("64", Some("50"), None), Some("count")),
        "Trial starts (last 7 days) is 64, above the threshold 50."
    );
    let score = rule(
        Target::Score(ScoreName::Customer),
        Op::Below,
        Some("40"),
        None,
    );
    assert_eq!(
        text(&score, read("38.5", Some("40"), None), None),
        "Customer score is 38.5, below the threshold 40."
    );
}

#[test]
fn floats_become_decimals_rounded_once() {
    use super::check::decimal_of;
    assert_eq!(
        decimal_of(48.455, 2),
        Some(dec("48.45")),
        "48.455 is 48.45499… in binary"
    );
    assert_eq!(decimal_of(0.1, 6), Some(dec("0.1")));
    assert_eq!(decimal_of(-3.0000004, 6), Some(dec("-3")));
    assert_eq!(decimal_of(1e-30, 6), Some(Decimal::ZERO));
    assert_eq!(decimal_of(5e-324, 6), Some(Decimal::ZERO));
    assert_eq!(decimal_of(1e30, 2), Some(Decimal::MAX));
    assert_eq!(decimal_of(-1e30, 2), Some(Decimal::MIN));
    assert_eq!(decimal_of(f64::INFINITY, 2), Some(Decimal::MAX));
    assert_eq!(decimal_of(f64::NAN, 2), None);
    assert_eq!(decimal_of(7.8e28, 0).map(|d| d > dec("7e28")), Some(true));
}
