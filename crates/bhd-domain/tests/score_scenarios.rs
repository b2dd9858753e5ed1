//! Scenario tests of the health-score model: hand-made companies in distress and in health, an
//! empty one, the demo companies (with their bad quarter and large-customer loss), and
//! `docs/scoring.md`, whose generated tables (factor catalogue, profiles, worked example) must
//! match what the code computes.
//!
//! To regenerate the doc's tables after a deliberate model change, run
//! `BHD_BLESS_DOCS=1 cargo test -p bhd-domain --test score_scenarios` and review the diff.

use bhd_domain::demo::{Profile, bad_quarter, large_customer_loss, simulate};
use bhd_domain::metrics::{Amount, Category};
use bhd_domain::org::Industry;
use bhd_domain::score::{
    Applies, FactorId, InputBuilder, KpiUnit, MODEL_VERSION, Score, ScoreInput, applies, curve,
    drivers, factor_defs, format_value, recommendations, score,
};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use std::fmt::Write as _;

fn d(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

/// Early in the month after `as_of`.
fn now_after(as_of: NaiveDate) -> DateTime<Utc> {
    let next = as_of.checked_add_months(Months::new(1)).unwrap();
    Utc.with_ymd_and_hms(next.year(), next.month(), 3, 9, 0, 0)
        .unwrap()
}

/// Sets `metric` for the `n` months to `as_of`, from `f(back)` (back 0 = `as_of`).
fn series(input: &mut ScoreInput, metric: &str, n: u32, f: impl Fn(u32) -> f64) {
    for back in 0..n {
        let month = input.as_of.checked_sub_months(Months::new(back)).unwrap();
        input.set(metric, month, f(back));
    }
}

fn fmt(x: Option<f64>) -> String {
    x.map_or_else(|| "null".to_owned(), |v| format!("{v:.1}"))
}

fn summary(s: &Score) -> String {
    let mut out = format!(
        "overall {} (coverage {:.2}, confidence {})",
        fmt(s.overall),
        s.coverage,
        fmt(s.confidence)
    );
    for f in s.factors() {
        let _ = write!(out, "\n  {:<24} {:>6}", f.name.as_str(), fmt(f.score));
    }
    out
}

/// A distressed company: revenue falling 6 % a month, deep losses, about 2.5 months of cash,
/// 10 % monthly churn, detractors, more debts than assets.
fn distressed() -> ScoreInput {
    let as_of = d(2024, 6);
    let mut i = ScoreInput::new(Industry::General, as_of, now_after(as_of));
    let revenue = |b: u32| 60_000.0 * 1.06f64.powi(b as i32);
    series(&mut i, "revenue", 15, revenue);
    series(&mut i, "cost_of_goods_sold", 15, |b| 0.55 * revenue(b));
    series(&mut i, "expenses", 15, |_| 70_000.0);
    series(&mut i, "operating_cash_flow", 15, |b| {
        0.45 * revenue(b) - 70_000.0
    });
    series(&mut i, "cash_balance", 3, |b| {
        110_000.0 + 40_000.0 * f64::from(b)
    });
    series(&mut i, "current_assets", 3, |_| 150_000.0);
    series(&mut i, "current_liabilities", 3, |_| 210_000.0);
    series(&mut i, "total_assets", 3, |_| 260_000.0);
    series(&mut i, "total_liabilities", 3, |_| 320_000.0);
    series(&mut i, "retained_earnings", 3, |_| -450_000.0);
    series(&mut i, "accounts_receivable", 3, |_| 140_000.0);
    series(&mut i, "active_customers", 15, |b| {
        500.0 + 40.0 * f64::from(b)
    });
    series(&mut i, "churned_customers", 15, |b| {
        55.0 + 4.0 * f64::from(b)
    });
    series(&mut i, "customer_acquisition_cost", 12, |b| {
        900.0 - 30.0 * f64::from(b)
    });
    series(&mut i, "customer_lifetime_value", 3, |_| 650.0);
    series(&mut i, "nps", 3, |_| -25.0);
    series(&mut i, "headcount", 3, |_| 14.0);
    series(&mut i, "leads", 6, |b| if b < 3 { 80.0 } else { 130.0 });
    series(&mut i, "largest_customer_revenue_share", 1, |_| 0.42);
    series(&mut i, "compliance_items_total", 1, |_| 20.0);
    series(&mut i, "compliance_items_ok", 1, |_| 11.0);
    i
}

/// A strong SaaS company: MRR growing 4 % a month, 20 % net margin, cash-flow positive, 1 %
/// monthly churn, net retention above 110 %, promoters, a clean balance sheet.
fn strong() -> ScoreInput {
    let as_of = d(2024, 6);
    let mut i = ScoreInput::new(Industry::Saas, as_of, now_after(as_of));
    let mrr = |b: u32| 400_000.0 / 1.04f64.powi(b as i32);
    series(&mut i, "mrr", 15, mrr);
    series(&mut i, "revenue", 15, mrr);
    series(&mut i, "cost_of_goods_sold", 15, |b| 0.18 * mrr(b));
    series(&mut i, "expenses", 15, |b| 0.62 * mrr(b));
    series(&mut i, "net_profit", 15, |b| 0.20 * mrr(b));
    series(&mut i, "ebit", 15, |b| 0.20 * mrr(b));
    series(&mut i, "operating_cash_flow", 15, |b| 0.22 * mrr(b));
    series(&mut i, "new_mrr", 15, |b| 0.045 * mrr(b));
    series(&mut i, "expansion_mrr", 15, |b| 0.012 * mrr(b));
    series(&mut i, "churned_mrr", 15, |b| 0.006 * mrr(b));
    series(&mut i, "contraction_mrr", 15, |b| 0.002 * mrr(b));
    series(&mut i, "cash_balance", 3, |_| 6_000_000.0);
    series(&mut i, "current_assets", 3, |_| 6_800_000.0);
    series(&mut i, "current_liabilities", 3, |_| 1_500_000.0);
    series(&mut i, "total_assets", 3, |_| 7_500_000.0);
    series(&mut i, "total_liabilities", 3, |_| 1_800_000.0);
    series(&mut i, "retained_earnings", 3, |_| 3_000_000.0);
    series(&mut i, "book_equity", 3, |_| 5_700_000.0);
    series(&mut i, "accounts_receivable", 3, |b| 0.8 * mrr(b));
    series(&mut i, "active_customers", 15, |b| {
        2_000.0 / 1.03f64.powi(b as i32)
    });
    series(&mut i, "churned_customers", 15, |b| {
        0.009 * 2_000.0 / 1.03f64.powi(b as i32 + 1)
    });
    series(&mut i, "customer_acquisition_cost", 12, |b| {
        1_800.0 + 15.0 * f64::from(b)
    });
    series(&mut i, "customer_lifetime_value", 3, |_| 9_500.0);
    series(&mut i, "nps", 3, |_| 58.0);
    series(&mut i, "uptime", 3, |_| 0.9995);
    series(&mut i, "headcount", 3, |_| 16.0);
    series(&mut i, "leads", 6, |b| if b < 3 { 900.0 } else { 760.0 });
    series(&mut i, "conversion_rate", 6, |b| {
        if b < 3 { 0.031 } else { 0.028 }
    });
    series(&mut i, "largest_customer_revenue_share", 1, |_| 0.04);
    series(&mut i, "compliance_items_total", 1, |_| 40.0);
    series(&mut i, "compliance_items_ok", 1, |_| 40.0);
    i
}

#[test]
fn a_distressed_company_scores_low() {
    let s = score(&distressed());
    let overall = s.overall.unwrap();
    assert!(overall < 30.0, "{}", summary(&s));
    assert!(s.coverage > 0.9, "{}", summary(&s));
    for c in [Category::Financial, Category::Customer, Category::Growth] {
        let x = s.category(c).unwrap().score.unwrap();
        assert!(x < 35.0, "{c} {x}\n{}", summary(&s));
    }
    let runway = s.factor(FactorId::CashRunway).unwrap();
    assert!(runway.value.unwrap() < 3.0, "{}", summary(&s));
    // Revenue is down 6 % a month year over year.
    let growth = s.factor(FactorId::RevenueGrowth).unwrap();
    assert!(
        (growth.value.unwrap() + 0.0566).abs() < 1e-3,
        "{:?}",
        growth.value
    );
    assert_eq!(growth.note.as_deref(), Some("year over year"));
    let recs = recommendations(&s);
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r.score < 60.0 && !r.action.is_empty()));
}

#[test]
fn a_strong_company_scores_high() {
    let s = score(&strong());
    let overall = s.overall.unwrap();
    assert!(overall > 85.0, "{}", summary(&s));
    assert!(s.coverage > 0.99, "{}", summary(&s));
    let nrr = s.factor(FactorId::NetRevenueRetention).unwrap();
    assert!(nrr.value.unwrap() > 1.05, "{:?}", nrr.value);
    let rule = s.factor(FactorId::RuleOf40).unwrap();
    assert!(rule.value.unwrap() > 60.0, "{:?}", rule.value);
    assert!(s.confidence.unwrap() > 0.8);
    // Strong, but not beyond reproach: what is below 60 gets a recommendation, nothing else.
    for r in recommendations(&s) {
        assert!(r.score < 60.0);
    }
    assert!(score(&distressed()).overall.unwrap() + 50.0 < overall);
}

#[test]
fn an_empty_company_has_no_overall_and_says_what_to_send() {
    let as_of = d(2024, 6);
    let s = score(&ScoreInput::new(
        Industry::Ecommerce,
        as_of,
        now_after(as_of),
    ));
    assert_eq!(s.overall, None);
    assert_eq!(s.coverage, 0.0);
    assert_eq!(s.confidence, None);
    assert!(
        s.reason
            .as_deref()
            .unwrap()
            .starts_with("Only 0 % of the model's weight")
    );
    for c in &s.categories {
        assert_eq!(c.score, None);
        assert!(
            c.hint.as_deref().unwrap().starts_with("Send "),
            "{:?}",
            c.hint
        );
        assert!(!c.needs.is_empty());
    }
    assert!(s.factors().all(|f| f.absent_reason.is_some()));
    assert!(recommendations(&s).is_empty());
    assert_eq!(s.stored().overall, None);

    // Revenue alone is not enough for an overall either.
    let mut i = ScoreInput::new(Industry::General, as_of, now_after(as_of));
    series(&mut i, "revenue", 13, |b| 1_000.0 + f64::from(b));
    let s = score(&i);
    assert!(s.coverage > 0.0 && s.coverage < 0.25, "{}", s.coverage);
    assert_eq!(s.overall, None);
    assert!(s.growth.is_some());
}

/// Scores of a demo company at several months, from one simulation.
struct Demo {
    profile: Profile,
    points: Vec<bhd_domain::demo::DemoPoint>,
}

const START: (i32, u32) = (2022, 1);
const DAYS: u32 = 1096;

impl Demo {
    fn new(profile: Profile) -> Self {
        let start = d(START.0, START.1);
        Self {
            profile,
            points: simulate(profile, start, DAYS, 7),
        }
    }

    fn score(&self, as_of: NaiveDate) -> Score {
        let mut b = InputBuilder::new(self.profile.industry(), chrono_tz::UTC, now_after(as_of));
        for p in &self.points {
            b.push_day(p.metric, p.date, Amount::from_micros(p.value_micros));
        }
        let input = b.build();
        assert_eq!(input.as_of, as_of);
        score(&input)
    }
}

fn month_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap()
}

#[test]
fn demo_companies_score_plausibly_and_their_bad_quarter_shows() {
    let start = d(START.0, START.1);
    let (first_bad, last_bad) = bad_quarter(start, DAYS);
    // The quarter before the bad one, and the three months it covers most.
    let good_as_of = month_of(first_bad)
        .checked_sub_months(Months::new(1))
        .unwrap();
    let bad_as_of = month_of(last_bad)
        .checked_sub_months(Months::new(1))
        .unwrap();
    for profile in Profile::ALL {
        let demo = Demo::new(*profile);
        // Every quarter-end from the sixth month on: plausible, well covered, confident.
        let mut month = d(2022, 6);
        while month <= d(2024, 12) {
            let s = demo.score(month);
            let overall = s
                .overall
                .unwrap_or_else(|| panic!("{profile} {month}: {s:?}"));
            assert!(
                (40.0..=95.0).contains(&overall),
                "{profile} {month}: {}",
                summary(&s)
            );
            assert!(s.coverage > 0.85, "{profile} {month}: {}", summary(&s));
            assert!(
                s.confidence.unwrap() > 0.9,
                "{profile} {month}: {}",
                summary(&s)
            );
            month = month.checked_add_months(Months::new(3)).unwrap();
        }
        let good = demo.score(good_as_of);
        let bad = demo.score(bad_as_of);
        let (g, b) = (good.overall.unwrap(), bad.overall.unwrap());
        assert!(
            b < g - 8.0,
            "{profile}: bad quarter {b:.1} vs good {g:.1}\n{}\n{}",
            summary(&good),
            summary(&bad)
        );
        assert!(bad.growth < good.growth, "{profile}");
        // More customers leave and fewer recommend the company (the scripted story).
        for f in [FactorId::ChurnRate, FactorId::Nps] {
            let at = |s: &Score| s.factor(f).unwrap().score.unwrap();
            assert!(at(&bad) < at(&good) - 5.0, "{profile} {f}");
        }
        // The drivers explain the whole fall, churn among them.
        let ds = drivers(&good, &bad);
        let total: f64 = ds.iter().map(|x| x.change).sum();
        assert!((total - (b - g)).abs() < 1e-9);
        let churn = ds.iter().find(|x| x.factor == FactorId::ChurnRate).unwrap();
        assert!(churn.change < -0.5, "{profile}: {churn:?}");
        // After the bad quarter the score recovers.
        let later = demo.score(bad_as_of.checked_add_months(Months::new(4)).unwrap());
        assert!(later.overall.unwrap() > b + 5.0, "{profile}");
    }
}

#[test]
fn demo_large_customer_loss_lowers_concentration_risk() {
    let start = d(START.0, START.1);
    let loss = month_of(large_customer_loss(start, DAYS));
    let before_as_of = loss.checked_sub_months(Months::new(1)).unwrap();
    for profile in Profile::ALL {
        let demo = Demo::new(*profile);
        let (before, after) = (demo.score(before_as_of), demo.score(loss));
        let share = |s: &Score| {
            s.factor(FactorId::CustomerConcentration)
                .unwrap()
                .value
                .unwrap()
        };
        assert!(
            share(&after) * 2.0 < share(&before),
            "{profile}: {} → {}",
            share(&before),
            share(&after)
        );
        let conc = |s: &Score| {
            s.factor(FactorId::CustomerConcentration)
                .unwrap()
                .score
                .unwrap()
        };
        assert!(conc(&after) >= conc(&before));
        if *profile == Profile::Saas {
            // The anchor's MRR leaving shows in the quick ratio.
            let q = |s: &Score| s.factor(FactorId::SaasQuickRatio).unwrap().score.unwrap();
            assert!(q(&after) < q(&before), "{} → {}", q(&before), q(&after));
        }
    }
}

// ---- docs/scoring.md -------------------------------------------------------------------------

fn doc_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scoring.md")
}

/// Checks (or, with BHD_BLESS_DOCS=1, rewrites) the block between `<!-- NAME:begin -->` and
/// `<!-- NAME:end -->` of docs/scoring.md.
fn check_doc_block(name: &str, generated: &str) {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/scoring.md exists");
    let (begin, end) = (
        format!("<!-- {name}:begin -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let from = doc
        .find(&begin)
        .unwrap_or_else(|| panic!("no {begin} in the doc"))
        + begin.len();
    let to = from + doc[from..].find(&end).unwrap_or_else(|| panic!("no {end}"));
    if std::env::var_os("BHD_BLESS_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &doc[..from], &doc[to..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    let current = &doc[from..to];
    if current != generated {
        let line = current
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "docs/scoring.md block {name} is out of date (first difference at its line {}):\n  \
             doc:  {:?}\n  code: {:?}\nrun BHD_BLESS_DOCS=1 cargo test -p bhd-domain --test \
             score_scenarios and review the diff",
            line + 1,
            current.lines().nth(line),
            generated.lines().nth(line)
        );
    }
}

fn curve_text(f: FactorId, industry: Industry) -> String {
    let def = f.def();
    curve(f, industry)
        .points()
        .iter()
        .map(|(x, y)| match def.unit {
            // Exact breakpoints (99.99 % must not print as 100.0 %).
            KpiUnit::Ratio => format!("{} % → {y}", (x * 100.0 * 1e4).round() / 1e4),
            unit => format!("{} → {y}", format_value(unit, *x)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn factor_catalogue() -> String {
    let mut out = String::from(
        "| factor | category | KPI | window | curve (general profile) | benchmark | source |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for def in factor_defs() {
        // Factors that do not apply to `general` show the profile they are for.
        let industry = [Industry::General, Industry::Saas, Industry::Ecommerce]
            .into_iter()
            .find(|i| applies(def.id, *i) != Applies::No)
            .unwrap();
        let shown = if industry == Industry::General {
            String::new()
        } else {
            format!(" ({industry})")
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {}{} | {} | {} |",
            def.id.as_str(),
            def.category,
            def.kpi,
            def.window,
            curve_text(def.id, industry),
            shown,
            def.benchmark,
            def.source
        );
    }
    out
}

fn profile_tables() -> String {
    let mut out = String::from("| factor |");
    for i in Industry::ALL {
        let _ = write!(out, " {i} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Industry::ALL.len()));
    out.push('\n');
    for def in factor_defs() {
        let _ = write!(out, "| `{}` |", def.id.as_str());
        for i in Industry::ALL {
            let a = match applies(def.id, *i) {
                Applies::Core => "core",
                Applies::Optional => "optional",
                Applies::No => "—",
            };
            let _ = write!(out, " {a} |");
        }
        out.push('\n');
    }
    out.push_str("\nProfile-specific curves:\n\n| factor | profile | curve |\n|---|---|---|\n");
    for f in [FactorId::GrossMargin, FactorId::RevenuePerEmployee] {
        for i in Industry::ALL {
            let _ = writeln!(out, "| `{}` | {i} | {} |", f.as_str(), curve_text(f, *i));
        }
    }
    out
}

/// The worked example: a small services firm with six months of books.
fn worked_example_input() -> ScoreInput {
    let as_of = d(2024, 6);
    let mut i = ScoreInput::new(Industry::Services, as_of, now_after(as_of));
    for (metric, values) in bhd_domain::score::example::WORKED_EXAMPLE {
        for (k, v) in values.iter().enumerate() {
            i.set(metric, d(2024, 1 + k as u32), *v);
        }
    }
    i
}

fn worked_example() -> String {
    let input = worked_example_input();
    let s = score(&input);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Input: industry `{}`, as_of {}, computed {}, default weights and process targets.\n",
        input.industry,
        input.as_of,
        input.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    out.push_str("| metric | 2024-01 | 2024-02 | 2024-03 | 2024-04 | 2024-05 | 2024-06 |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for (metric, months) in &input.months {
        let _ = write!(out, "| `{metric}` |");
        for v in months.values() {
            let _ = write!(out, " {v} |");
        }
        out.push('\n');
    }
    out.push_str(
        "\n| category | factor | KPI value | score | effective weight | contribution | \
         confidence |\n|---|---|---|---|---|---|---|\n",
    );
    for c in &s.categories {
        for f in &c.factors {
            let value = match (f.value, &f.note) {
                (Some(v), _) => format_value(f.unit, v),
                (None, Some(n)) => format!("({n})"),
                (None, None) => "—".to_owned(),
            };
            match f.score {
                Some(score) => {
                    let _ = writeln!(
                        out,
                        "| {} | `{}` | {value} | {score:.2} | {:.4} | {:.4} | {:.2} |",
                        c.name,
                        f.name.as_str(),
                        f.effective_weight,
                        f.contribution,
                        f.confidence.unwrap_or(0.0)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {} | `{}` | absent{} | — | 0 | 0 | — |",
                        c.name,
                        f.name.as_str(),
                        if f.optional { " (optional)" } else { "" }
                    );
                }
            }
        }
    }
    out.push_str(
        "\n| category | weight | score | effective weight | coverage |\n|---|---|---|---|---|\n",
    );
    for c in &s.categories {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} |",
            c.name,
            c.weight,
            c.score
                .map_or_else(|| "null".to_owned(), |x| format!("{x:.4}")),
            c.effective_weight,
            c.coverage
        );
    }
    let sum: f64 = s.factors().map(|f| f.contribution).sum();
    let stored = s.stored();
    let _ = writeln!(
        out,
        "\nOverall = Σ contributions = {:.4} (sum of the unrounded contributions: {sum:.4}); \
         coverage {:.4}; confidence {:.4}; model {MODEL_VERSION}.\n\
         Stored: overall {}, financial {}, customer {}, operational {}, growth {}, risk {}.",
        s.overall.unwrap_or(f64::NAN),
        s.coverage,
        s.confidence.unwrap_or(f64::NAN),
        stored.overall.unwrap_or(0),
        stored.financial.unwrap_or(0),
        stored.customer.unwrap_or(0),
        stored.operational.unwrap_or(0),
        stored.growth.unwrap_or(0),
        stored.risk.unwrap_or(0),
    );
    for c in s
        .categories
        .iter()
        .filter(|c| c.score.is_some() && !c.needs.is_empty())
    {
        let _ = writeln!(
            out,
            "\nTo complete {}: send or backfill {}.",
            c.name,
            c.needs.join(", ")
        );
    }
    out.push_str("\nRecommendations:\n\n");
    for r in recommendations(&s) {
        let _ = writeln!(
            out,
            "- **{}** ({:+.2} overall points within reach): {}. Benchmark: {}. Next step: {}",
            r.factor.as_str(),
            r.potential,
            r.title,
            r.benchmark,
            r.action
        );
    }
    out
}

#[test]
fn docs_scoring_md_matches_the_code() {
    check_doc_block("factors", &factor_catalogue());
    check_doc_block("profiles", &profile_tables());
    check_doc_block("worked-example", &worked_example());
    let doc = std::fs::read_to_string(doc_path()).unwrap();
    assert!(doc.contains(&format!("model version `{MODEL_VERSION}`")));
    // Every factor is explained in the prose too.
    for def in factor_defs() {
        assert!(
            doc.matches(&format!("`{}`", def.id.as_str())).count() >= 3,
            "{} is not discussed",
            def.id.as_str()
        );
    }
}

#[test]
fn the_worked_example_is_what_the_doc_says() {
    // Independent of the doc's rendering: a few of its figures, recomputed by hand.
    let s = score(&worked_example_input());
    // Profit margin, April–June: (262,000 − 149,500 − 82,500) / 262,000.
    let pm = s.factor(FactorId::ProfitMargin).unwrap();
    assert!((pm.value.unwrap() - 30_000.0 / 262_000.0).abs() < 1e-12);
    // 11.45 % lies between 10 % (75) and 20 % (100).
    let expected = 75.0 + 25.0 * (30_000.0 / 262_000.0 - 0.10) / 0.10;
    assert!((pm.score.unwrap() - expected).abs() < 1e-9);
    // Cash-flow positive: runway unbounded, scored 100.
    let runway = s.factor(FactorId::CashRunway).unwrap();
    assert_eq!((runway.value, runway.score), (None, Some(100.0)));
    let sum: f64 = s.factors().map(|f| f.contribution).sum();
    assert_eq!(sum, s.overall.unwrap());
}
