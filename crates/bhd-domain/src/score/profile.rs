//! Industry profiles: each factor's curve and whether it applies, per industry.
//!
//! The breakpoints are SCORING.md's, exactly. A profile changes the gross-margin and
//! revenue-per-employee curves and the set of factors: inventory turnover only for e-commerce and
//! retail, the MRR-based factors (net revenue retention, SaaS quick ratio, burn multiple) and the
//! rule of 40 only for SaaS. Every change here is a model change: bump `MODEL_VERSION` and
//! document it in docs/scoring.md.

use super::curve::Curve;
use super::factors::FactorId;
use crate::org::Industry;
use serde::{Deserialize, Serialize};

/// Whether a factor counts for an industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// Expected: when its data is missing it lowers coverage and the category names it in its
    /// hint.
    Core,
    /// Counted when its data is there, ignored (not held against coverage) when it is not.
    Optional,
    /// Never computed for this industry.
    No,
}

/// Whether `factor` counts for `industry`.
pub fn applies(factor: FactorId, industry: Industry) -> Applies {
    use Applies::{Core, No, Optional};
    use FactorId as F;
    use Industry::{Ecommerce, General, Retail, Saas, Services};
    match (factor, industry) {
        (F::InventoryTurnover, Ecommerce | Retail) => Core,
        (F::InventoryTurnover, _) => No,
        (F::NetRevenueRetention | F::SaasQuickRatio | F::RuleOf40 | F::BurnMultiple, Saas) => Core,
        (F::NetRevenueRetention | F::SaasQuickRatio | F::RuleOf40 | F::BurnMultiple, _) => No,
        // Availability matters where the product is online.
        (F::Uptime, Saas | Ecommerce) => Core,
        (F::Uptime, _) => Optional,
        // Shops sell by card: receivables are a few days of payouts, not credit terms.
        (F::DaysSalesOutstanding, Ecommerce | Retail) => Optional,
        // Shops have sessions and orders rather than leads...
        (F::LeadGrowth, Ecommerce | Retail) => Optional,
        // ...and firms that sell through conversations rarely track a conversion rate.
        (F::ConversionRateTrend, Services | General) => Optional,
        // Only when the organization set targets.
        (F::ProcessEfficiency, _) => Optional,
        _ => Core,
    }
}

/// `factor`'s curve for `industry` (KPI value → score), SCORING.md's breakpoints.
pub fn curve(factor: FactorId, industry: Industry) -> Curve {
    use FactorId as F;
    use Industry::{Ecommerce, General, Retail, Saas, Services};
    match factor {
        F::ProfitMargin => Curve::new(&[
            (-0.20, 0.0),
            (0.0, 40.0),
            (0.05, 60.0),
            (0.10, 75.0),
            (0.20, 100.0),
        ]),
        F::CashFlowRatio => Curve::new(&[(-0.50, 0.0), (0.0, 40.0), (0.10, 70.0), (0.25, 100.0)]),
        F::CashRunway => Curve::new(&[
            (1.0, 0.0),
            (3.0, 20.0),
            (6.0, 45.0),
            (12.0, 75.0),
            (18.0, 90.0),
            (24.0, 100.0),
        ]),
        F::BurnRate => Curve::new(&[(0.0, 100.0), (0.20, 60.0), (0.50, 30.0), (1.0, 0.0)]),
        F::CurrentRatio => Curve::new(&[(0.5, 0.0), (1.0, 40.0), (1.5, 75.0), (2.0, 100.0)]),
        F::ChurnRate => Curve::new(&[
            (0.01, 100.0),
            (0.02, 85.0),
            (0.03, 70.0),
            (0.05, 45.0),
            (0.08, 20.0),
            (0.12, 0.0),
        ]),
        F::NetRevenueRetention => Curve::new(&[
            (0.70, 0.0),
            (0.80, 30.0),
            (0.90, 55.0),
            (1.00, 75.0),
            (1.10, 90.0),
            (1.20, 100.0),
        ]),
        F::LtvToCac => Curve::new(&[
            (0.5, 0.0),
            (1.0, 25.0),
            (2.0, 50.0),
            (3.0, 75.0),
            (5.0, 100.0),
        ]),
        F::CacPayback => Curve::new(&[
            (5.0, 100.0),
            (7.0, 90.0),
            (12.0, 70.0),
            (18.0, 45.0),
            (24.0, 25.0),
            (36.0, 0.0),
        ]),
        F::CacTrend => Curve::new(&[
            (-0.25, 100.0),
            (-0.10, 80.0),
            (0.0, 60.0),
            (0.20, 30.0),
            (0.50, 0.0),
        ]),
        F::Nps => Curve::new(&[
            (-50.0, 0.0),
            (0.0, 35.0),
            (20.0, 55.0),
            (50.0, 80.0),
            (80.0, 100.0),
        ]),
        F::GrossMargin => match industry {
            Saas => Curve::new(&[
                (0.40, 0.0),
                (0.60, 45.0),
                (0.70, 70.0),
                (0.80, 90.0),
                (0.85, 100.0),
            ]),
            Ecommerce | Retail => {
                Curve::new(&[(0.15, 0.0), (0.30, 50.0), (0.45, 80.0), (0.60, 100.0)])
            }
            Services | General => {
                Curve::new(&[(0.20, 0.0), (0.35, 50.0), (0.50, 80.0), (0.60, 100.0)])
            }
        },
        F::DaysSalesOutstanding => Curve::new(&[
            (20.0, 100.0),
            (30.0, 90.0),
            (45.0, 65.0),
            (60.0, 40.0),
            (90.0, 0.0),
        ]),
        F::Uptime => Curve::new(&[
            (0.98, 0.0),
            (0.99, 40.0),
            (0.995, 70.0),
            (0.999, 95.0),
            (0.9999, 100.0),
        ]),
        F::InventoryTurnover => Curve::new(&[
            (2.0, 20.0),
            (4.0, 50.0),
            (6.0, 75.0),
            (8.0, 90.0),
            (12.0, 100.0),
        ]),
        // SCORING.md gives the general curve; the others are model choices (docs/scoring.md):
        // software ×1.5 (ARR per person runs higher), goods resellers ×2 (revenue includes the
        // goods passed through), services as general.
        F::RevenuePerEmployee => match industry {
            General | Services => Curve::new(&[
                (50_000.0, 20.0),
                (100_000.0, 50.0),
                (200_000.0, 80.0),
                (300_000.0, 100.0),
            ]),
            Saas => Curve::new(&[
                (75_000.0, 20.0),
                (150_000.0, 50.0),
                (300_000.0, 80.0),
                (450_000.0, 100.0),
            ]),
            Ecommerce | Retail => Curve::new(&[
                (100_000.0, 20.0),
                (200_000.0, 50.0),
                (400_000.0, 80.0),
                (600_000.0, 100.0),
            ]),
        },
        // KPI: actual / target (for "at most" targets); on target or better → 100, 2× → 0.
        F::ProcessEfficiency => Curve::new(&[(1.0, 100.0), (2.0, 0.0)]),
        F::RevenueGrowth => Curve::new(&[
            (-0.05, 0.0),
            (0.0, 35.0),
            (0.02, 60.0),
            (0.05, 85.0),
            (0.10, 100.0),
        ]),
        F::RuleOf40 => Curve::new(&[(0.0, 20.0), (20.0, 50.0), (40.0, 85.0), (60.0, 100.0)]),
        F::SaasQuickRatio => Curve::new(&[
            (0.5, 0.0),
            (1.0, 30.0),
            (2.0, 55.0),
            (4.0, 85.0),
            (6.0, 100.0),
        ]),
        F::LeadGrowth => Curve::new(&[(-0.30, 0.0), (0.0, 40.0), (0.20, 75.0), (0.50, 100.0)]),
        F::ConversionRateTrend => {
            Curve::new(&[(-0.30, 0.0), (0.0, 50.0), (0.20, 85.0), (0.40, 100.0)])
        }
        F::AltmanZ => Curve::new(&[(0.0, 0.0), (1.1, 30.0), (2.6, 75.0), (4.0, 100.0)]),
        F::BurnMultiple => Curve::new(&[
            (1.0, 100.0),
            (1.5, 85.0),
            (2.0, 70.0),
            (3.0, 40.0),
            (5.0, 0.0),
        ]),
        F::RevenueVolatility => {
            Curve::new(&[(0.05, 100.0), (0.15, 70.0), (0.30, 35.0), (0.50, 0.0)])
        }
        F::CustomerConcentration => Curve::new(&[
            (0.10, 100.0),
            (0.20, 80.0),
            (0.35, 50.0),
            (0.50, 20.0),
            (0.70, 0.0),
        ]),
        F::Compliance => Curve::new(&[(0.0, 0.0), (1.0, 100.0)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Direction;

    #[test]
    fn every_curve_is_monotone_and_within_0_100() {
        for industry in Industry::ALL {
            for f in FactorId::ALL {
                let c = curve(*f, *industry);
                let p = c.points();
                assert!(p.len() >= 2, "{f}");
                assert!(p.windows(2).all(|w| w[0].0 < w[1].0), "{f}: x increasing");
                let up = p.windows(2).all(|w| w[0].1 <= w[1].1);
                let down = p.windows(2).all(|w| w[0].1 >= w[1].1);
                assert!(up != down, "{f}: monotone and not flat");
                assert!(p.iter().all(|q| (0.0..=100.0).contains(&q.1)), "{f}");
                assert_ne!(c.good(), Direction::Neutral);
            }
        }
    }

    #[test]
    fn profiles_change_curves_and_factors() {
        // A 50 % gross margin is poor for software, good for a shop.
        let gm = |i| curve(FactorId::GrossMargin, i).eval(0.5);
        assert!((gm(Industry::Saas) - 22.5).abs() < 1e-9);
        assert!((gm(Industry::Retail) - (80.0 + 20.0 / 3.0)).abs() < 1e-9);
        assert_eq!(gm(Industry::General), 80.0);
        assert_eq!(
            curve(FactorId::RevenuePerEmployee, Industry::General).eval(150_000.0),
            65.0
        );
        assert_eq!(
            applies(FactorId::InventoryTurnover, Industry::Retail),
            Applies::Core
        );
        assert_eq!(
            applies(FactorId::InventoryTurnover, Industry::Saas),
            Applies::No
        );
        assert_eq!(applies(FactorId::RuleOf40, Industry::Saas), Applies::Core);
        assert_eq!(applies(FactorId::RuleOf40, Industry::General), Applies::No);
        // Every category keeps at least two core factors in every profile.
        for industry in Industry::ALL {
            for cat in crate::metrics::Category::ALL {
                let core = FactorId::ALL
                    .iter()
                    .filter(|f| {
                        f.def().category == *cat && applies(**f, *industry) == Applies::Core
                    })
                    .count();
                assert!(core >= 2, "{industry} {cat}");
            }
        }
    }
}
