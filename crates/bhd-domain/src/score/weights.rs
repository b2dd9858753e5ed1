//! Category weights: SCORING.md's defaults and an organization's validated override.

use crate::metrics::Category;
use serde::{Deserialize, Serialize};

/// The weight of each category in the overall score: whole numbers from 0 to 100 that sum to
/// 100. Built only through `new` (or deserialisation, which validates the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWeights")]
pub struct CategoryWeights {
    financial: u32,
    customer: u32,
    operational: u32,
    growth: u32,
    risk: u32,
}

/// Why a set of category weights was refused; the message is user-facing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    /// A weight outside 0..=100.
    #[error("the {category} weight must be a whole number from 0 to 100, not {value}")]
    OutOfRange {
        /// The category whose weight was refused.
        category: Category,
        /// The weight given.
        value: i64,
    },
    /// Weights that do not sum to 100.
    #[error("the category weights must sum to 100, not {sum}")]
    Sum {
        /// Their sum.
        sum: i64,
    },
}

impl WeightsError {
    /// The field to report the error on (`weights.financial`, …, or `weights`).
    pub fn field(&self) -> String {
        match self {
            WeightsError::OutOfRange { category, .. } => format!("weights.{category}"),
            WeightsError::Sum { .. } => "weights".to_owned(),
        }
    }
}

/// The unvalidated form, as submitted.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeights {
    financial: i64,
    customer: i64,
    operational: i64,
    growth: i64,
    risk: i64,
}

impl TryFrom<RawWeights> for CategoryWeights {
    type Error = WeightsError;
    fn try_from(r: RawWeights) -> Result<Self, WeightsError> {
        Self::new(r.financial, r.customer, r.operational, r.growth, r.risk)
    }
}

impl Default for CategoryWeights {
    /// SCORING.md's weights: financial 25, customer 25, operational 20, growth 20, risk 10.
    fn default() -> Self {
        Self {
            financial: 25,
            customer: 25,
            operational: 20,
            growth: 20,
            risk: 10,
        }
    }
}

impl CategoryWeights {
    /// Validates an organization's weights: each a whole number in 0..=100, summing to 100.
    /// The first refused weight is reported, in category order, before the sum.
    pub fn new(
        financial: i64,
        customer: i64,
        operational: i64,
        growth: i64,
        risk: i64,
    ) -> Result<Self, WeightsError> {
        let given = [financial, customer, operational, growth, risk];
        let mut ok = [0u32; 5];
        for ((category, value), slot) in Category::ALL.iter().zip(given).zip(&mut ok) {
            *slot = u32::try_from(value).ok().filter(|v| *v <= 100).ok_or(
                WeightsError::OutOfRange {
                    category: *category,
                    value,
                },
            )?;
        }
        let sum: i64 = given.iter().sum();
        if sum != 100 {
            return Err(WeightsError::Sum { sum });
        }
        let [financial, customer, operational, growth, risk] = ok;
        Ok(Self {
            financial,
            customer,
            operational,
            growth,
            risk,
        })
    }

    /// The weight of `category`.
    pub const fn get(&self, category: Category) -> u32 {
        match category {
            Category::Financial => self.financial,
            Category::Customer => self.customer,
            Category::Operational => self.operational,
            Category::Growth => self.growth,
            Category::Risk => self.risk,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let d = CategoryWeights::default();
        let all: u32 = Category::ALL.iter().map(|c| d.get(*c)).sum();
        assert_eq!(all, 100);
        assert_eq!(d.get(Category::Risk), 10);
        assert_eq!(CategoryWeights::new(25, 25, 20, 20, 10), Ok(d));
        assert!(CategoryWeights::new(100, 0, 0, 0, 0).is_ok());
        let e = CategoryWeights::new(25, -5, 30, 40, 10).unwrap_err();
        assert_eq!(
            e,
            WeightsError::OutOfRange {
                category: Category::Customer,
                value: -5
            }
        );
        assert_eq!(e.field(), "weights.customer");
        assert_eq!(
            e.to_string(),
            "the customer weight must be a whole number from 0 to 100, not -5"
        );
        assert!(matches!(
            CategoryWeights::new(101, 0, 0, 0, 0),
            Err(WeightsError::OutOfRange { value: 101, .. })
        ));
        let e = CategoryWeights::new(30, 30, 20, 20, 10).unwrap_err();
        assert_eq!(e, WeightsError::Sum { sum: 110 });
        assert_eq!(e.field(), "weights");
    }

    #[test]
    fn serde_validates() {
        let ok: CategoryWeights = serde_json::from_str(
            r#"{"financial":40,"customer":20,"operational":20,"growth":10,"risk":10}"#,
        )
        .unwrap();
        assert_eq!(ok.get(Category::Financial), 40);
        let json = serde_json::to_value(ok).unwrap();
        assert_eq!(json["growth"], 10);
        for bad in [
            r#"{"financial":40,"customer":20,"operational":20,"growth":10,"risk":20}"#,
            r#"{"financial":40.5,"customer":20,"operational":20,"growth":10,"risk":9.5}"#,
            r#"{"financial":40,"customer":20,"operational":20,"growth":20}"#,
            r#"{"financial":-40,"customer":80,"operational":20,"growth":20,"risk":20}"#,
        ] {
            assert!(
                serde_json::from_str::<CategoryWeights>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
