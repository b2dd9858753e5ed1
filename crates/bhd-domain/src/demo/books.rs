//! The parts every demo company shares: exact books, a team, a compliance checklist and
//! trailing windows.
//!
//! The books are integers in cents. Stocks (receivables, payables, inventory, accrued payroll)
//! move only by the day's integer flows, and operating cash flow is derived from their deltas, so
//! the identities documented on `simulate` hold by construction. Floating point may shape a
//! figure before it is rounded to cents, never a balance.

use super::calendar::Day;
use super::noise::{Noise, round};
use super::{Row, div_round};

/// One day's income statement, in cents.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pnl {
    pub revenue: i64,
    pub cogs: i64,
    /// Operating expenses other than cost of goods sold.
    pub expenses: i64,
}

impl Pnl {
    pub(super) fn gross_profit(&self) -> i64 {
        self.revenue - self.cogs
    }
    pub(super) fn net_profit(&self) -> i64 {
        self.revenue - self.cogs - self.expenses
    }
}

/// The balance sheet, in cents.
pub(super) struct Books {
    pub cash: i64,
    pub receivable: i64,
    pub payable: i64,
    pub inventory: i64,
    /// Payroll earned but not yet paid: a current liability.
    pub accrued_payroll: i64,
    /// Equipment and fit-out; constant, since no capital spending or depreciation is modelled
    /// (cash then follows operating cash flow exactly).
    pub fixed_assets: i64,
    pub paid_in: i64,
    pub retained: i64,
}

/// The working-capital balances at the start of a day, to derive the day's cash flow from.
#[derive(Clone, Copy)]
pub(super) struct Opening {
    receivable: i64,
    payable: i64,
    inventory: i64,
    accrued_payroll: i64,
}

impl Books {
    /// Opening books; paid-in capital is whatever balances them.
    pub(super) fn new(cash: i64, fixed_assets: i64, retained: i64) -> Self {
        Self {
            cash,
            receivable: 0,
            payable: 0,
            inventory: 0,
            accrued_payroll: 0,
            fixed_assets,
            paid_in: cash + fixed_assets - retained,
            retained,
        }
    }

    pub(super) fn opening(&self) -> Opening {
        Opening {
            receivable: self.receivable,
            payable: self.payable,
            inventory: self.inventory,
            accrued_payroll: self.accrued_payroll,
        }
    }

    /// Customers settle invoices: on weekdays, a share of what they owe that keeps receivables
    /// near `days_outstanding` days of credit sales.
    pub(super) fn collect(&mut self, day: &Day, days_outstanding: i64) {
        if !day.weekend {
            let paid = div_round(
                i128::from(self.receivable) * 7,
                5 * i128::from(days_outstanding),
            );
            self.receivable -= paid.min(self.receivable);
        }
    }

    /// We pay suppliers the same way, keeping payables near `days_outstanding` days.
    pub(super) fn pay_suppliers(&mut self, day: &Day, days_outstanding: i64) {
        if !day.weekend {
            let paid = div_round(
                i128::from(self.payable) * 7,
                5 * i128::from(days_outstanding),
            );
            self.payable -= paid.min(self.payable);
        }
    }

    /// Payroll accrues daily and is paid twice a month.
    pub(super) fn accrue_payroll(&mut self, day: &Day, amount: i64) {
        self.accrued_payroll += amount;
        if day.payday {
            self.accrued_payroll = 0;
        }
    }

    /// Closes the day: operating cash flow by the indirect method, then cash, retained earnings
    /// and paid-in capital. Returns the operating cash flow.
    pub(super) fn close(&mut self, opening: Opening, pnl: &Pnl, funding: i64) -> i64 {
        let net = pnl.net_profit();
        let ocf =
            net - (self.receivable - opening.receivable) - (self.inventory - opening.inventory)
                + (self.payable - opening.payable)
                + (self.accrued_payroll - opening.accrued_payroll);
        self.cash += ocf + funding;
        self.paid_in += funding;
        self.retained += net;
        ocf
    }

    /// Emits the financial block shared by every profile, in its fixed order.
    pub(super) fn emit(&self, row: &mut Row<'_>, pnl: &Pnl, ocf: i64, with_inventory: bool) {
        let current_assets = self.cash + self.receivable + self.inventory;
        let current_liabilities = self.payable + self.accrued_payroll;
        let total_assets = current_assets + self.fixed_assets;
        let total_liabilities = current_liabilities;
        row.cents("revenue", pnl.revenue);
        row.cents("cost_of_goods_sold", pnl.cogs);
        row.cents("gross_profit", pnl.gross_profit());
        row.cents("expenses", pnl.expenses);
        row.cents("net_profit", pnl.net_profit());
        row.cents("ebit", pnl.net_profit());
        row.cents("operating_cash_flow", ocf);
        row.cents("cash_balance", self.cash);
        row.cents("accounts_receivable", self.receivable);
        row.cents("accounts_payable", self.payable);
        if with_inventory {
            row.cents("inventory", self.inventory);
        }
        row.cents("current_assets", current_assets);
        row.cents("current_liabilities", current_liabilities);
        row.cents("total_assets", total_assets);
        row.cents("total_liabilities", total_liabilities);
        row.cents("retained_earnings", self.retained);
        row.cents("book_equity", total_assets - total_liabilities);
        debug_assert_eq!(
            total_assets - total_liabilities,
            self.paid_in + self.retained
        );
    }
}

/// The last `n` daily values and their sum.
pub(super) struct Trailing {
    values: Vec<i64>,
    next: usize,
    sum: i64,
}

impl Trailing {
    pub(super) fn new(n: usize) -> Self {
        Self {
            values: vec![0; n],
            next: 0,
            sum: 0,
        }
    }
    pub(super) fn push(&mut self, v: i64) {
        self.sum += v - self.values[self.next];
        self.values[self.next] = v;
        self.next = (self.next + 1) % self.values.len();
    }
    pub(super) fn sum(&self) -> i64 {
        self.sum
    }
    /// The value pushed `back` days ago (0 = the latest).
    pub(super) fn ago(&self, back: usize) -> i64 {
        let n = self.values.len();
        self.values[(self.next + n - 1 - back % n) % n]
    }
}

/// Headcount: hires towards a target on weekdays, loses people to attrition.
pub(super) struct Team {
    pub headcount: i64,
}

impl Team {
    pub(super) fn step(&mut self, day: &Day, target: i64, noise: &mut Noise) {
        // About 14 % a year leave; people above target (seasonal staff) leave faster.
        let mut leaving = noise.poisson(self.headcount as f64 * 0.14 / 365.0);
        if self.headcount > target + 1 && noise.chance(0.15) {
            leaving += 1;
        }
        self.headcount = (self.headcount - leaving).max(1);
        // Hiring is frozen in the bad quarter, and offers start on weekdays.
        if !day.bad && !day.weekend && self.headcount < target && noise.chance(0.3) {
            self.headcount += 1;
        }
    }
}

/// A compliance checklist: items fail now and then and get fixed; audits in the bad quarter
/// find more.
pub(super) struct Compliance {
    pub total: i64,
    pub failing: i64,
}

impl Compliance {
    pub(super) fn step(&mut self, day: &Day, noise: &mut Noise) {
        if day.new_rule {
            // A new regulation: its items start out failing until the team works through them.
            self.total += 6;
            self.failing += 4;
        }
        if noise.chance(0.02 * day.bad(5.0)) {
            self.failing += 1;
        }
        if noise.chance(self.failing as f64 * 0.03) {
            self.failing -= 1;
        }
        self.failing = self.failing.clamp(0, self.total);
    }

    pub(super) fn emit(&self, row: &mut Row<'_>) {
        row.count("compliance_items_total", self.total);
        row.count("compliance_items_ok", self.total - self.failing);
    }
}

/// The day's Net Promoter Score from a small daily survey sample, within −100..=100.
pub(super) fn nps(day: &Day, base: f64, noise: &mut Noise) -> f64 {
    let bad = if day.bad { -18.0 } else { 0.0 };
    (base + bad + 7.0 * noise.normal()).clamp(-100.0, 100.0)
}

/// Cents from a float amount, for costs shaped by rates and noise.
pub(super) fn cents(x: f64) -> i64 {
    round(x)
}

/// Daily cost of a loaded annual salary, in cents.
pub(super) fn daily_salary(annual_dollars: i64) -> i64 {
    div_round(i128::from(annual_dollars) * 100, 365)
}

/// Lifetime value: monthly gross profit per customer over monthly churn, both over the last
/// 90 days (churn at least 1 %, so a quiet stretch without churn does not promise eternal
/// customers). In cents.
pub(super) fn lifetime_value(gross_profit_90: i64, churned_90: i64, active: i64) -> i64 {
    if active <= 0 {
        return 0;
    }
    let monthly_gp = gross_profit_90 as f64 / 3.0 / active as f64;
    let monthly_churn = (churned_90 as f64 / 3.0 / active as f64).max(0.01);
    cents(monthly_gp / monthly_churn).max(0)
}

/// Acquisition cost: sales and marketing spend over the customers it won (at least one).
pub(super) fn acquisition_cost(spend: i64, won: i64) -> i64 {
    div_round(i128::from(spend), i128::from(won.max(1)))
}

/// Distinct visitors behind a number of sessions (people come back within a day).
pub(super) fn visitors(sessions: i64, noise: &mut Noise) -> i64 {
    round(sessions as f64 / noise.between(1.25, 1.45)).min(sessions)
}

/// Cents rounded to whole dollars, as list prices are.
pub(super) fn round_to_dollars(cents: f64) -> i64 {
    round(cents / 100.0) * 100
}
