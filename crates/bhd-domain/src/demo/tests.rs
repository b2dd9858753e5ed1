//! Tests of the demo: determinism, completeness, exact identities, ranges and the story.

use super::*;
use chrono::Datelike;
use std::collections::HashMap;
use std::sync::OnceLock;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap()
}

const DAYS: u32 = 1096;

/// A run's points as one series per metric, indexed by day.
struct Run {
    profile: Profile,
    start: NaiveDate,
    days: u32,
    series: HashMap<&'static str, Vec<i64>>,
}

impl Run {
    fn new(profile: Profile, start: NaiveDate, days: u32, seed: u64) -> Self {
        let mut series: HashMap<&'static str, Vec<i64>> = HashMap::new();
        for p in simulate(profile, start, days, seed) {
            series.entry(p.metric).or_default().push(p.value_micros);
        }
        Self {
            profile,
            start,
            days,
            series,
        }
    }
    fn get(&self, metric: &str) -> &[i64] {
        self.series
            .get(metric)
            .unwrap_or_else(|| panic!("{:?} has no {metric}", self.profile))
    }
    fn has(&self, metric: &str) -> bool {
        self.series.contains_key(metric)
    }
    fn offset(&self, date: NaiveDate) -> usize {
        (date - self.start).num_days() as usize
    }
    fn date(&self, i: usize) -> NaiveDate {
        self.start + Days::new(i as u64)
    }
}

/// The default runs (seed 7, three years from 2022-01-01), simulated once for all tests.
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        Profile::ALL
            .iter()
            .map(|p| Run::new(*p, start(), DAYS, 7))
            .collect()
    })
}

/// The canonical metric types of API.md.
const CANONICAL: &[&str] = &[
    "revenue",
    "expenses",
    "cost_of_goods_sold",
    "gross_profit",
    "net_profit",
    "operating_cash_flow",
    "cash_balance",
    "current_assets",
    "current_liabilities",
    "total_assets",
    "total_liabilities",
    "retained_earnings",
    "book_equity",
    "accounts_receivable",
    "accounts_payable",
    "inventory",
    "ebit",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "active_customers",
    "new_customers",
    "churned_customers",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "nps",
    "largest_customer_revenue_share",
    "headcount",
    "uptime",
    "orders",
    "average_order_value",
    "fulfillment_time_hours",
    "support_resolution_time_hours",
    "leads",
    "deals_won",
    "pipeline_value",
    "sessions",
    "visitors",
    "conversion_rate",
    "compliance_items_total",
    "compliance_items_ok",
];

const CURRENCY: &[&str] = &[
    "revenue",
    "expenses",
    "cost_of_goods_sold",
    "gross_profit",
    "net_profit",
    "operating_cash_flow",
    "cash_balance",
    "current_assets",
    "current_liabilities",
    "total_assets",
    "total_liabilities",
    "retained_earnings",
    "book_equity",
    "accounts_receivable",
    "accounts_payable",
    "inventory",
    "ebit",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "pipeline_value",
    "average_order_value",
];

const COUNTS: &[&str] = &[
    "active_customers",
    "new_customers",
    "churned_customers",
    "headcount",
    "orders",
    "leads",
    "deals_won",
    "sessions",
    "visitors",
    "compliance_items_total",
    "compliance_items_ok",
];

const RATIOS: &[&str] = &[
    "largest_customer_revenue_share",
    "uptime",
    "conversion_rate",
];

/// Balances that can never be negative.
const NON_NEGATIVE: &[&str] = &[
    "accounts_receivable",
    "accounts_payable",
    "inventory",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "pipeline_value",
    "average_order_value",
    "revenue",
    "expenses",
    "cost_of_goods_sold",
    "current_liabilities",
];

#[test]
fn demo_same_seed_gives_the_same_points_and_another_seed_others() {
    for profile in Profile::ALL {
        let a = simulate(*profile, start(), DAYS, 42);
        assert_eq!(a, simulate(*profile, start(), DAYS, 42), "{profile}");
        assert_ne!(a, simulate(*profile, start(), DAYS, 43), "{profile}");
    }
}

#[test]
fn demo_emits_every_metric_on_every_day() {
    for profile in Profile::ALL {
        let names = metrics(*profile);
        let mut unique = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{profile}: duplicate metric");
        for m in names {
            assert!(CANONICAL.contains(m), "{profile}: {m} is not canonical");
            assert!(
                CURRENCY.contains(m)
                    || COUNTS.contains(m)
                    || RATIOS.contains(m)
                    || [
                        "nps",
                        "fulfillment_time_hours",
                        "support_resolution_time_hours"
                    ]
                    .contains(m),
                "{m} is untested"
            );
        }
        let points = simulate(*profile, start(), DAYS, 7);
        assert_eq!(points.len(), DAYS as usize * names.len(), "{profile}");
        for (i, day) in points.chunks(names.len()).enumerate() {
            let date = start() + Days::new(i as u64);
            assert!(day.iter().all(|p| p.date == date), "{profile} day {i}");
            let emitted: Vec<&str> = day.iter().map(|p| p.metric).collect();
            assert_eq!(emitted, names, "{profile} day {i}");
        }
    }
    assert!(simulate(Profile::Saas, start(), 0, 7).is_empty());
    assert_eq!(
        simulate(Profile::Saas, start(), 1, 7).len(),
        metrics(Profile::Saas).len()
    );
}

#[test]
fn demo_profiles_cover_what_the_score_needs() {
    let needs = |p: Profile| -> Vec<&str> {
        let mut v = vec![
            "revenue",
            "expenses",
            "net_profit",
            "operating_cash_flow",
            "cash_balance",
            "current_assets",
            "current_liabilities",
            "total_assets",
            "total_liabilities",
            "retained_earnings",
            "book_equity",
            "ebit",
            "gross_profit",
            "active_customers",
            "churned_customers",
            "customer_acquisition_cost",
            "customer_lifetime_value",
            "nps",
            "headcount",
            "largest_customer_revenue_share",
            "compliance_items_total",
            "compliance_items_ok",
        ];
        v.extend(match p {
            Profile::Saas => &[
                "mrr",
                "new_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "uptime",
                "leads",
                "conversion_rate",
                "accounts_receivable",
            ][..],
            Profile::Ecommerce => &["inventory", "cost_of_goods_sold", "conversion_rate"][..],
            Profile::Services => &["accounts_receivable", "leads"][..],
        });
        v
    };
    for profile in Profile::ALL {
        for m in needs(*profile) {
            assert!(metrics(*profile).contains(&m), "{profile} lacks {m}");
        }
    }
}

#[test]
fn demo_books_balance_to_the_cent_every_day() {
    for seed in [7, 8] {
        for profile in Profile::ALL {
            let r = Run::new(*profile, start(), DAYS, seed);
            let (funding_day, raised) = funding(*profile, start(), DAYS);
            let funding_at = r.offset(funding_day);
            assert!(raised > 0);
            let zero = vec![0; DAYS as usize];
            let inventory = if r.has("inventory") {
                r.get("inventory")
            } else {
                &zero
            };
            let (rev, cogs, exp) = (
                r.get("revenue"),
                r.get("cost_of_goods_sold"),
                r.get("expenses"),
            );
            let (np, ocf, cash) = (
                r.get("net_profit"),
                r.get("operating_cash_flow"),
                r.get("cash_balance"),
            );
            let (ar, cl, ca) = (
                r.get("accounts_receivable"),
                r.get("current_liabilities"),
                r.get("current_assets"),
            );
            let (ta, tl, re, be) = (
                r.get("total_assets"),
                r.get("total_liabilities"),
                r.get("retained_earnings"),
                r.get("book_equity"),
            );
            for m in metrics(*profile).iter().filter(|m| CURRENCY.contains(m)) {
                assert!(
                    r.get(m).iter().all(|v| v % MICROS_PER_CENT == 0),
                    "{profile} {m} has fractions of a cent"
                );
            }
            for i in 0..DAYS as usize {
                let ctx = format!("{profile} seed {seed} day {i}");
                assert_eq!(r.get("gross_profit")[i], rev[i] - cogs[i], "{ctx}");
                assert_eq!(np[i], rev[i] - cogs[i] - exp[i], "{ctx}");
                assert_eq!(r.get("ebit")[i], np[i], "{ctx}");
                assert_eq!(ca[i], cash[i] + ar[i] + inventory[i], "{ctx}");
                assert!(cl[i] >= r.get("accounts_payable")[i], "{ctx}");
                assert_eq!(tl[i], cl[i], "{ctx}");
                assert_eq!(be[i], ta[i] - tl[i], "{ctx}");
                assert_eq!(ta[i] - ca[i], ta[0] - ca[0], "{ctx}: fixed assets move");
                if i == 0 {
                    continue;
                }
                let raised_today = if i == funding_at { raised } else { 0 };
                assert_eq!(cash[i], cash[i - 1] + ocf[i] + raised_today, "{ctx}");
                let working_capital =
                    (ar[i] - ar[i - 1]) + (inventory[i] - inventory[i - 1]) - (cl[i] - cl[i - 1]);
                assert_eq!(ocf[i], np[i] - working_capital, "{ctx}");
                assert_eq!(re[i], re[i - 1] + np[i], "{ctx}");
                assert_eq!(be[i] - re[i], be[i - 1] - re[i - 1] + raised_today, "{ctx}");
            }
        }
    }
}

#[test]
fn demo_customers_and_mrr_add_up_every_day() {
    for r in runs() {
        let (active, new, churned) = (
            r.get("active_customers"),
            r.get("new_customers"),
            r.get("churned_customers"),
        );
        for i in 1..DAYS as usize {
            assert_eq!(
                active[i],
                active[i - 1] + new[i] - churned[i],
                "{:?} day {i}",
                r.profile
            );
        }
        if r.has("deals_won") {
            assert_eq!(r.get("deals_won"), new, "{:?}", r.profile);
        }
        if r.has("visitors") {
            let (v, s) = (r.get("visitors"), r.get("sessions"));
            assert!(v.iter().zip(s).all(|(v, s)| v <= s), "{:?}", r.profile);
        }
    }
    let saas = &runs()[0];
    let mrr = saas.get("mrr");
    let [new, up, down, lost] =
        ["new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"].map(|m| saas.get(m));
    for i in 1..DAYS as usize {
        assert_eq!(
            mrr[i],
            mrr[i - 1] + new[i] + up[i] - down[i] - lost[i],
            "day {i}"
        );
    }
    let shop = &runs()[1];
    let (orders, aov, sessions) = (
        shop.get("orders"),
        shop.get("average_order_value"),
        shop.get("sessions"),
    );
    for i in 0..DAYS as usize {
        let n = orders[i] / MICROS_PER_UNIT;
        assert_eq!(shop.get("revenue")[i], n * aov[i], "day {i}");
        assert_eq!(
            shop.get("conversion_rate")[i],
            ratio_micros(orders[i], sessions[i]),
            "day {i}"
        );
    }
}

#[test]
fn demo_values_stay_within_their_units() {
    let mut five_years = vec![Run::new(Profile::Ecommerce, start(), 1827, 3)];
    for seed in 1..=3 {
        for p in Profile::ALL {
            five_years.push(Run::new(*p, start(), DAYS, seed));
        }
    }
    for r in runs().iter().chain(&five_years) {
        let p = r.profile;
        for m in metrics(p) {
            let s = r.get(m);
            assert_eq!(s.len(), r.days as usize);
            if COUNTS.contains(m) {
                assert!(
                    s.iter().all(|v| *v >= 0 && v % MICROS_PER_UNIT == 0),
                    "{p} {m}"
                );
            }
            if RATIOS.contains(m) {
                assert!(
                    s.iter().all(|v| (0..=MICROS_PER_UNIT).contains(v)),
                    "{p} {m}"
                );
            }
            if NON_NEGATIVE.contains(m) {
                assert!(s.iter().all(|v| *v >= 0), "{p} {m}");
            }
            if m.ends_with("_hours") {
                assert!(
                    s.iter().all(|v| *v > 0 && *v < 200 * MICROS_PER_UNIT),
                    "{p} {m}"
                );
            }
        }
        let nps = r.get("nps");
        assert!(
            nps.iter()
                .all(|v| (-100 * MICROS_PER_UNIT..=100 * MICROS_PER_UNIT).contains(v)),
            "{p}"
        );
        let (ok, total) = (
            r.get("compliance_items_ok"),
            r.get("compliance_items_total"),
        );
        assert!(ok.iter().zip(total).all(|(ok, total)| ok <= total), "{p}");
        // The demo companies are meant to stay solvent: low is fine, below zero is not.
        assert!(
            r.get("cash_balance").iter().all(|v| *v > 0),
            "{p} runs out of cash"
        );
        let headcount = r.get("headcount");
        assert!(headcount.iter().all(|v| *v >= MICROS_PER_UNIT), "{p}");
        // It grows: the last quarter's revenue beats the first's.
        let rev = r.get("revenue");
        let q = |from: usize| rev[from..from + 90].iter().sum::<i64>();
        assert!(
            q(rev.len() - 90) > q(0) * 5 / 4,
            "{p} does not grow: {} → {}",
            q(0),
            q(rev.len() - 90)
        );
    }
}

/// Sum of a metric over the half-open range of days.
fn total(r: &Run, metric: &str, from: usize, to: usize) -> i64 {
    r.get(metric)[from..to].iter().sum()
}

#[test]
fn demo_bad_quarter_is_worse_than_the_quarter_before() {
    // Four starts a quarter apart, so that the bad quarter falls in every season once
    // (the holiday peak and August included).
    for month in [1, 4, 7, 10] {
        let start = NaiveDate::from_ymd_opt(2021, month, 1).unwrap();
        for profile in Profile::ALL {
            let r = Run::new(*profile, start, DAYS, 7);
            let (first, last) = bad_quarter(start, DAYS);
            let (from, to) = (r.offset(first), r.offset(last) + 1);
            assert_eq!(to - from, 90);
            let before = from - 90;
            let ctx = format!("{profile} from {start}");
            let won = |a, b| total(&r, "new_customers", a, b);
            assert!(
                won(from, to) * 10 < won(before, from) * 7,
                "{ctx}: new customers {} vs {}",
                won(from, to),
                won(before, from)
            );
            let lost = |a, b| total(&r, "churned_customers", a, b);
            assert!(
                lost(from, to) * 10 > lost(before, from) * 15,
                "{ctx}: churn {} vs {}",
                lost(from, to),
                lost(before, from)
            );
            let cost_ratio = |a, b| {
                (total(&r, "cost_of_goods_sold", a, b) + total(&r, "expenses", a, b)) as f64
                    / total(&r, "revenue", a, b) as f64
            };
            assert!(
                cost_ratio(from, to) > cost_ratio(before, from) + 0.03,
                "{ctx}: costs"
            );
            if r.has("new_mrr") {
                let new_mrr = |a, b| total(&r, "new_mrr", a, b);
                assert!(
                    new_mrr(from, to) * 10 < new_mrr(before, from) * 7,
                    "{ctx}: new MRR"
                );
                let spent =
                    |a, b| total(&r, "cost_of_goods_sold", a, b) + total(&r, "expenses", a, b);
                assert!(spent(from, to) > spent(before, from), "{ctx}: costs");
            }
        }
    }
}

#[test]
fn demo_large_customer_loss_is_a_step_down() {
    for r in runs() {
        let i = r.offset(large_customer_loss(r.start, DAYS));
        let share = r.get("largest_customer_revenue_share");
        assert!(
            share[i - 1] > 50_000,
            "{:?}: the largest customer is big",
            r.profile
        );
        assert!(
            share[i] * 2 < share[i - 1],
            "{:?}: share {} → {}",
            r.profile,
            share[i - 1],
            share[i]
        );
        assert!(
            share[i + 1..].iter().all(|s| s * 2 < share[i - 1]),
            "{:?}: it stays gone",
            r.profile
        );
        assert!(
            r.get("churned_customers")[i] >= MICROS_PER_UNIT,
            "{:?}",
            r.profile
        );
    }
    let saas = &runs()[0];
    let i = saas.offset(large_customer_loss(saas.start, DAYS));
    let (mrr, lost) = (saas.get("mrr"), saas.get("churned_mrr"));
    let anchor = mrr[i - 1] / MICROS_PER_UNIT * saas.get("largest_customer_revenue_share")[i - 1];
    // (The share is rounded to six places, hence the tolerance.)
    assert!(
        lost[i] * 100 >= anchor * 99,
        "the anchor's MRR is churned that day"
    );
    assert!(
        mrr[i] < mrr[i - 1] - anchor / 2,
        "MRR steps down: {} → {}",
        mrr[i - 1],
        mrr[i]
    );
    let median_loss = {
        let mut l = lost.to_vec();
        l.sort_unstable();
        l[l.len() / 2]
    };
    assert!(lost[i] > 10 * median_loss.max(1));
}

/// Mean of a metric per day over the days that pass the filter.
fn mean_where(r: &Run, metric: &str, keep: impl Fn(NaiveDate) -> bool) -> f64 {
    let s = r.get(metric);
    let kept: Vec<i64> = (0..s.len())
        .filter(|i| keep(r.date(*i)))
        .map(|i| s[i])
        .collect();
    kept.iter().sum::<i64>() as f64 / kept.len() as f64
}

#[test]
fn demo_has_weekly_and_yearly_seasons() {
    let weekend = |d: NaiveDate| d.weekday().num_days_from_monday() >= 5;
    let (saas, shop, agency) = (&runs()[0], &runs()[1], &runs()[2]);
    let (first, last) = bad_quarter(start(), DAYS);
    let normal = |d: NaiveDate| d < first || d > last;

    // Shoppers: weekends and the holiday peak, in every calendar year the bad quarter spares.
    let weekend_sessions = mean_where(shop, "sessions", weekend);
    assert!(weekend_sessions > 1.1 * mean_where(shop, "sessions", |d| !weekend(d)));
    let years: Vec<i32> = (2022..=2024)
        .filter(|y| !(first.year()..=last.year()).contains(y))
        .collect();
    assert!(!years.is_empty());
    for y in years {
        let year = mean_where(shop, "revenue", |d| d.year() == y);
        let peak = mean_where(shop, "revenue", |d| d.year() == y && d.month() >= 11);
        assert!(peak > 1.4 * year, "{y}: November–December {peak} vs {year}");
    }

    // B2B buyers: weekdays, and not in August.
    let weekday_deals = mean_where(saas, "deals_won", |d| !weekend(d));
    assert!(weekday_deals > 3.0 * mean_where(saas, "deals_won", weekend));
    let august = mean_where(saas, "deals_won", |d| normal(d) && d.month() == 8);
    let rest = mean_where(saas, "deals_won", |d| normal(d) && d.month() != 8);
    assert!(august < 0.75 * rest, "August {august} vs {rest}");

    // Billable work happens on workdays.
    let workday = mean_where(agency, "revenue", |d| !weekend(d));
    assert!(workday > 5.0 * mean_where(agency, "revenue", weekend));
}

#[test]
fn demo_events_fall_in_a_fixed_order() {
    for days in [1096, 1461, 1827] {
        let (first, last) = bad_quarter(start(), days);
        let (funded, _) = funding(Profile::Saas, start(), days);
        let loss = large_customer_loss(start(), days);
        let end = start() + Days::new(u64::from(days));
        assert!(
            start() < funded && funded < first && last < loss && loss < end,
            "{days}"
        );
        assert_eq!((last - first).num_days(), 89);
        let into = (first - start()).num_days() as f64 / f64::from(days);
        assert!((0.55..=0.65).contains(&into), "{into}");
    }
    // Degenerate ranges do not panic.
    let _ = bad_quarter(start(), 0);
    let _ = large_customer_loss(NaiveDate::MAX, 10);
}

#[test]
fn demo_profiles_parse_and_map_to_industries() {
    for p in Profile::ALL {
        assert_eq!(p.as_str().parse::<Profile>().unwrap(), *p);
        assert_eq!(p.industry().as_str(), p.as_str());
    }
    assert!("retail".parse::<Profile>().is_err());
}
