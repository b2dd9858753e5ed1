//! The SaaS demo company: B2B subscriptions sold through a sales pipeline.
//!
//! Every customer is an account with its own MRR, so MRR movements, customer counts and the
//! largest account's share all come from the same list and agree exactly. Marketing-site
//! traffic becomes leads, some leads become opportunities, and won opportunities become
//! customers; buyers sign on weekdays, push at quarter ends and are away in August.

use super::books::{
    Books, Compliance, Pnl, Team, Trailing, acquisition_cost, cents, daily_salary, lifetime_value,
    nps, round_to_dollars, visitors,
};
use super::calendar::Day;
use super::noise::{Noise, round};
use super::{Company, Row, div_round, ratio_micros, usd};

/// The metric types this company emits, in emission order.
pub(super) const METRICS: &[&str] = &[
    "revenue",
    "cost_of_goods_sold",
    "gross_profit",
    "expenses",
    "net_profit",
    "ebit",
    "operating_cash_flow",
    "cash_balance",
    "accounts_receivable",
    "accounts_payable",
    "current_assets",
    "current_liabilities",
    "total_assets",
    "total_liabilities",
    "retained_earnings",
    "book_equity",
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

/// A Series A.
pub(super) const FUNDING_CENTS: i64 = usd(5_000_000);

/// The anchor account's MRR at the start: about a tenth of the business.
const ANCHOR_MRR: i64 = usd(18_000);

/// Buyers browse at work.
const TRAFFIC_WEEK: [f64; 7] = [1.15, 1.15, 1.1, 1.05, 0.9, 0.35, 0.3];
const TRAFFIC_MONTH: [f64; 12] = [
    1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.9, 0.75, 1.05, 1.1, 1.05, 0.85,
];
/// Deals close on weekdays, at quarter ends, and hardly in August.
const CLOSE_WEEK: [f64; 7] = [1.0, 1.1, 1.1, 1.05, 0.95, 0.12, 0.08];
const CLOSE_MONTH: [f64; 12] = [
    0.85, 1.0, 1.2, 0.95, 1.0, 1.2, 0.85, 0.5, 1.2, 1.0, 1.0, 1.05,
];
/// Support is slower after the weekend and on it.
const SUPPORT_WEEK: [f64; 7] = [1.2, 1.0, 0.95, 0.95, 1.05, 1.4, 1.5];

pub(super) struct Saas {
    /// Each customer's MRR in cents; the anchor account sits at index 0 while it stays.
    customers: Vec<i64>,
    anchor: bool,
    mrr: i64,
    /// Open opportunities: the MRR each would bring if won.
    opportunities: Vec<i64>,
    /// Compound growth of demand since the first simulated day.
    growth: f64,
    books: Books,
    team: Team,
    compliance: Compliance,
    spend_30: Trailing,
    won_30: Trailing,
    gross_90: Trailing,
    churned_90: Trailing,
}

/// A new account's MRR: a plan's list price, varied by seats and add-ons.
fn plan_mrr(noise: &mut Noise) -> i64 {
    let list = match noise.uniform() {
        u if u < 0.45 => usd(99),
        u if u < 0.80 => usd(299),
        u if u < 0.95 => usd(799),
        _ => usd(2_500),
    };
    round_to_dollars(list as f64 * noise.between(0.8, 1.6))
}

impl Saas {
    pub(super) fn new(noise: &mut Noise) -> Self {
        let mut customers = vec![ANCHOR_MRR];
        customers.extend((0..300).map(|_| plan_mrr(noise)));
        let mrr = customers.iter().sum();
        let mut saas = Self {
            customers,
            anchor: true,
            mrr,
            opportunities: (0..80).map(|_| plan_mrr(noise)).collect(),
            growth: 1.0,
            // Three years of venture-funded losses behind it.
            books: Books::new(usd(1_600_000), usd(150_000), -usd(2_500_000)),
            team: Team { headcount: 0 },
            compliance: Compliance {
                total: 48,
                failing: 2,
            },
            spend_30: Trailing::new(30),
            won_30: Trailing::new(30),
            gross_90: Trailing::new(90),
            churned_90: Trailing::new(90),
        };
        saas.team.headcount = saas.target_headcount();
        saas
    }

    /// About $220k of ARR per employee, plus a core team.
    fn target_headcount(&self) -> i64 {
        6 + self.mrr * 12 / usd(220_000)
    }
}

impl Company for Saas {
    fn step(&mut self, day: &Day, noise: &mut Noise, row: &mut Row<'_>) {
        let g = self.growth;
        self.growth *= 1.0006;
        let holidays = if day.holidays() { 0.4 } else { 1.0 };

        // Marketing site → leads → opportunities → customers.
        let traffic = 520.0
            * g
            * TRAFFIC_WEEK[day.weekday]
            * TRAFFIC_MONTH[day.month]
            * holidays
            * day.bad(0.75);
        let sessions = noise.poisson(traffic);
        let visitors = visitors(sessions, noise);
        let conversion = 0.025 * noise.wobble(0.1) * day.bad(0.85);
        let leads = noise.binomial(sessions, conversion);
        for _ in 0..noise.binomial(leads, 0.16) {
            let value = plan_mrr(noise);
            self.opportunities.push(value);
        }
        let close = CLOSE_WEEK[day.weekday] * CLOSE_MONTH[day.month] * holidays / 40.0;
        let closing = noise.binomial(self.opportunities.len() as i64, close);
        let win = 0.35 * day.bad(0.45);
        let mut won = Vec::new();
        for _ in 0..closing {
            let i = noise.index(self.opportunities.len());
            let value = self.opportunities.swap_remove(i);
            if noise.chance(win) {
                won.push(value);
            }
        }

        // Churn (the anchor account only leaves on its scripted day).
        let first = usize::from(self.anchor);
        let churnable = self.customers.len() - first;
        let leaving = noise.poisson(churnable as f64 * 0.018 / 30.0 * day.bad(2.5));
        let mut churned = 0;
        let mut churned_mrr = 0;
        for _ in 0..leaving.min(churnable as i64) {
            let i = first + noise.index(self.customers.len() - first);
            churned_mrr += self.customers.swap_remove(i);
            churned += 1;
        }
        if day.loss && self.anchor {
            churned_mrr += self.customers.swap_remove(0);
            churned += 1;
            self.anchor = false;
        }

        // Expansion and contraction among those who stay.
        let n = self.customers.len();
        let mut expansion = 0;
        for _ in 0..noise.poisson(n as f64 * 0.0011 * day.bad(0.6)) {
            let i = noise.index(n);
            let up = round_to_dollars(self.customers[i] as f64 * noise.between(0.1, 0.5));
            self.customers[i] += up;
            expansion += up;
        }
        if self.anchor && day.offset.rem_euclid(91) == 0 {
            // The anchor account's quarterly true-up keeps it the largest.
            let up = round_to_dollars(self.customers[0] as f64 * 0.06);
            self.customers[0] += up;
            expansion += up;
        }
        let mut contraction = 0;
        for _ in 0..noise.poisson(n as f64 * 0.0004 * day.bad(2.0)) {
            let i = noise.index(n);
            let cut = round_to_dollars(self.customers[i] as f64 * noise.between(0.1, 0.4))
                .min(self.customers[i] - usd(50))
                .max(0);
            self.customers[i] -= cut;
            contraction += cut;
        }
        let new_customers = won.len() as i64;
        let new_mrr: i64 = won.iter().sum();
        self.customers.extend(won);
        self.mrr += new_mrr + expansion - contraction - churned_mrr;
        debug_assert_eq!(self.mrr, self.customers.iter().sum::<i64>());

        // Revenue is recognised daily from MRR; onboarding services are billed on workdays.
        let subscriptions = div_round(i128::from(self.mrr) * 12, 365);
        let services = if day.weekend || day.holidays() {
            0
        } else {
            cents(subscriptions as f64 * 0.04 * noise.wobble(0.3))
        };
        let revenue = subscriptions + services;
        // Hosting ran over budget in the bad quarter; card fees on the self-serve share.
        let hosting = cents(subscriptions as f64 * 0.14 * noise.wobble(0.04) * day.bad(1.3));
        let card_fees = cents(revenue as f64 * 0.4 * 0.029);
        let contractors = cents(services as f64 * 0.6);
        let target = self.target_headcount();
        self.team.step(day, target, noise);
        let headcount = self.team.headcount;
        let payroll = headcount * daily_salary(110_000);
        // A campaign that did not pay off in the bad quarter.
        let weekly = if day.weekend { 0.6 } else { 1.15 };
        let marketing = cents(usd(1_100) as f64 * g * weekly * noise.wobble(0.15) * day.bad(1.4));
        let overhead = usd(600) + headcount * usd(30);
        let pnl = Pnl {
            revenue,
            cogs: hosting + card_fees + contractors,
            expenses: payroll + marketing + overhead,
        };

        // Invoiced customers pay on terms (slower in the bad quarter); card customers at once.
        let opening = self.books.opening();
        self.books.collect(day, if day.bad { 55 } else { 35 });
        self.books.receivable += div_round(i128::from(revenue) * 3, 5);
        self.books.pay_suppliers(day, 30);
        self.books.payable += hosting + contractors + marketing + overhead;
        self.books.accrue_payroll(day, payroll);
        let funding = if day.funding { FUNDING_CENTS } else { 0 };
        let ocf = self.books.close(opening, &pnl, funding);

        // A fifth of payroll is the sales team.
        self.spend_30.push(marketing + payroll / 5);
        self.won_30.push(new_customers);
        self.gross_90.push(pnl.gross_profit());
        self.churned_90.push(churned);
        let active = self.customers.len() as i64;
        let largest = self.customers.iter().copied().max().unwrap_or(0);
        let downtime_minutes = if day.into_bad == 20 {
            // The bad quarter's big outage.
            240.0
        } else if noise.chance(0.03 * day.bad(3.0)) {
            noise.between(2.0, 45.0)
        } else {
            0.0
        };
        let uptime = 1_000_000 - round(downtime_minutes * 1_000_000.0 / 1440.0);
        let resolution =
            9.0 * SUPPORT_WEEK[day.weekday] * day.bad(1.6) * noise.wobble(0.15) / holidays.sqrt();
        self.compliance.step(day, noise);

        self.books.emit(row, &pnl, ocf, false);
        row.cents("mrr", self.mrr);
        row.cents("new_mrr", new_mrr);
        row.cents("expansion_mrr", expansion);
        row.cents("contraction_mrr", contraction);
        row.cents("churned_mrr", churned_mrr);
        row.count("active_customers", active);
        row.count("new_customers", new_customers);
        row.count("churned_customers", churned);
        let cac = acquisition_cost(self.spend_30.sum(), self.won_30.sum());
        row.cents("customer_acquisition_cost", cac);
        let ltv = lifetime_value(self.gross_90.sum(), self.churned_90.sum(), active);
        row.cents("customer_lifetime_value", ltv);
        row.score("nps", nps(day, 38.0, noise));
        row.micros(
            "largest_customer_revenue_share",
            ratio_micros(largest, self.mrr),
        );
        row.count("headcount", headcount);
        row.micros("uptime", uptime);
        row.hours("support_resolution_time_hours", resolution);
        row.count("leads", leads);
        row.count("deals_won", new_customers);
        let pipeline: i64 = self.opportunities.iter().sum();
        row.cents("pipeline_value", pipeline * 12);
        row.count("sessions", sessions);
        row.count("visitors", visitors);
        row.micros("conversion_rate", ratio_micros(leads, sessions));
        self.compliance.emit(row);
    }
}
