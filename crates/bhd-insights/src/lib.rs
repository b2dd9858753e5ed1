//! Insights for Business Health Dashboard: forecasts, cash runway, anomalies and trend changes.
//!
//! Plain functions over plain numbers, built on the augurs time-series library: MSTL with the
//! known seasonal period and AutoETS for forecasts (`forecast`), the accumulated net cash flow
//! projected from the cash balance for the runway (`runway`), robust residuals of the seasonal
//! fit for anomalies (`anomalies`), and Bayesian change points on standardised growth for trend
//! changes (`trend_changes`). `insights` runs them on an organization's daily series and writes
//! the `Insight`s that `GET /insights` serves, each with the evidence it rests on.
//!
//! This crate must never perform I/O, spawn tasks or read the clock: `now` is passed in, and
//! the same input gives the same insights.

pub mod anomaly;
pub mod forecast;
pub mod insight;
pub mod runway;
pub mod series;
pub mod trend;

pub use anomaly::{Anomaly, anomalies};
pub use forecast::{Forecast, forecast};
pub use insight::{Insight, InsightKind, InsightOptions, Severity, insights};
pub use runway::{Runway, RunwayStatus, runway};
pub use series::{DailySeries, Period, Roll, fill_gaps};
pub use trend::{TrendChange, TrendOptions, growth_rates, trend_changes};

/// Why an insight could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InsightError {
    /// The series is too short for the method.
    #[error("not enough data: {got} observations, at least {needed} needed")]
    NotEnoughData {
        /// The fewest observations the method works with.
        needed: usize,
        /// The observations there were.
        got: usize,
    },
    /// The interval level is not strictly between 0 and 1.
    #[error("interval level {0} is not between 0 and 1")]
    Level(f64),
    /// The time-series model failed.
    #[error("model: {0}")]
    Model(String),
}
