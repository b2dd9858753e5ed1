//! The services demo company: an agency on monthly retainers, with one anchor client.
//!
//! Each client is a retainer with a monthly fee, so customer counts and the largest client's
//! share come from the same list. Revenue is billable work: workdays only, less at Christmas
//! and in August. Delivery staff are cost of goods sold; clients pay invoices on terms.

use super::books::{
    Books, Compliance, Pnl, Team, Trailing, acquisition_cost, cents, daily_salary, lifetime_value,
    nps,
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
    "active_customers",
    "new_customers",
    "churned_customers",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "nps",
    "largest_customer_revenue_share",
    "headcount",
    "support_resolution_time_hours",
    "leads",
    "deals_won",
    "pipeline_value",
    "compliance_items_total",
    "compliance_items_ok",
];

/// The partners put capital in.
pub(super) const FUNDING_CENTS: i64 = usd(300_000);

/// The anchor client's monthly fee: about a sixth of the business.
const ANCHOR_FEE: i64 = usd(70_000);

/// Share of a normal workday's billable work done each weekday.
const WORK_WEEK: [f64; 7] = [1.0, 1.0, 1.0, 1.0, 0.95, 0.04, 0.02];
const WORK_MONTH: [f64; 12] = [
    0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.8, 1.0, 1.0, 1.0, 0.95,
];
/// Enquiries come in on workdays; decisions wait for the end of summer.
const LEADS_WEEK: [f64; 7] = [1.2, 1.2, 1.15, 1.1, 0.95, 0.2, 0.2];
const CLOSE_WEEK: [f64; 7] = [1.0, 1.1, 1.1, 1.05, 0.95, 0.1, 0.05];
const CLOSE_MONTH: [f64; 12] = [
    0.9, 1.0, 1.1, 1.0, 1.0, 1.05, 0.85, 0.6, 1.15, 1.1, 1.0, 0.8,
];
const SUPPORT_WEEK: [f64; 7] = [1.25, 1.0, 0.95, 0.95, 1.05, 1.6, 1.7];

pub(super) struct Agency {
    /// Each client's monthly fee in cents; the anchor client sits at index 0 while it stays.
    clients: Vec<i64>,
    anchor: bool,
    /// Open proposals: the monthly fee each would bring if won.
    proposals: Vec<i64>,
    /// Compound growth of demand since the first simulated day.
    growth: f64,
    books: Books,
    team: Team,
    compliance: Compliance,
    spend_90: Trailing,
    won_90: Trailing,
    gross_90: Trailing,
    churned_90: Trailing,
}

/// A new retainer's monthly fee, in whole hundreds of dollars.
fn retainer(noise: &mut Noise) -> i64 {
    let base = match noise.uniform() {
        u if u < 0.5 => usd(3_000),
        u if u < 0.85 => usd(6_000),
        _ => usd(12_000),
    };
    round(base as f64 * noise.between(0.8, 1.4) / 10_000.0) * 10_000
}

impl Agency {
    pub(super) fn new(noise: &mut Noise) -> Self {
        let mut clients = vec![ANCHOR_FEE];
        clients.extend((0..55).map(|_| retainer(noise)));
        let mut agency = Self {
            clients,
            anchor: true,
            proposals: (0..20).map(|_| retainer(noise)).collect(),
            growth: 1.0,
            // A profitable partnership that has kept its earnings in the business.
            books: Books::new(usd(600_000), usd(120_000), usd(400_000)),
            team: Team { headcount: 0 },
            compliance: Compliance {
                total: 24,
                failing: 1,
            },
            spend_90: Trailing::new(90),
            won_90: Trailing::new(90),
            gross_90: Trailing::new(90),
            churned_90: Trailing::new(90),
        };
        agency.team.headcount = agency.target_headcount(agency.run_rate());
        agency
    }

    /// Monthly fees of all current clients, in cents.
    fn run_rate(&self) -> i64 {
        self.clients.iter().sum()
    }

    /// About $165k of yearly fees per employee, plus the partners.
    fn target_headcount(&self, run_rate: i64) -> i64 {
        3 + run_rate * 12 / usd(165_000)
    }
}

impl Company for Agency {
    fn step(&mut self, day: &Day, noise: &mut Noise, row: &mut Row<'_>) {
        let g = self.growth;
        self.growth *= 1.0006;
        let holidays = if day.holidays() { 0.3 } else { 1.0 };

        // Enquiries → proposals → retainers. In the bad quarter a cheaper rival took enquiries
        // and clients alike.
        let leads = noise.poisson(1.1 * g * LEADS_WEEK[day.weekday] * holidays * day.bad(0.6));
        for _ in 0..noise.binomial(leads, 0.4) {
            let fee = retainer(noise);
            self.proposals.push(fee);
        }
        let close = CLOSE_WEEK[day.weekday] * CLOSE_MONTH[day.month] * holidays / 35.0;
        let closing = noise.binomial(self.proposals.len() as i64, close);
        let win = 0.3 * day.bad(0.4);
        let mut won = Vec::new();
        for _ in 0..closing {
            let i = noise.index(self.proposals.len());
            let fee = self.proposals.swap_remove(i);
            if noise.chance(win) {
                won.push(fee);
            }
        }
        let first = usize::from(self.anchor);
        let churnable = self.clients.len() - first;
        let leaving = noise.poisson(churnable as f64 * 0.025 / 30.0 * day.bad(4.0));
        let mut churned = 0;
        for _ in 0..leaving.min(churnable as i64) {
            let i = first + noise.index(self.clients.len() - first);
            self.clients.swap_remove(i);
            churned += 1;
        }
        if day.loss && self.anchor {
            self.clients.swap_remove(0);
            churned += 1;
            self.anchor = false;
        }
        let new_clients = won.len() as i64;
        self.clients.extend(won);
        let run_rate = self.run_rate();

        // Billable work: a retainer's fee is earned over the year's ~250 workdays.
        let work = WORK_WEEK[day.weekday] * WORK_MONTH[day.month] * holidays;
        let revenue = cents(run_rate as f64 * 12.0 / 250.0 * work * noise.wobble(0.08));
        self.team.step(day, self.target_headcount(run_rate), noise);
        let headcount = self.team.headcount;
        let delivery = headcount * 3 / 4;
        let delivery_pay = delivery * daily_salary(95_000);
        let overhead_pay = (headcount - delivery) * daily_salary(105_000);
        // In the bad quarter a fixed-price project overran and subcontractors carried it.
        let subcontractors = cents(revenue as f64 * 0.1 * noise.wobble(0.2) * day.bad(2.2));
        let marketing = if day.weekend {
            0
        } else {
            cents(usd(250) as f64 * g * noise.wobble(0.3) * day.bad(1.3))
        };
        let rent = usd(300) + headcount * usd(40);
        let pnl = Pnl {
            revenue,
            cogs: delivery_pay + subcontractors,
            expenses: overhead_pay + marketing + rent,
        };

        // Clients pay invoices on terms, slower in the bad quarter.
        let opening = self.books.opening();
        self.books.collect(day, if day.bad { 70 } else { 45 });
        self.books.receivable += revenue;
        self.books.pay_suppliers(day, 30);
        self.books.payable += subcontractors + marketing + rent;
        self.books.accrue_payroll(day, delivery_pay + overhead_pay);
        let funding = if day.funding { FUNDING_CENTS } else { 0 };
        let ocf = self.books.close(opening, &pnl, funding);

        // A tenth of payroll is the partners' business development.
        self.spend_90
            .push(marketing + div_round(i128::from(delivery_pay + overhead_pay), 10));
        self.won_90.push(new_clients);
        self.gross_90.push(pnl.gross_profit());
        self.churned_90.push(churned);
        let active = self.clients.len() as i64;
        let largest = self.clients.iter().copied().max().unwrap_or(0);
        let resolution =
            16.0 * SUPPORT_WEEK[day.weekday] * day.bad(1.5) * noise.wobble(0.15) / holidays.sqrt();
        self.compliance.step(day, noise);

        self.books.emit(row, &pnl, ocf, false);
        row.count("active_customers", active);
        row.count("new_customers", new_clients);
        row.count("churned_customers", churned);
        let cac = acquisition_cost(self.spend_90.sum(), self.won_90.sum());
        row.cents("customer_acquisition_cost", cac);
        let ltv = lifetime_value(self.gross_90.sum(), self.churned_90.sum(), active);
        row.cents("customer_lifetime_value", ltv);
        row.score("nps", nps(day, 52.0, noise));
        row.micros(
            "largest_customer_revenue_share",
            ratio_micros(largest, run_rate),
        );
        row.count("headcount", headcount);
        row.hours("support_resolution_time_hours", resolution);
        row.count("leads", leads);
        row.count("deals_won", new_clients);
        let pipeline: i64 = self.proposals.iter().sum();
        row.cents("pipeline_value", pipeline * 12);
        self.compliance.emit(row);
    }
}
