//! The metric catalogue and exact metric values.
//!
//! What a metric type means (unit, category, kind, which direction is good), the canonical types
//! every client and connector shares (API.md, "Canonical metric types"), the rules for custom
//! types, and `Amount`, the exact fixed-point number every stored value and every sum is made of.
//!
//! This module must never use binary floating point for a value that is stored, summed or compared
//! (money is exact), and never round silently: a value that does not fit is refused with a message.

use crate::org::text_enum;
use crate::values::ValueError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// What a metric's values measure.
    Unit {
        Currency = "currency",
        Count = "count",
        Ratio = "ratio",
        Percent = "percent",
        Days = "days",
        Hours = "hours",
        Score = "score",
    }
);

text_enum!(
    /// The health-score category a metric feeds.
    Category {
        Financial = "financial",
        Customer = "customer",
        Operational = "operational",
        Growth = "growth",
        Risk = "risk",
    }
);

text_enum!(
    /// How a metric's points combine over a period: `flow` is summed (revenue), `stock` takes the
    /// period's last value (cash balance), `rate` is averaged (conversion rate).
    Kind { Flow = "flow", Stock = "stock", Rate = "rate" }
);

text_enum!(
    /// Which way of moving is good for the business.
    Direction { Up = "up", Down = "down", Neutral = "neutral" }
);

impl Unit {
    /// Checks that `v` is a possible value of this unit; the message is user-facing.
    pub fn check(self, v: Amount) -> Result<(), ValueError> {
        let (ok, msg) = match self {
            Unit::Currency => (true, ""),
            Unit::Count => (
                v.is_whole() && v >= Amount::ZERO,
                "must be a whole number of at least 0",
            ),
            Unit::Ratio => (
                (Amount::ZERO..=Amount::whole(1)).contains(&v),
                "must be a fraction between 0 and 1 (0.0345 for 3.45 %)",
            ),
            Unit::Percent => (
                (Amount::ZERO..=Amount::whole(100)).contains(&v),
                "must be between 0 and 100",
            ),
            Unit::Days => (v >= Amount::ZERO, "must be a number of days of at least 0"),
            Unit::Hours => (v >= Amount::ZERO, "must be a number of hours of at least 0"),
            Unit::Score => (
                (Amount::whole(-100)..=Amount::whole(100)).contains(&v),
                "must be between -100 and 100",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(ValueError(msg.into()))
        }
    }
}

/// A metric type's definition, canonical or custom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricDef {
    /// The metric type's name (a valid `MetricType`).
    pub name: Cow<'static, str>,
    /// What the values measure.
    pub unit: Unit,
    /// The health-score category it feeds.
    pub category: Category,
    /// How points combine over a period.
    pub kind: Kind,
    /// Which direction is good.
    pub good: Direction,
    /// Whether it is one of the canonical types shared by every organization.
    pub canonical: bool,
    /// One sentence for people.
    pub description: Cow<'static, str>,
}

/// Checks that `v` is a possible value of `def`'s unit (counts are whole, ratios in 0..=1, …).
pub fn check_value(def: &MetricDef, v: Amount) -> Result<(), ValueError> {
    def.unit.check(v)
}

const fn def(
    name: &'static str,
    category: Category,
    kind: Kind,
    unit: Unit,
    good: Direction,
    description: &'static str,
) -> MetricDef {
    MetricDef {
        name: Cow::Borrowed(name),
        unit,
        category,
        kind,
        good,
        canonical: true,
        description: Cow::Borrowed(description),
    }
}

use Category::{Customer, Financial, Growth, Operational, Risk};
use Direction::{Down, Neutral, Up};
use Kind::{Flow, Rate, Stock};
use Unit::{Count, Currency, Hours, Ratio, Score};

/// The canonical metric types, in API.md's order.
#[rustfmt::skip]
static CANONICAL: &[MetricDef] = &[
    def("revenue",                        Financial,   Flow,  Currency, Up,
        "Income from sales in the period."),
    def("expenses",                       Financial,   Flow,  Currency, Down,
        "Money spent in the period."),
    def("cost_of_goods_sold",             Financial,   Flow,  Currency, Down,
        "Direct cost of what was sold in the period."),
    def("gross_profit",                   Financial,   Flow,  Currency, Up,
        "Revenue less cost of goods sold."),
    def("net_profit",                     Financial,   Flow,  Currency, Up,
        "Profit after all expenses."),
    def("operating_cash_flow",            Financial,   Flow,  Currency, Up,
        "Cash generated by operations in the period."),
    def("cash_balance",                   Financial,   Stock, Currency, Up,
        "Cash on hand."),
    def("current_assets",                 Financial,   Stock, Currency, Up,
        "Assets due within a year."),
    def("current_liabilities",            Financial,   Stock, Currency, Down,
        "Liabilities due within a year."),
    def("total_assets",                   Financial,   Stock, Currency, Up,
        "Everything the business owns."),
    def("total_liabilities",              Financial,   Stock, Currency, Down,
        "Everything the business owes."),
    def("retained_earnings",              Financial,   Stock, Currency, Up,
        "Profits kept in the business."),
    def("book_equity",                    Financial,   Stock, Currency, Up,
        "Assets less liabilities."),
    // More receivables can mean more sales or slower collection: neither is good by itself.
    def("accounts_receivable",            Financial,   Stock, Currency, Neutral,
        "Money customers owe the business."),
    def("accounts_payable",               Financial,   Stock, Currency, Down,
        "Money the business owes suppliers."),
    // Stock on the shelves is working capital tied up, but also what sales need: neutral.
    def("inventory",                      Financial,   Stock, Currency, Neutral,
        "Value of goods held for sale."),
    def("ebit",                           Financial,   Flow,  Currency, Up,
        "Earnings before interest and taxes."),
    def("mrr",                            Customer,    Stock, Currency, Up,
        "Monthly recurring revenue."),
    def("new_mrr",                        Customer,    Flow,  Currency, Up,
        "Recurring revenue from new customers."),
    def("expansion_mrr",                  Customer,    Flow,  Currency, Up,
        "Recurring revenue added by upgrades."),
    def("contraction_mrr",                Customer,    Flow,  Currency, Down,
        "Recurring revenue lost to downgrades."),
    def("churned_mrr",                    Customer,    Flow,  Currency, Down,
        "Recurring revenue lost to cancellations."),
    def("active_customers",               Customer,    Stock, Count,    Up,
        "Customers with an active account."),
    def("new_customers",                  Customer,    Flow,  Count,    Up,
        "Customers gained in the period."),
    def("churned_customers",              Customer,    Flow,  Count,    Down,
        "Customers lost in the period."),
    def("customer_acquisition_cost",      Customer,    Rate,  Currency, Down,
        "Average cost of winning one customer."),
    def("customer_lifetime_value",        Customer,    Rate,  Currency, Up,
        "Average revenue one customer brings over their lifetime."),
    def("nps",                            Customer,    Rate,  Score,    Up,
        "Net promoter score, from -100 to 100."),
    def("largest_customer_revenue_share", Customer,    Stock, Ratio,    Down,
        "Share of revenue from the largest customer (concentration risk)."),
    // More people is neither good nor bad by itself; the ratios built on it are.
    def("headcount",                      Operational, Stock, Count,    Neutral,
        "People employed."),
    def("uptime",                         Operational, Rate,  Ratio,    Up,
        "Fraction of time the service was available."),
    def("orders",                         Operational, Flow,  Count,    Up,
        "Orders placed in the period."),
    def("average_order_value",            Operational, Rate,  Currency, Up,
        "Average value of one order."),
    def("fulfillment_time_hours",         Operational, Rate,  Hours,    Down,
        "Average hours from order to delivery."),
    def("support_resolution_time_hours",  Operational, Rate,  Hours,    Down,
        "Average hours to resolve a support request."),
    def("leads",                          Growth,      Flow,  Count,    Up,
        "New leads in the period."),
    def("deals_won",                      Growth,      Flow,  Count,    Up,
        "Deals closed as won in the period."),
    def("pipeline_value",                 Growth,      Stock, Currency, Up,
        "Value of open deals."),
    def("sessions",                       Growth,      Flow,  Count,    Up,
        "Website or app sessions in the period."),
    def("visitors",                       Growth,      Flow,  Count,    Up,
        "Unique visitors in the period."),
    def("conversion_rate",                Growth,      Rate,  Ratio,    Up,
        "Fraction of visitors who became customers."),
    // The total only sizes the denominator of compliance_items_ok.
    def("compliance_items_total",         Risk,        Stock, Count,    Neutral,
        "Compliance items tracked."),
    def("compliance_items_ok",            Risk,        Stock, Count,    Up,
        "Compliance items in good standing."),
];

/// Every canonical metric type, in API.md's order.
pub fn canonical() -> &'static [MetricDef] {
    CANONICAL
}

/// The flow metrics whose quotient a canonical rate is, where the catalogue has both: over a
/// period the rate is then Σ numerator / Σ denominator (average order value is revenue over
/// orders), not the mean of daily rates, which would weigh a quiet day like a busy one.
pub fn rate_parts(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "average_order_value" => Some(("revenue", "orders")),
        "conversion_rate" => Some(("orders", "sessions")),
        _ => None,
    }
}

/// The canonical definition named `name`, if there is one.
pub fn canonical_def(name: &str) -> Option<&'static MetricDef> {
    CANONICAL.iter().find(|d| d.name == name)
}

/// A metric type's name: a lowercase letter, then lowercase letters, digits and single
/// underscores, 2 to 63 characters, not ending in an underscore.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MetricType(String);

impl MetricType {
    /// Longest name (fits a Prometheus label and a database identifier).
    pub const MAX: usize = 63;

    /// Parses a name exactly as given: case and spacing are not fixed up, so that
    /// `Revenue` cannot silently become a second spelling of `revenue`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let b = raw.as_bytes();
        let ok = (2..=Self::MAX).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            && !raw.ends_with('_')
            && !raw.contains("__");
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValueError(
                "must be 2-63 lowercase letters, digits and single underscores, starting with a \
                 letter and not ending with an underscore"
                    .into(),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical definition, if this is a canonical type.
    pub fn canonical_def(&self) -> Option<&'static MetricDef> {
        canonical_def(&self.0)
    }
}

impl TryFrom<String> for MetricType {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        Self::parse(&s)
    }
}

impl From<MetricType> for String {
    fn from(t: MetricType) -> String {
        t.0
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A custom metric type as submitted, before validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomMetricDraft<'a> {
    /// Proposed name.
    pub name: &'a str,
    /// Unit, as text (`currency`, `count`, …).
    pub unit: &'a str,
    /// Category, as text.
    pub category: &'a str,
    /// Kind, as text (`flow`, `stock`, `rate`).
    pub kind: &'a str,
    /// Good direction, as text (`up`, `down`, `neutral`).
    pub good: &'a str,
    /// Optional description.
    pub description: Option<&'a str>,
}

/// One refused field: which one, and a user-facing reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as submitted (`name`, `unit`, …).
    pub field: &'static str,
    /// Why it was refused.
    pub message: String,
}

/// Longest description of a custom metric type, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Validates a custom metric type against the canonical names and the organization's existing
/// custom names, reporting every refused field at once (not just the first).
pub fn validate_custom<S: AsRef<str>>(
    draft: &CustomMetricDraft<'_>,
    existing_custom: &[S],
) -> Result<MetricDef, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut refuse = |field: &'static str, message: String| {
        errors.push(FieldError { field, message });
    };
    let name = match MetricType::parse(draft.name) {
        Ok(n) if canonical_def(n.as_str()).is_some() => {
            refuse(
                "name",
                format!("{n} is a canonical metric type; choose another name"),
            );
            None
        }
        Ok(n) if existing_custom.iter().any(|e| e.as_ref() == n.as_str()) => {
            refuse(
                "name",
                format!("a custom metric type named {n} already exists"),
            );
            None
        }
        Ok(n) => Some(n),
        Err(e) => {
            refuse("name", e.0);
            None
        }
    };
    let unit = draft
        .unit
        .parse::<Unit>()
        .map_err(|e| refuse("unit", e.0))
        .ok();
    let category = draft
        .category
        .parse::<Category>()
        .map_err(|e| refuse("category", e.0))
        .ok();
    let kind = draft
        .kind
        .parse::<Kind>()
        .map_err(|e| refuse("kind", e.0))
        .ok();
    let good = draft
        .good
        .parse::<Direction>()
        .map_err(|e| refuse("good", e.0))
        .ok();
    let description = draft.description.unwrap_or("").trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        refuse(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        );
    } else if description.chars().any(char::is_control) {
        refuse("description", "must not contain control characters".into());
    }
    match (name, unit, category, kind, good) {
        (Some(name), Some(unit), Some(category), Some(kind), Some(good)) if errors.is_empty() => {
            Ok(MetricDef {
                name: Cow::Owned(name.0),
                unit,
                category,
                kind,
                good,
                canonical: false,
                description: Cow::Owned(description.to_owned()),
            })
        }
        _ => Err(errors),
    }
}

/// An exact decimal value with 6 decimal places, stored as a whole number of millionths
/// ("micros"): 1.5 is 1 500 000. Every stored metric value and every sum is one of these.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// Micros in one unit.
const ONE: i64 = 1_000_000;
/// Decimal places an `Amount` keeps.
const SCALE: u32 = 6;

fn too_many_places() -> ValueError {
    ValueError(format!("must have at most {SCALE} decimal places"))
}

fn too_large() -> ValueError {
    ValueError(format!(
        "is too large: must be between {} and {}",
        Amount::MIN,
        Amount::MAX
    ))
}

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);
    /// The largest value, 9223372036854.775807.
    pub const MAX: Amount = Amount(i64::MAX);
    /// The smallest value, -9223372036854.775808.
    pub const MIN: Amount = Amount(i64::MIN);
    /// Decimal places kept.
    pub const SCALE: u32 = SCALE;

    /// Wraps a number of millionths, as stored.
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// The number of millionths, for storage.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// A whole number, for the small constants of unit bounds.
    const fn whole(n: i64) -> Self {
        Self(n * ONE)
    }

    /// A whole number, if it fits.
    pub const fn from_whole(n: i64) -> Option<Self> {
        match n.checked_mul(ONE) {
            Some(m) => Some(Self(m)),
            None => None,
        }
    }

    /// Parses decimal text as JSON numbers and decimal strings write it: "12", "-3.5", "+0.0345",
    /// "1e3", "1.5E-2". Refuses NaN, infinities, hexadecimal, more than 6 decimal places (after
    /// trailing zeros are dropped: "1.5000000" is fine) and values beyond ±9 223 372 036 854.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValueError("is required".into()));
        }
        let (mantissa, exponent) = split_decimal(s)
            .ok_or_else(|| ValueError("must be a decimal number such as 12.5 or 1.5e3".into()))?;
        // Dropping the fraction's trailing zeros first keeps "1.50000000000000000000000000000000"
        // (more places than a Decimal holds) exact rather than an error.
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        // ".0" has no digit left once trimmed: it is zero.
        if !mantissa.bytes().any(|c| c.is_ascii_digit()) {
            return Ok(Self::ZERO);
        }
        let mut d = Decimal::from_str_exact(mantissa).map_err(|e| match e {
            // Too many digits for a Decimal: too large if the integer part alone is, else too
            // many places.
            rust_decimal::Error::Underflow if integer_digits(mantissa) + exponent <= 13 => {
                too_many_places()
            }
            _ => too_large(),
        })?;
        if d.is_zero() {
            return Ok(Self::ZERO);
        }
        d.normalize_assign();
        // Applying the exponent ourselves (rather than `Decimal::from_scientific`, which rounds a
        // long mantissa) keeps the value exact; the result's scale decides.
        let scale = i64::from(d.scale()) - exponent;
        if scale > i64::from(SCALE) {
            return Err(too_many_places());
        }
        let digits = d.mantissa();
        let shift = u32::try_from(i64::from(SCALE) - scale).map_err(|_| too_large())?;
        let micros = 10i128
            .checked_pow(shift)
            .and_then(|p| digits.checked_mul(p))
            .and_then(|m| i64::try_from(m).ok())
            .ok_or_else(too_large)?;
        Ok(Self(micros))
    }

    /// Converts an exact `Decimal`, refusing more than 6 decimal places or too large a value.
    pub fn from_decimal(d: Decimal) -> Result<Self, ValueError> {
        Self::parse(&d.to_string())
    }

    /// The value as a `Decimal`, for exact arithmetic elsewhere.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, SCALE)
    }

    /// The nearest `f64`, for statistics and charts only: never store or sum it.
    pub fn to_f64(self) -> f64 {
        // Dividing the integer keeps 0.1 as the f64 closest to 0.1.
        self.0 as f64 / ONE as f64
    }

    /// Whether the value has no fractional part.
    pub const fn is_whole(self) -> bool {
        self.0 % ONE == 0
    }

    /// Whether the value is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The absolute value, if it fits (`Amount::MIN` has none).
    pub const fn checked_abs(self) -> Option<Self> {
        match self.0.checked_abs() {
            Some(m) => Some(Self(m)),
            None => None,
        }
    }

    /// `self + other`, or None if the result does not fit.
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(m) => Some(Self(m)),
            None => None,
        }
    }

    /// `self - other`, or None if the result does not fit.
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(m) => Some(Self(m)),
            None => None,
        }
    }

    /// The exact sum; None only if the total does not fit an `Amount`. Partial sums may exceed
    /// the range (they are kept in `i128`), so order never matters. An empty sum is zero.
    pub fn sum<I: IntoIterator<Item = Amount>>(values: I) -> Option<Self> {
        let mut total: i128 = 0;
        for v in values {
            total = total.checked_add(i128::from(v.0))?;
        }
        Self::from_micros_i128(total)
    }

    /// `a / b` rounded half-even to 6 places (for averages and percentages); None when `b` is
    /// zero or the quotient does not fit.
    pub fn ratio(a: Amount, b: Amount) -> Option<Self> {
        if b.0 == 0 {
            return None;
        }
        let q = div_half_even(i128::from(a.0) * i128::from(ONE), i128::from(b.0));
        Self::from_micros_i128(q)
    }

    /// An exact number of micros held in `i128` (a sum), if it fits.
    pub(crate) fn from_micros_i128(micros: i128) -> Option<Self> {
        i64::try_from(micros).ok().map(Self)
    }
}

/// `n / d` rounded half-even to a whole number; `d` must not be zero.
pub(crate) fn div_half_even(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r == 0 {
        return q;
    }
    // |r| < |d| <= 2^127, so twice it fits a u128.
    let twice = 2 * r.unsigned_abs();
    let away = twice > d.unsigned_abs() || (twice == d.unsigned_abs() && q % 2 != 0);
    if !away {
        q
    } else if (n < 0) == (d < 0) {
        q + 1
    } else {
        q - 1
    }
}

/// Splits `s` into its mantissa and exponent if it is a plain decimal: an optional sign, digits
/// with at most one point (at least one digit), then optionally `e`/`E`, a sign and digits.
/// Refusing everything else here keeps NaN, "inf", "0x1F" and "1_000" out.
fn split_decimal(s: &str) -> Option<(&str, i64)> {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let unsigned = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let mut digits = 0;
    let mut points = 0;
    for c in unsigned.bytes() {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' => points += 1,
            _ => return None,
        }
    }
    if digits == 0 || points > 1 {
        return None;
    }
    let exponent = match exponent {
        None => 0,
        Some(e) => {
            let (negative, digits) = match e.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, e.strip_prefix('+').unwrap_or(e)),
            };
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Any exponent beyond ±1000 already over- or underflows; clamping avoids an i64
            // overflow on absurdly long exponents while still giving the right message.
            let significant = digits.trim_start_matches('0');
            let magnitude = match significant.len() {
                0 => 0,
                1..=4 => significant.parse::<i64>().map_or(1000, |m| m.min(1000)),
                _ => 1000,
            };
            if negative { -magnitude } else { magnitude }
        }
    };
    // `Decimal::from_str_exact` wants no "+" sign.
    Some((mantissa.strip_prefix('+').unwrap_or(mantissa), exponent))
}

/// Digits before the point, without leading zeros.
fn integer_digits(mantissa: &str) -> i64 {
    let unsigned = mantissa.trim_start_matches('-');
    let int = unsigned.split('.').next().unwrap_or("");
    // A mantissa is short (Decimal refuses beyond ~29 digits), so this never saturates.
    i64::try_from(int.trim_start_matches('0').len()).unwrap_or(i64::MAX)
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let one = ONE.unsigned_abs();
        let (int, frac) = (abs / one, abs % one);
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{int}")?;
        if frac != 0 {
            let places = format!("{frac:06}");
            write!(f, ".{}", places.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

impl FromStr for Amount {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::parse(s)
    }
}

impl Serialize for Amount {
    /// As a decimal string ("1.5"), since a JSON number would be read back as binary floating
    /// point by most clients.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// From a decimal string or an integer. JSON numbers with a fraction are refused here because
    /// they arrive as `f64`; read them as raw text and use `Amount::parse`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as a string, or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                Amount::from_whole(v).ok_or_else(|| E::custom(too_large()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Amount::from_whole)
                    .ok_or_else(|| E::custom(too_large()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    #[test]
    fn parses_json_numbers_and_decimal_strings() {
        for (text, micros) in [
            ("12", 12_000_000),
            ("-3.5", -3_500_000),
            ("0.0345", 34_500),
            ("1e3", 1_000_000_000),
            ("1.5E-2", 15_000),
            ("+7", 7_000_000),
            ("-0", 0),
            ("0e-99", 0),
            ("1.5000000", 1_500_000),
            ("1.50000000000000000000000000000000000", 1_500_000),
            ("12e-6", 12),
            (".5", 500_000),
            ("-.25", -250_000),
            ("5.", 5_000_000),
            (".0", 0),
            ("-0.000e5", 0),
            ("1E+2", 100_000_000),
            ("2e0003", 2_000_000_000),
        ] {
            assert_eq!(Amount::parse(text).unwrap().micros(), micros, "{text}");
        }
        assert_eq!(a("123e-6").micros(), 123);
        assert_eq!(a(" 2.25 ").micros(), 2_250_000);
        assert_eq!(a("9223372036854.775807"), Amount::MAX);
        assert_eq!(a("-9223372036854.775808"), Amount::MIN);
        assert_eq!(a("0.000001e6"), a("1"));
    }

    #[test]
    fn refuses_non_numbers_and_inexact_values() {
        for bad in [
            "",
            " ",
            "NaN",
            "nan",
            "Infinity",
            "-Infinity",
            "inf",
            "0x1F",
            "1_000",
            "1.2.3",
            "e5",
            "1e",
            "1e+",
            ".",
            "-",
            "1,5",
            "12abc",
            "١٢",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let places = "must have at most 6 decimal places";
        for bad in [
            "0.1234567",
            "1e-7",
            "12.0000001",
            "1e-1000000000000000000000",
        ] {
            assert_eq!(Amount::parse(bad).unwrap_err().0, places, "{bad}");
        }
        for bad in [
            "9223372036854.775808",
            "-9223372036854.775809",
            "1e13",
            "1e99999999999999",
            "123456789012345678901234567890123",
            "123456789012345678901234567890.5",
        ] {
            let msg = Amount::parse(bad).unwrap_err().0;
            assert!(msg.starts_with("is too large"), "{bad}: {msg}");
        }
    }

    #[test]
    fn displays_plain_decimals() {
        for (micros, text) in [
            (1_500_000, "1.5"),
            (-1, "-0.000001"),
            (1_000_000_000, "1000"),
            (0, "0"),
            (34_500, "0.0345"),
            (i64::MIN, "-9223372036854.775808"),
        ] {
            assert_eq!(Amount::from_micros(micros).to_string(), text);
        }
        assert_eq!(serde_json::to_string(&a("1.5")).unwrap(), "\"1.5\"");
        assert_eq!(
            serde_json::from_str::<Amount>("\"0.25\"").unwrap(),
            a("0.25")
        );
        assert_eq!(serde_json::from_str::<Amount>("42").unwrap(), a("42"));
        assert!(serde_json::from_str::<Amount>("\"NaN\"").is_err());
        assert_eq!(format!("{:?}", a("2.5")), "Amount(2.5)");
        assert_eq!(a("0.0345").to_decimal().to_string(), "0.034500");
        assert_eq!(Amount::from_decimal(Decimal::new(15, 1)).unwrap(), a("1.5"));
    }

    #[test]
    fn ten_thousand_tenths_sum_to_exactly_one_thousand() {
        let tenth = a("0.1");
        let total = Amount::sum(std::iter::repeat_n(tenth, 10_000)).unwrap();
        assert_eq!(total.to_string(), "1000");
        assert_eq!(total, a("1000"));
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Amount::sum([]), Some(Amount::ZERO));
        // Partial sums beyond the range are fine as long as the total fits.
        assert_eq!(
            Amount::sum([Amount::MAX, Amount::MAX, Amount::MIN, Amount::MIN]),
            Some(a("-2e-6"))
        );
        assert_eq!(Amount::sum([Amount::MAX, a("0.000001")]), None);
        assert_eq!(Amount::MAX.checked_add(a("0.000001")), None);
        assert_eq!(Amount::MIN.checked_sub(a("0.000001")), None);
        assert_eq!(a("1.5").checked_sub(a("2")), Some(a("-0.5")));
        assert_eq!(Amount::MIN.checked_abs(), None);
    }

    #[test]
    fn ratios_round_half_even() {
        assert_eq!(Amount::ratio(a("1"), a("3")), Some(a("0.333333")));
        assert_eq!(Amount::ratio(a("2"), a("3")), Some(a("0.666667")));
        assert_eq!(Amount::ratio(a("-2"), a("3")), Some(a("-0.666667")));
        // Exact halves go to the even neighbour.
        assert_eq!(Amount::ratio(a("0.000001"), a("2")), Some(a("0")));
        assert_eq!(Amount::ratio(a("0.000003"), a("2")), Some(a("0.000002")));
        assert_eq!(Amount::ratio(a("-0.000003"), a("2")), Some(a("-0.000002")));
        assert_eq!(Amount::ratio(a("0.000005"), a("-2")), Some(a("-0.000002")));
        assert_eq!(Amount::ratio(a("1"), Amount::ZERO), None);
        assert_eq!(Amount::ratio(Amount::MAX, a("0.5")), None);
        assert_eq!(Amount::ratio(a("345"), a("10000")), Some(a("0.0345")));
    }

    #[test]
    fn unit_bounds() {
        let count = canonical_def("active_customers").unwrap();
        assert!(check_value(count, a("3")).is_ok());
        assert!(check_value(count, a("0")).is_ok());
        for bad in ["-1", "2.5"] {
            assert_eq!(
                check_value(count, a(bad)).unwrap_err().0,
                "must be a whole number of at least 0"
            );
        }
        for name in [
            "uptime",
            "conversion_rate",
            "largest_customer_revenue_share",
        ] {
            let d = canonical_def(name).unwrap();
            assert!(check_value(d, a("0")).is_ok());
            assert!(check_value(d, a("1")).is_ok());
            assert!(check_value(d, a("0.0345")).is_ok());
            assert!(check_value(d, a("1.000001")).is_err(), "{name}");
            assert!(check_value(d, a("-0.1")).is_err(), "{name}");
        }
        assert!(Unit::Percent.check(a("100")).is_ok());
        assert!(Unit::Percent.check(a("100.5")).is_err());
        assert!(Unit::Percent.check(a("-1")).is_err());
        for unit in [Unit::Days, Unit::Hours] {
            assert!(unit.check(a("0.5")).is_ok());
            assert!(unit.check(a("-0.5")).is_err());
        }
        let nps = canonical_def("nps").unwrap();
        assert!(check_value(nps, a("-100")).is_ok());
        assert!(check_value(nps, a("100")).is_ok());
        assert!(check_value(nps, a("100.1")).is_err());
        assert_eq!(
            check_value(nps, a("-101")).unwrap_err().0,
            "must be between -100 and 100"
        );
        let revenue = canonical_def("revenue").unwrap();
        assert!(check_value(revenue, a("-5000.25")).is_ok());
        assert!(check_value(revenue, Amount::MAX).is_ok());
    }

    /// API.md's table, transcribed: (category, kind, unit, names).
    const API_TABLE: &[(&str, &str, &str, &[&str])] = &[
        (
            "financial",
            "flow",
            "currency",
            &[
                "revenue",
                "expenses",
                "cost_of_goods_sold",
                "gross_profit",
                "net_profit",
                "operating_cash_flow",
                "ebit",
            ],
        ),
        (
            "financial",
            "stock",
            "currency",
            &[
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
            ],
        ),
        ("customer", "stock", "currency", &["mrr"]),
        (
            "customer",
            "flow",
            "currency",
            &["new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"],
        ),
        ("customer", "stock", "count", &["active_customers"]),
        (
            "customer",
            "flow",
            "count",
            &["new_customers", "churned_customers"],
        ),
        (
            "customer",
            "rate",
            "currency",
            &["customer_acquisition_cost", "customer_lifetime_value"],
        ),
        ("customer", "rate", "score", &["nps"]),
        (
            "customer",
            "stock",
            "ratio",
            &["largest_customer_revenue_share"],
        ),
        ("operational", "stock", "count", &["headcount"]),
        ("operational", "rate", "ratio", &["uptime"]),
        ("operational", "flow", "count", &["orders"]),
        ("operational", "rate", "currency", &["average_order_value"]),
        (
            "operational",
            "rate",
            "hours",
            &["fulfillment_time_hours", "support_resolution_time_hours"],
        ),
        (
            "growth",
            "flow",
            "count",
            &["leads", "deals_won", "sessions", "visitors"],
        ),
        ("growth", "stock", "currency", &["pipeline_value"]),
        ("growth", "rate", "ratio", &["conversion_rate"]),
        (
            "risk",
            "stock",
            "count",
            &["compliance_items_total", "compliance_items_ok"],
        ),
    ];

    #[test]
    fn every_canonical_type_of_api_md_is_present_with_its_unit_and_kind() {
        let mut listed = 0;
        for (category, kind, unit, names) in API_TABLE {
            for name in *names {
                let d = canonical_def(name).unwrap_or_else(|| panic!("{name} missing"));
                assert_eq!(d.category.as_str(), *category, "{name}");
                assert_eq!(d.kind.as_str(), *kind, "{name}");
                assert_eq!(d.unit.as_str(), *unit, "{name}");
                assert!(d.canonical);
                listed += 1;
            }
        }
        assert_eq!(
            canonical().len(),
            listed,
            "no canonical type beyond API.md's"
        );
        for d in canonical() {
            assert!(MetricType::parse(&d.name).is_ok(), "{}", d.name);
            assert!(!d.description.is_empty(), "{}", d.name);
            assert_eq!(canonical().iter().filter(|o| o.name == d.name).count(), 1);
        }
    }

    #[test]
    fn good_directions() {
        let good = |n: &str| canonical_def(n).unwrap().good;
        for n in [
            "expenses",
            "cost_of_goods_sold",
            "current_liabilities",
            "total_liabilities",
            "accounts_payable",
            "contraction_mrr",
            "churned_mrr",
            "churned_customers",
            "customer_acquisition_cost",
            "largest_customer_revenue_share",
            "fulfillment_time_hours",
            "support_resolution_time_hours",
        ] {
            assert_eq!(good(n), Direction::Down, "{n}");
        }
        for n in ["headcount", "compliance_items_total"] {
            assert_eq!(good(n), Direction::Neutral, "{n}");
        }
        for n in [
            "revenue",
            "mrr",
            "nps",
            "uptime",
            "conversion_rate",
            "cash_balance",
            "compliance_items_ok",
        ] {
            assert_eq!(good(n), Direction::Up, "{n}");
        }
    }

    #[test]
    fn enums_have_snake_case_forms() {
        assert_eq!(Unit::ALL.len(), 7);
        assert_eq!("hours".parse::<Unit>().unwrap(), Unit::Hours);
        assert_eq!(Category::Operational.to_string(), "operational");
        assert_eq!("rate".parse::<Kind>().unwrap(), Kind::Rate);
        assert_eq!("neutral".parse::<Direction>().unwrap(), Direction::Neutral);
        assert!("Flow".parse::<Kind>().is_err());
        assert_eq!(
            serde_json::to_string(&Unit::Currency).unwrap(),
            "\"currency\""
        );
        let json = serde_json::to_value(canonical_def("nps").unwrap()).unwrap();
        assert_eq!(json["unit"], "score");
        assert_eq!(json["good"], "up");
        assert_eq!(json["name"], "nps");
    }

    #[test]
    fn metric_type_names() {
        for ok in ["revenue", "nps", "ab", "a1", "my_metric_2", &"a".repeat(63)] {
            assert!(MetricType::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "1abc",
            "_abc",
            "abc_",
            "a__b",
            "Revenue",
            "rev enue",
            "rev-enue",
            "révenue",
            " revenue",
            &"a".repeat(64),
        ] {
            assert!(MetricType::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MetricType::parse("mrr").unwrap().canonical_def().is_some());
        assert!(serde_json::from_str::<MetricType>("\"Bad\"").is_err());
        assert_eq!(
            serde_json::from_str::<MetricType>("\"trial_starts\"")
                .unwrap()
                .as_str(),
            "trial_starts"
        );
    }

    fn draft<'a>(name: &'a str) -> CustomMetricDraft<'a> {
        CustomMetricDraft {
            name,
            unit: "count",
            category: "growth",
            kind: "flow",
            good: "up",
            description: Some("  Trials started.  "),
        }
    }

    #[test]
    fn custom_types() {
        let existing = vec!["demo_calls".to_owned()];
        let d = validate_custom(&draft("trial_starts"), &existing).unwrap();
        assert_eq!(d.name, "trial_starts");
        assert_eq!(
            (d.unit, d.category, d.kind, d.good),
            (Unit::Count, Category::Growth, Kind::Flow, Direction::Up)
        );
        assert!(!d.canonical);
        assert_eq!(d.description, "Trials started.");

        let field = |r: Result<MetricDef, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect::<Vec<_>>()
        };
        let e = field(validate_custom(&draft("Trial Starts"), &existing));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "name");
        let e = field(validate_custom(&draft("revenue"), &existing));
        assert_eq!(
            e,
            [(
                "name",
                "revenue is a canonical metric type; choose another name".to_owned()
            )]
        );
        let e = field(validate_custom(&draft("demo_calls"), &existing));
        assert_eq!(
            e,
            [(
                "name",
                "a custom metric type named demo_calls already exists".to_owned()
            )]
        );

        // Every bad field is reported at once.
        let bad = CustomMetricDraft {
            name: "x",
            unit: "furlongs",
            category: "misc",
            kind: "sum",
            good: "sideways",
            description: Some("a\u{7}b"),
        };
        let fields: Vec<_> = field(validate_custom(&bad, &existing))
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(
            fields,
            ["name", "unit", "category", "kind", "good", "description"]
        );
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        let too_long = CustomMetricDraft {
            description: Some(&long),
            ..draft("ok_name")
        };
        assert_eq!(
            field(validate_custom(&too_long, &existing))[0].0,
            "description"
        );
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(m in any::<i64>()) {
            let v = Amount::from_micros(m);
            prop_assert_eq!(Amount::parse(&v.to_string()), Ok(v));
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), v);
        }

        #[test]
        fn generated_decimal_text_parses_exactly(
            int in 0u64..10_000_000,
            frac in 0u32..1_000_000,
            negative in any::<bool>(),
            exp in -3i32..=3,
        ) {
            let sign = if negative { "-" } else { "" };
            let text = format!("{sign}{int}.{frac:06}");
            let v = Amount::parse(&text).unwrap();
            let magnitude = int as i64 * 1_000_000 + i64::from(frac);
            let expected = if negative { -magnitude } else { magnitude };
            prop_assert_eq!(v.micros(), expected);
            // Moving the point with an exponent gives the same value.
            let scale = u32::try_from(6 + exp).unwrap();
            let shifted = format!("{}e{exp}", Decimal::new(expected, scale));
            prop_assert_eq!(Amount::parse(&shifted), Ok(v), "{}", shifted);
        }

        #[test]
        fn parse_never_panics(s in "[-+0-9.eE]{0,40}|.{0,40}") {
            if let Ok(v) = Amount::parse(&s) {
                prop_assert_eq!(Amount::parse(&v.to_string()), Ok(v));
            }
        }

        #[test]
        fn sums_are_exact_and_order_independent(
            values in proptest::collection::vec(
                -1_000_000_000_000_000i64..1_000_000_000_000_000,
                0..200,
            ),
            seed in any::<u64>(),
        ) {
            let amounts: Vec<Amount> = values.iter().copied().map(Amount::from_micros).collect();
            let exact: i128 = values.iter().map(|&m| i128::from(m)).sum();
            let forward = Amount::sum(amounts.iter().copied());
            prop_assert_eq!(forward, Amount::from_micros_i128(exact));
            let mut shuffled = amounts.clone();
            // A cheap deterministic shuffle driven by the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(Amount::sum(shuffled), forward);
            prop_assert_eq!(Amount::sum(amounts.into_iter().rev()), forward);
        }
    }
}
