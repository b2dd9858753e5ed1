//! The e-commerce demo company: an online shop with a holiday peak and one wholesale account.
//!
//! Traffic peaks on weekends, in November and December, on Black Friday and Cyber Monday;
//! orders are converted sessions, and revenue is orders × average order value to the cent.
//! Stock is bought weekly to cover the coming weeks (more ahead of the peak); card sales pay
//! out two days later. The largest customer is a reseller that orders on workdays.

use super::books::{
    Books, Compliance, Pnl, Team, Trailing, acquisition_cost, cents, daily_salary, lifetime_value,
    nps, visitors,
};
use super::calendar::Day;
use super::noise::{Noise, round};
use super::{Company, Row, ratio_micros, usd};

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
    "inventory",
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
    "orders",
    "average_order_value",
    "fulfillment_time_hours",
    "sessions",
    "visitors",
    "conversion_rate",
    "compliance_items_total",
    "compliance_items_ok",
];

/// A growth round from angel investors.
pub(super) const FUNDING_CENTS: i64 = usd(1_500_000);

/// Shoppers browse more at the weekend.
const SESSIONS_WEEK: [f64; 7] = [0.95, 0.92, 0.92, 0.95, 1.0, 1.2, 1.25];
const SESSIONS_MONTH: [f64; 12] = [
    0.82, 0.80, 0.90, 0.92, 0.97, 0.93, 0.92, 0.95, 0.95, 1.02, 1.40, 1.55,
];
/// Gift shoppers convert better and buy more.
const CONVERSION_MONTH: [f64; 12] = [
    0.95, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.12, 1.18,
];
const BASKET_MONTH: [f64; 12] = [
    0.97, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.04, 1.1,
];
/// Weeks of stock to hold, relative to normal: built up ahead of the peak.
const STOCK_MONTH: [f64; 12] = [
    0.85, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.45, 1.3, 0.9,
];
/// Weekend orders wait for Monday's shift.
const FULFILMENT_WEEK: [f64; 7] = [1.2, 1.0, 0.95, 0.95, 1.0, 1.6, 1.5];

pub(super) struct Shop {
    active: i64,
    /// The reseller account still orders.
    wholesale: bool,
    /// Compound growth of traffic since the first simulated day.
    growth: f64,
    /// Price level relative to the first day (mild inflation).
    prices: f64,
    books: Books,
    team: Team,
    compliance: Compliance,
    revenue_30: Trailing,
    wholesale_30: Trailing,
    goods_30: Trailing,
    /// Card sales of the last two days, not yet paid out.
    unpaid: Trailing,
    ads_30: Trailing,
    new_30: Trailing,
    gross_90: Trailing,
    churned_90: Trailing,
}

impl Shop {
    pub(super) fn new(_noise: &mut Noise) -> Self {
        let mut shop = Self {
            active: 18_000,
            wholesale: true,
            growth: 1.0,
            prices: 1.0,
            books: Books::new(usd(500_000), usd(250_000), -usd(300_000)),
            team: Team { headcount: 0 },
            compliance: Compliance {
                total: 30,
                failing: 1,
            },
            revenue_30: Trailing::new(30),
            wholesale_30: Trailing::new(30),
            goods_30: Trailing::new(30),
            unpaid: Trailing::new(2),
            ads_30: Trailing::new(30),
            new_30: Trailing::new(30),
            gross_90: Trailing::new(90),
            churned_90: Trailing::new(90),
        };
        shop.team.headcount = shop.target_headcount(0);
        shop
    }

    /// About $450k of yearly sales per employee, plus the founders and seasonal staff.
    fn target_headcount(&self, month: usize) -> i64 {
        let seasonal = if month >= 10 { 2 } else { 0 };
        2 + round(self.growth * 4.0) + seasonal
    }
}

impl Company for Shop {
    fn step(&mut self, day: &Day, noise: &mut Noise, row: &mut Row<'_>) {
        let g = self.growth;
        self.growth *= 1.0005;
        self.prices *= 1.000_05;
        if day.loss {
            self.wholesale = false;
        }

        // Traffic and orders. In the bad quarter the ad account was suspended for weeks.
        let special = match (day.month, day.day_of_month) {
            _ if day.black_friday => 2.3,
            _ if day.cyber_monday => 1.9,
            (11, 24) => 0.7,
            (11, 25) => 0.5,
            (11, 26) => 1.3,
            _ => 1.0,
        };
        let traffic = 3_200.0
            * g
            * SESSIONS_WEEK[day.weekday]
            * SESSIONS_MONTH[day.month]
            * special
            * day.bad(0.65);
        let shoppers = noise.poisson(traffic);
        let resale = if self.wholesale && !day.weekend && !day.holidays() {
            noise.poisson(7.0 * g)
        } else {
            0
        };
        // The reseller orders through the shop too: one session per order.
        let sessions = shoppers + resale;
        let deals = if day.black_friday || day.cyber_monday {
            1.4
        } else {
            1.0
        };
        let conversion =
            0.022 * CONVERSION_MONTH[day.month] * deals * noise.wobble(0.06) * day.bad(0.85);
        let orders = noise.binomial(shoppers, conversion) + resale;
        let discount = if deals > 1.0 { 0.9 } else { 1.0 };
        let basket = usd(68) as f64
            * self.prices
            * BASKET_MONTH[day.month]
            * discount
            * noise.wobble(0.04)
            * day.bad(0.92);
        let order_value = cents(basket);
        let revenue = orders * order_value;

        // Customers: first-time buyers in, lapsed buyers out (more of both ways in the bad
        // quarter's delivery trouble).
        let first_time = noise.binomial(orders - resale, 0.42 * day.bad(0.7));
        let lapsed = noise
            .poisson(self.active as f64 * 0.0016 * day.bad(1.8))
            .min(self.active + first_time);
        self.active += first_time - lapsed;

        // Goods come out of stock; shipping and packaging per order cost more in the bad quarter.
        let goods = cents(revenue as f64 * 0.46 * noise.wobble(0.02) * day.bad(1.05));
        // $5.20 an order.
        let shipping = cents(orders as f64 * 520.0 * noise.wobble(0.03) * day.bad(1.15));
        self.team.step(day, self.target_headcount(day.month), noise);
        let headcount = self.team.headcount;
        let payroll = headcount * daily_salary(62_000);
        let ads = cents(shoppers as f64 * 22.0 * day.bad(1.6));
        let card_fees = cents(revenue as f64 * 0.029) + orders * 30;
        let fixed = usd(400) + headcount * usd(20);
        let pnl = Pnl {
            revenue,
            cogs: goods + shipping,
            expenses: payroll + ads + card_fees + fixed,
        };

        let opening = self.books.opening();
        // Weekly purchase orders top stock up to ~10 weeks of goods; an emergency order if short.
        let cover = self.goods_30.sum() as f64 / 30.0 * 70.0 * STOCK_MONTH[day.month];
        let after_sales = self.books.inventory - goods;
        let purchases = if day.weekday == 0 || after_sales < 0 {
            (cents(cover) - after_sales).max(0)
        } else {
            0
        };
        self.books.inventory = after_sales + purchases;
        // Card sales pay out two days later; the processor's fees are booked as paid at once.
        let payout = self.unpaid.ago(1);
        self.unpaid.push(revenue);
        self.books.receivable += revenue - payout;
        self.books.pay_suppliers(day, 30);
        self.books.payable += purchases + shipping + ads + fixed;
        self.books.accrue_payroll(day, payroll);
        let funding = if day.funding { FUNDING_CENTS } else { 0 };
        let ocf = self.books.close(opening, &pnl, funding);

        self.revenue_30.push(revenue);
        self.wholesale_30.push(resale * order_value);
        self.goods_30.push(goods);
        self.ads_30.push(ads);
        self.new_30.push(first_time);
        self.gross_90.push(pnl.gross_profit());
        self.churned_90.push(lapsed);
        let largest = if self.wholesale {
            ratio_micros(self.wholesale_30.sum(), self.revenue_30.sum())
        } else {
            // Without the reseller the biggest buyer is a loyal regular.
            round(noise.between(2_000.0, 4_000.0))
        };
        let peak = match day.month {
            _ if deals > 1.0 => 1.6,
            10 => 1.3,
            11 => 1.45,
            _ => 1.0,
        };
        let fulfilment =
            20.0 * FULFILMENT_WEEK[day.weekday] * peak * day.bad(1.5) * noise.wobble(0.1);
        self.compliance.step(day, noise);

        self.books.emit(row, &pnl, ocf, true);
        row.count("active_customers", self.active);
        row.count("new_customers", first_time);
        row.count("churned_customers", lapsed);
        let cac = acquisition_cost(self.ads_30.sum(), self.new_30.sum());
        row.cents("customer_acquisition_cost", cac);
        let ltv = lifetime_value(self.gross_90.sum(), self.churned_90.sum(), self.active);
        row.cents("customer_lifetime_value", ltv);
        row.score("nps", nps(day, 45.0, noise));
        row.micros("largest_customer_revenue_share", largest);
        row.count("headcount", headcount);
        row.count("orders", orders);
        row.cents("average_order_value", order_value);
        row.hours("fulfillment_time_hours", fulfilment);
        row.count("sessions", sessions);
        row.count("visitors", visitors(sessions, noise));
        row.micros("conversion_rate", ratio_micros(orders, sessions));
        self.compliance.emit(row);
    }
}
