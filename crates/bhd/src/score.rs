//! `bhd score`: the terminal rendering of a health score (overall, categories with coverage,
//! factors with their KPI value, points and benchmark, drivers, recommendations) and its JSON.

use bhd_domain::score::{Recommendation, Score, format_value};
use std::fmt::Write;

/// The score with its recommendations, as `--json` prints it (the shape of
/// `GET /api/v1/health/score`, without the stored id).
pub fn to_json(score: &Score, recs: &[Recommendation]) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(score)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("stored".into(), serde_json::to_value(score.stored())?);
        obj.insert("recommendations".into(), serde_json::to_value(recs)?);
    }
    Ok(v)
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(c).collect::<String>()
    })
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn points(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

/// The readable breakdown of `score` for `org`.
pub fn render(org: &str, score: &Score, recs: &[Recommendation]) -> String {
    let mut out = String::new();
    let _ = match score.overall {
        Some(o) => writeln!(
            out,
            "Health score of {org}: {} / 100 ({o:.2})",
            bhd_domain::score::round_score(o)
        ),
        None => writeln!(
            out,
            "Health score of {org}: not enough data yet. {}",
            score.reason.as_deref().unwrap_or_default()
        ),
    };
    let _ = writeln!(
        out,
        "Model {} · {} profile · months to {} · calculated {}",
        score.model_version,
        score.industry,
        score.as_of.format("%Y-%m"),
        score.calculated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "Coverage {} · confidence {}",
        pct(score.coverage),
        score.confidence.map_or_else(|| "—".to_owned(), pct)
    );
    for c in &score.categories {
        let _ = writeln!(
            out,
            "\n{:<12} {:>6}   weight {}, coverage {}",
            title_case(c.name.as_str()),
            points(c.score),
            c.weight,
            pct(c.coverage)
        );
        for f in &c.factors {
            let value = match (f.score, f.value) {
                (None, _) => {
                    let why = f.absent_reason.as_deref().unwrap_or("no data");
                    if f.optional {
                        format!("absent (optional): {why}")
                    } else {
                        format!("absent: {why}")
                    }
                }
                (Some(_), Some(v)) => format_value(f.unit, v),
                (Some(_), None) => f.note.clone().unwrap_or_else(|| "unbounded".to_owned()),
            };
            let _ = writeln!(
                out,
                "  {:<24} {:>6}  {}",
                f.name.as_str(),
                points(f.score),
                value
            );
            if f.score.is_some() {
                let _ = writeln!(out, "  {:<24} {:>6}  benchmark: {}", "", "", f.benchmark);
            }
        }
        if let Some(hint) = &c.hint {
            let _ = writeln!(out, "  {hint}");
        }
    }
    if !score.drivers.is_empty() {
        let _ = writeln!(out, "\nDrivers since the previous calculation:");
        for d in &score.drivers {
            let _ = writeln!(
                out,
                "  {:<24} {:>+7.2} points  ({} → {})",
                d.factor.as_str(),
                d.change,
                points(d.previous_score),
                points(d.current_score)
            );
        }
    }
    if !recs.is_empty() {
        let _ = writeln!(out, "\nRecommendations:");
        for (i, r) in recs.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {} (+{:.2} overall points within reach)",
                i + 1,
                r.title,
                r.potential
            );
            let _ = writeln!(out, "     Next step: {}", r.action);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bhd_domain::Industry;
    use bhd_domain::score::{ScoreInput, drivers, recommendations, score};
    use chrono::{DateTime, NaiveDate, Utc};

    fn d(m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, 1).unwrap()
    }

    /// The worked example of docs/scoring.md (a services firm, January–June 2024).
    fn worked_example(nps_june: f64) -> ScoreInput {
        let now: DateTime<Utc> = "2024-07-03T09:00:00Z".parse().unwrap();
        let mut i = ScoreInput::new(Industry::Services, d(6), now);
        let rows: [(&str, [f64; 6]); 14] = [
            ("revenue", [80e3, 82e3, 85e3, 84e3, 88e3, 90e3]),
            ("cost_of_goods_sold", [46e3, 47e3, 48e3, 48.5e3, 50e3, 51e3]),
            ("expenses", [26e3, 26.5e3, 27e3, 27e3, 27.5e3, 28e3]),
            ("operating_cash_flow", [5e3, 6.5e3, 7e3, 6e3, 8e3, 9.5e3]),
            (
                "cash_balance",
                [150e3, 156.5e3, 163.5e3, 169.5e3, 177.5e3, 187e3],
            ),
            ("current_assets", [290e3, 298e3, 305e3, 310e3, 318e3, 327e3]),
            (
                "current_liabilities",
                [160e3, 162e3, 165e3, 166e3, 168e3, 170e3],
            ),
            (
                "accounts_receivable",
                [120e3, 123e3, 124e3, 126e3, 128e3, 130e3],
            ),
            ("active_customers", [40.0, 41.0, 41.0, 42.0, 43.0, 43.0]),
            ("churned_customers", [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
            ("nps", [38.0, 41.0, 40.0, 44.0, 42.0, nps_june]),
            ("headcount", [9.0, 9.0, 9.0, 10.0, 10.0, 10.0]),
            ("leads", [14.0, 12.0, 15.0, 16.0, 18.0, 17.0]),
            (
                "largest_customer_revenue_share",
                [0.31, 0.30, 0.30, 0.29, 0.29, 0.28],
            ),
        ];
        for (metric, values) in rows {
            for (k, v) in values.iter().enumerate() {
                i.set(metric, d(1 + k as u32), *v);
            }
        }
        i
    }

    #[test]
    fn renders_the_whole_breakdown() {
        let before = score(&worked_example(45.0));
        let mut s = score(&worked_example(-40.0));
        s.drivers = drivers(&before, &s);
        let recs = recommendations(&s);
        let text = render("Worked Example Co", &s, &recs);
        let overall = s.overall.unwrap();
        assert!(
            text.starts_with(&format!(
                "Health score of Worked Example Co: {} / 100 ({overall:.2})\n",
                overall.round()
            )),
            "{text}"
        );
        assert!(text.contains("Model 1.0.0 · services profile · months to 2024-06 · calculated 2024-07-03 09:00 UTC"), "{text}");
        assert!(text.contains("Coverage 78 % · confidence 100 %"), "{text}");
        // Every category with its score, weight and coverage.
        for line in [
            "Financial      89.0   weight 25, coverage 100 %",
            "Customer ",
            "Operational    61.1   weight 20, coverage 100 %",
            "Growth         69.2   weight 20, coverage 100 %",
            "Risk           64.0   weight 10, coverage 25 %",
        ] {
            assert!(text.contains(line), "{line:?} missing:\n{text}");
        }
        // Factors: KPI value, points, benchmark; unbounded and absent ones explained.
        assert!(
            text.contains("  profit_margin              78.6  11.5 %\n"),
            "{text}"
        );
        assert!(
            text.contains("benchmark: break-even (0 %) scores 40"),
            "{text}"
        );
        assert!(
            text.contains("  cash_runway               100.0  "),
            "{text}"
        );
        assert!(
            text.contains("  altman_z                      —  absent: "),
            "{text}"
        );
        assert!(
            text.contains("  uptime                        —  absent (optional): "),
            "{text}"
        );
        // The drop of NPS drives the change; recommendations with their next step.
        let drivers_at = text
            .find("Drivers since the previous calculation:")
            .unwrap();
        assert!(text[drivers_at..].contains("  nps "), "{text}");
        let nps = s
            .drivers
            .iter()
            .find(|d| d.factor.as_str() == "nps")
            .unwrap();
        assert!(
            text.contains(&format!("{:>+7.2} points", nps.change)),
            "{text}"
        );
        let recs_at = text.find("Recommendations:").unwrap();
        assert!(recs_at > drivers_at);
        assert!(text[recs_at..].contains("1. "), "{text}");
        assert!(text[recs_at..].contains("Next step: "), "{text}");
        for r in &recs {
            assert!(text.contains(&r.title), "{}", r.title);
        }
    }

    #[test]
    fn an_empty_organization_reads_as_not_enough_data() {
        let now: DateTime<Utc> = "2024-07-03T09:00:00Z".parse().unwrap();
        let s = score(&ScoreInput::new(Industry::General, d(6), now));
        let text = render("Empty Co", &s, &recommendations(&s));
        assert!(
            text.starts_with("Health score of Empty Co: not enough data yet. Only 0 %"),
            "{text}"
        );
        assert!(text.contains("Send or backfill"), "{text}");
        assert!(!text.contains("Drivers"), "{text}");
        assert!(!text.contains("Recommendations"), "{text}");
    }

    #[test]
    fn json_is_the_score_with_recommendations() {
        let s = score(&worked_example(45.0));
        let recs = recommendations(&s);
        let v = to_json(&s, &recs).unwrap();
        assert_eq!(v["stored"]["overall"], 75);
        assert_eq!(v["categories"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["recommendations"][0]["factor"],
            serde_json::json!("revenue_per_employee")
        );
        let back: Score = serde_json::from_value(v).unwrap();
        assert_eq!(back.overall, s.overall);
    }
}
