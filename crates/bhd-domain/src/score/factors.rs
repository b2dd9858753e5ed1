//! The factors of the model: what each one measures, its benchmark and where the benchmark comes
//! from, and the next step to recommend when it scores low.
//!
//! The curves and which factors apply to which industry are in `profile`; how each KPI is
//! computed from monthly metrics is in `kpi`. This module is data only and must stay in step with
//! SCORING.md (the unit tests and `docs/scoring.md`'s checked tables hold it there).

use crate::metrics::Category;
use crate::org::text_enum;
use crate::values::ValueError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// A factor of the health score (SCORING.md, "Factors and default curves").
    FactorId {
        ProfitMargin = "profit_margin",
        CashFlowRatio = "cash_flow_ratio",
        CashRunway = "cash_runway",
        BurnRate = "burn_rate",
        CurrentRatio = "current_ratio",
        ChurnRate = "churn_rate",
        NetRevenueRetention = "net_revenue_retention",
        LtvToCac = "ltv_to_cac",
        CacPayback = "cac_payback",
        CacTrend = "cac_trend",
        Nps = "nps",
        GrossMargin = "gross_margin",
        DaysSalesOutstanding = "days_sales_outstanding",
        Uptime = "uptime",
        InventoryTurnover = "inventory_turnover",
        RevenuePerEmployee = "revenue_per_employee",
        ProcessEfficiency = "process_efficiency",
        RevenueGrowth = "revenue_growth",
        RuleOf40 = "rule_of_40",
        SaasQuickRatio = "saas_quick_ratio",
        LeadGrowth = "lead_growth",
        ConversionRateTrend = "conversion_rate_trend",
        AltmanZ = "altman_z",
        BurnMultiple = "burn_multiple",
        RevenueVolatility = "revenue_volatility",
        CustomerConcentration = "customer_concentration",
        Compliance = "compliance",
    }
);

// Declaration order (SCORING.md's order), so that maps keyed by factor list them that way.
impl Ord for FactorId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

impl PartialOrd for FactorId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

text_enum!(
    /// How a KPI value reads: `ratio` is a fraction shown as a percentage (0.12 = 12 %),
    /// `multiple` a plain ratio (2.5×), `points` percentage points (rule of 40), `index` a
    /// dimensionless index (Altman Z″), `nps` a score from −100 to 100.
    KpiUnit {
        Ratio = "ratio",
        Multiple = "multiple",
        Months = "months",
        Days = "days",
        Points = "points",
        Currency = "currency",
        Index = "index",
        Nps = "nps",
    }
);

/// What a factor measures and why its curve is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorDef {
    /// The factor.
    pub id: FactorId,
    /// The category it counts in.
    pub category: Category,
    /// The KPI, in words (the `kpi` field of the breakdown).
    pub kpi: &'static str,
    /// How the KPI value reads.
    pub unit: KpiUnit,
    /// The window the KPI is computed over.
    pub window: &'static str,
    /// The benchmark the curve encodes, in words.
    pub benchmark: &'static str,
    /// Where the benchmark comes from (SCORING.md, "Sources for the curves").
    pub source: &'static str,
    /// The canonical metrics it is computed from (what to send to unlock it).
    pub inputs: &'static [&'static str],
    /// The next step to recommend when it scores low.
    pub action: &'static str,
}

/// Source text for curves that SCORING.md sets without an external benchmark.
const MODEL: &str = "SCORING.md v1 default curve (no external benchmark; tune with care)";
/// The seed's financial score inputs, kept by DESIGN.md §7 with benchmark curves instead of its
/// arithmetic.
const SEED: &str = "Seed's financial score input; SCORING.md v1 default curve (no external \
                    benchmark)";

use Category::{Customer, Financial, Growth, Operational, Risk};
use FactorId as F;

/// Every factor, in SCORING.md's order (category by category).
static DEFS: &[FactorDef] = &[
    // Financial.
    FactorDef {
        id: F::ProfitMargin,
        category: Financial,
        kpi: "net profit / revenue",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months",
        benchmark: "break-even (0 %) scores 40, a 10 % net margin 75, 20 % or more 100",
        source: SEED,
        inputs: &["revenue", "net_profit"],
        action: "Review pricing and the largest cost lines: each point of margin recovered \
                 moves this factor about 3 points.",
    },
    FactorDef {
        id: F::CashFlowRatio,
        category: Financial,
        kpi: "operating cash flow / operating expenses (expenses + cost of goods sold)",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months",
        benchmark: "cash-neutral operations (0 %) score 40, 10 % 70, 25 % or more 100",
        source: SEED,
        inputs: &["operating_cash_flow", "expenses"],
        action: "Speed up collections (invoice on delivery, card or direct debit), negotiate \
                 longer supplier terms, and trim operating expenses that do not drive revenue.",
    },
    FactorDef {
        id: F::CashRunway,
        category: Financial,
        kpi: "cash balance / average monthly net burn (cash-flow positive → 100)",
        unit: KpiUnit::Months,
        window: "cash at the end of the last complete month; burn over the trailing 3 months",
        benchmark: "under 6 months of runway is tight (45), 12 months 75, 24 months or more 100",
        source: MODEL,
        inputs: &["cash_balance", "operating_cash_flow"],
        action: "Extend runway before it is urgent: cut discretionary spend, bring forward \
                 receivables, and start financing talks at least 6 months before cash runs out.",
    },
    FactorDef {
        id: F::BurnRate,
        category: Financial,
        kpi: "net burn (negative operating cash flow) / revenue",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months",
        benchmark: "no burn scores 100, burning 20 % of revenue 60, 50 % 30, 100 % or more 0",
        source: SEED,
        inputs: &["operating_cash_flow", "revenue"],
        action: "Set a monthly burn ceiling as a share of revenue and review every recurring \
                 cost above it; tie new spending to revenue milestones.",
    },
    FactorDef {
        id: F::CurrentRatio,
        category: Financial,
        kpi: "current assets / current liabilities",
        unit: KpiUnit::Multiple,
        window: "end of the last complete month",
        benchmark: "a current ratio of 2:1 or more scores 100; below 1:1 the business cannot \
                    cover what falls due within a year (40)",
        source: "Rule of thumb: current ratio ≥ 2:1, quick ratio 1:1",
        inputs: &["current_assets", "current_liabilities"],
        action: "Move short-term debt to longer terms, build cash, and collect receivables \
                 faster so current assets cover current liabilities at least 1.5 times.",
    },
    // Customer.
    FactorDef {
        id: F::ChurnRate,
        category: Customer,
        kpi: "customers lost in a month / customers at its start, mean of 3 months",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months",
        benchmark: "1 % monthly churn or less scores 100, 2 % 85, 3 % 70, 5 % 45, 12 % 0",
        source: "Bessemer State of the Cloud 2019 retention by segment (SMB GRR 70–80 %, \
                 enterprise > 90 %); SCORING.md v1 curve",
        inputs: &["churned_customers", "active_customers"],
        action: "Call the customers who left last month and the accounts that look like them; \
                 fix the top reason and add an onboarding check-in in the first 30 days.",
    },
    FactorDef {
        id: F::NetRevenueRetention,
        category: Customer,
        kpi: "(MRR a year ago + expansion − contraction − churned MRR) / MRR a year ago",
        unit: KpiUnit::Ratio,
        window: "trailing 12 complete months",
        benchmark: "100 % (expansion offsets losses) scores 75, 110 % 90, 120 % or more 100; \
                    below 80 % is weak even for SMB",
        source: "Bessemer State of the Cloud 2019: NRR SMB 80–100 %, mid-market 90–120 %, \
                 enterprise > 100 %",
        inputs: &["mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"],
        action: "Build an expansion path (seats, usage tiers, add-ons) and a save desk for \
                 downgrades so that existing customers grow revenue by more than they lose.",
    },
    FactorDef {
        id: F::LtvToCac,
        category: Customer,
        kpi: "customer lifetime value / customer acquisition cost",
        unit: KpiUnit::Multiple,
        window: "mean of the trailing 3 complete months",
        benchmark: "3× or more is healthy (75), 5× scores 100, 1× recovers nothing (25)",
        source: "David Skok (For Entrepreneurs): LTV:CAC > 3",
        inputs: &["customer_lifetime_value", "customer_acquisition_cost"],
        action: "Shift acquisition spend to the channels with the lowest CAC and raise lifetime \
                 value (retention, pricing) until LTV is at least 3× CAC.",
    },
    FactorDef {
        id: F::CacPayback,
        category: Customer,
        kpi: "customer acquisition cost / monthly gross profit per customer",
        unit: KpiUnit::Months,
        window: "trailing 3 complete months",
        benchmark: "under 12 months is healthy (70), 5–7 months is best (90–100), 24 months 25",
        source: "David Skok: CAC payback < 12 months, best 5–7; Bessemer: SMB payback 6–18 \
                 months",
        inputs: &[
            "customer_acquisition_cost",
            "gross_profit",
            "active_customers",
        ],
        action: "Shorten payback: raise prices or annual prepayment, cut acquisition cost in \
                 the slowest channels, and improve gross margin per customer.",
    },
    FactorDef {
        id: F::CacTrend,
        category: Customer,
        kpi: "change of the mean customer acquisition cost, last 6 months against the 6 before",
        unit: KpiUnit::Ratio,
        window: "trailing 12 complete months",
        benchmark: "flat CAC scores 60, 10 % cheaper 80, 25 % cheaper 100; 20 % dearer 30",
        source: MODEL,
        inputs: &["customer_acquisition_cost"],
        action: "Find which channel made acquisition dearer and rebalance spend; test \
                 referral and content channels whose cost does not rise with volume.",
    },
    FactorDef {
        id: F::Nps,
        category: Customer,
        kpi: "Net Promoter Score",
        unit: KpiUnit::Nps,
        window: "mean of the trailing 3 complete months",
        benchmark: "above 0 is good (35), above 20 favourable (55), above 50 excellent (80), \
                    above 80 world class (100)",
        source: "NPS bands: > 0 good, > 20 favourable, > 50 excellent, > 80 world class",
        inputs: &["nps"],
        action: "Read the detractors' comments from the last survey, fix the most frequent \
                 complaint, and close the loop with those customers.",
    },
    // Operational.
    FactorDef {
        id: F::GrossMargin,
        category: Operational,
        kpi: "gross profit / revenue",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months",
        benchmark: "profile-specific: software 70 % scores 70 (cloud average 65–70 %), retail \
                    30 % scores 50, services 35 % scores 50",
        source: "Bessemer: cloud gross margin average 65–70 %; other profiles SCORING.md v1 \
                 (margins differ by a factor of two between software and retail)",
        inputs: &["revenue", "gross_profit"],
        action: "Reprice the lowest-margin products or plans, renegotiate the largest direct \
                 costs (hosting, suppliers, subcontractors), and stop discounting by default.",
    },
    FactorDef {
        id: F::DaysSalesOutstanding,
        category: Operational,
        kpi: "average receivables / revenue × days",
        unit: KpiUnit::Days,
        window: "trailing 3 complete months",
        benchmark: "30 days scores 90, 45 days 65 (30-day terms + 50 %), 90 days 0",
        source: "Rule of thumb: DSO no more than payment terms + 33–50 %",
        inputs: &["accounts_receivable", "revenue"],
        action: "Invoice on delivery, offer card or direct debit, and chase invoices from the \
                 first day overdue; consider a small early-payment discount.",
    },
    FactorDef {
        id: F::Uptime,
        category: Operational,
        kpi: "service availability",
        unit: KpiUnit::Ratio,
        window: "mean of the trailing 3 complete months",
        benchmark: "99.9 % scores 95, 99.99 % 100; 99 % (7 hours down a month) scores 40",
        source: MODEL,
        inputs: &["uptime"],
        action: "Review the incidents behind last quarter's downtime, add monitoring and \
                 alerting on the failing component, and rehearse the recovery runbook.",
    },
    FactorDef {
        id: F::InventoryTurnover,
        category: Operational,
        kpi: "annualised cost of goods sold / average inventory",
        unit: KpiUnit::Multiple,
        window: "trailing 3 complete months (inventory at the four month ends around them)",
        benchmark: "4 turns a year scores 50, 6 turns 75, 8 turns 90, 12 or more 100",
        source: MODEL,
        inputs: &["cost_of_goods_sold", "inventory"],
        action: "Clear slow-moving stock, order smaller batches more often, and set reorder \
                 points from recent sales rather than from the peak.",
    },
    FactorDef {
        id: F::RevenuePerEmployee,
        category: Operational,
        kpi: "annualised revenue / headcount",
        unit: KpiUnit::Currency,
        window: "trailing 3 complete months (mean month-end headcount)",
        benchmark: "profile-specific; general: 100k a year per person scores 50, 200k 80, \
                    300k 100",
        source: "SCORING.md v1 (general curve); other profiles are bhd model choices, see \
                 docs/scoring.md",
        inputs: &["revenue", "headcount"],
        action: "Automate the most repetitive work before hiring again, and tie new roles to \
                 the revenue they will carry.",
    },
    FactorDef {
        id: F::ProcessEfficiency,
        category: Operational,
        kpi: "actual / target of the organization's process targets (fulfilment or \
              resolution time), mean over targets",
        unit: KpiUnit::Multiple,
        window: "mean of the trailing 3 complete months",
        benchmark: "meeting the target scores 100, falling linearly to 0 at twice the target",
        source: "SCORING.md v1",
        inputs: &[],
        action: "Map the slowest step of the process behind the missed target and fix that \
                 step first (staffing at peaks, automation, clearer hand-offs).",
    },
    // Growth.
    FactorDef {
        id: F::RevenueGrowth,
        category: Growth,
        kpi: "compound monthly revenue growth: same months a year earlier when 13+ months \
              exist, else the last 3 months against the 3 before",
        unit: KpiUnit::Ratio,
        window: "trailing 3 complete months against the 3 before or a year earlier",
        benchmark: "flat revenue scores 35, 2 % a month 60, 5 % 85, 10 % or more 100; \
                    shrinking 5 % a month 0",
        source: SEED,
        inputs: &["revenue"],
        action: "Pick the one channel with the best conversion and double down on it; \
                 follow up every open deal and win back lapsed customers.",
    },
    FactorDef {
        id: F::RuleOf40,
        category: Growth,
        kpi: "annual revenue growth % + net profit margin %",
        unit: KpiUnit::Points,
        window: "growth year over year (or annualised), margin over the trailing 3 months",
        benchmark: "40 or more is healthy for software (85), 60 scores 100, 20 scores 50",
        source: "Rule of 40: growth % + profit % ≥ 40 (Brad Feld, feld.com)",
        inputs: &["revenue", "net_profit"],
        action: "Decide which side to move: grow faster with the same burn, or cut costs \
                 until growth % plus margin % reaches 40.",
    },
    FactorDef {
        id: F::SaasQuickRatio,
        category: Growth,
        kpi: "(new + expansion MRR) / (churned + contraction MRR)",
        unit: KpiUnit::Multiple,
        window: "trailing 3 complete months",
        benchmark: "4 or more is efficient growth (85), 6 scores 100, 1 (adding what is lost) 30",
        source: "SaaS quick ratio ≥ 4 (Mamoon Hamid)",
        inputs: &["new_mrr", "expansion_mrr", "churned_mrr", "contraction_mrr"],
        action: "Cut the MRR you lose (churn and downgrades) before adding more top-of-funnel \
                 spend: every dollar kept counts as much as a new one.",
    },
    FactorDef {
        id: F::LeadGrowth,
        category: Growth,
        kpi: "new leads, last 3 months against the 3 before",
        unit: KpiUnit::Ratio,
        window: "trailing 6 complete months",
        benchmark: "flat lead flow scores 40, +20 % 75, +50 % or more 100; −30 % 0",
        source: MODEL,
        inputs: &["leads"],
        action: "Restart the lead sources that dried up (check campaigns, referrals and \
                 partner channels) and add one new channel this quarter.",
    },
    FactorDef {
        id: F::ConversionRateTrend,
        category: Growth,
        kpi: "relative change of the mean conversion rate, last 3 months against the 3 before",
        unit: KpiUnit::Ratio,
        window: "trailing 6 complete months",
        benchmark: "a stable conversion rate scores 50, +20 % 85, +40 % or more 100; −30 % 0",
        source: MODEL,
        inputs: &["conversion_rate"],
        action: "Find the step of the funnel whose conversion fell (landing page, checkout, \
                 demo) and A/B test a fix there first.",
    },
    // Risk.
    FactorDef {
        id: F::AltmanZ,
        category: Risk,
        kpi: "Altman Z″ = 6.56·WC/TA + 3.26·RE/TA + 6.72·EBIT/TA + 1.05·BookEquity/TL \
              (EBIT annualised)",
        unit: KpiUnit::Index,
        window: "balances at the end of the last complete month; EBIT over the trailing 3 \
                 months × 4",
        benchmark: "safe above 2.60 (75), grey zone 1.10–2.60, distress below 1.10 (30)",
        source: "Altman Z″ (non-manufacturing, private firms): safe > 2.60, grey 1.10–2.60, \
                 distress < 1.10",
        inputs: &[
            "current_assets",
            "current_liabilities",
            "total_assets",
            "total_liabilities",
            "retained_earnings",
            "ebit",
            "book_equity",
        ],
        action: "Strengthen the balance sheet: retain earnings, reduce liabilities, and keep \
                 working capital positive.",
    },
    FactorDef {
        id: F::BurnMultiple,
        category: Risk,
        kpi: "net burn / net new ARR (not burning → 100)",
        unit: KpiUnit::Multiple,
        window: "trailing 3 complete months",
        benchmark: "under 1 is amazing (100), 1–1.5 great, 1.5–2 good (70), 2–3 suspect, over \
                    3 bad (40 and less)",
        source: "Burn multiple bands < 1 amazing, 1–1.5 great, 1.5–2 good, 2–3 suspect, > 3 bad \
                 (David Sacks)",
        inputs: &["operating_cash_flow", "mrr"],
        action: "Cut the spend that does not add ARR (unproductive campaigns, idle capacity) \
                 until each dollar burnt buys at least 50 cents of new ARR.",
    },
    FactorDef {
        id: F::RevenueVolatility,
        category: Risk,
        kpi: "coefficient of variation of the monthly revenue growth factor (revenue per day \
              of each month / the month before), ≈ standard deviation of monthly growth",
        unit: KpiUnit::Ratio,
        window: "trailing 12 complete months (13 months of revenue)",
        benchmark: "5 % or less scores 100, 15 % 70, 30 % 35, 50 % or more 0",
        source: MODEL,
        inputs: &["revenue"],
        action: "Smooth revenue with recurring contracts, annual plans or retainers, and \
                 spread sales across more customers and seasons.",
    },
    FactorDef {
        id: F::CustomerConcentration,
        category: Risk,
        kpi: "share of revenue from the largest customer",
        unit: KpiUnit::Ratio,
        window: "latest value in the last complete month",
        benchmark: "10 % or less scores 100, 20 % 80, 35 % 50, 50 % 20, 70 % or more 0",
        source: MODEL,
        inputs: &["largest_customer_revenue_share"],
        action: "Win customers in a second segment and cap any single account's share; put the \
                 largest account on a longer contract meanwhile.",
    },
    FactorDef {
        id: F::Compliance,
        category: Risk,
        kpi: "compliance checklist items in good standing / items tracked",
        unit: KpiUnit::Ratio,
        window: "end of the last complete month",
        benchmark: "linear: every item in good standing scores 100",
        source: "SCORING.md v1",
        inputs: &["compliance_items_ok", "compliance_items_total"],
        action: "Work through the failing checklist items, oldest and highest-risk first, and \
                 give each an owner and a due date.",
    },
];

/// Every factor definition, in SCORING.md's order.
pub fn factor_defs() -> &'static [FactorDef] {
    DEFS
}

impl FactorId {
    /// The factor's definition.
    pub fn def(self) -> &'static FactorDef {
        // Every id has exactly one definition (unit-tested), so the fallback is never taken.
        DEFS.iter().find(|d| d.id == self).unwrap_or(&DEFS[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factor_has_one_definition_in_order() {
        assert_eq!(DEFS.len(), FactorId::ALL.len());
        for (d, id) in DEFS.iter().zip(FactorId::ALL) {
            assert_eq!(d.id, *id);
            assert_eq!(id.def().id, *id);
            assert!(!d.kpi.is_empty() && !d.benchmark.is_empty() && !d.source.is_empty());
            assert!(!d.action.is_empty() && !d.window.is_empty());
            for m in d.inputs {
                assert!(crate::metrics::canonical_def(m).is_some(), "{m}");
            }
        }
        let per = |c| DEFS.iter().filter(|d| d.category == c).count();
        assert_eq!(
            [
                per(Financial),
                per(Customer),
                per(Operational),
                per(Growth),
                per(Risk)
            ],
            [5, 6, 6, 5, 5]
        );
        assert_eq!(
            "rule_of_40".parse::<FactorId>().unwrap(),
            FactorId::RuleOf40
        );
    }
}
