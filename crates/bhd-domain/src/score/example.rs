//! The worked example of docs/scoring.md: six months of books of a small services firm,
//! January–June 2024 (monthly values, oldest first). The doc's numbers are computed from it and
//! tests on both sides of the store check them, so it lives here once.

/// Metric → its monthly values for January … June 2024.
pub const WORKED_EXAMPLE: [(&str, [f64; 6]); 14] = [
    (
        "revenue",
        [80_000.0, 82_000.0, 85_000.0, 84_000.0, 88_000.0, 90_000.0],
    ),
    (
        "cost_of_goods_sold",
        [46_000.0, 47_000.0, 48_000.0, 48_500.0, 50_000.0, 51_000.0],
    ),
    (
        "expenses",
        [26_000.0, 26_500.0, 27_000.0, 27_000.0, 27_500.0, 28_000.0],
    ),
    (
        "operating_cash_flow",
        [5_000.0, 6_500.0, 7_000.0, 6_000.0, 8_000.0, 9_500.0],
    ),
    (
        "cash_balance",
        [
            150_000.0, 156_500.0, 163_500.0, 169_500.0, 177_500.0, 187_000.0,
        ],
    ),
    (
        "current_assets",
        [
            290_000.0, 298_000.0, 305_000.0, 310_000.0, 318_000.0, 327_000.0,
        ],
    ),
    (
        "current_liabilities",
        [
            160_000.0, 162_000.0, 165_000.0, 166_000.0, 168_000.0, 170_000.0,
        ],
    ),
    (
        "accounts_receivable",
        [
            120_000.0, 123_000.0, 124_000.0, 126_000.0, 128_000.0, 130_000.0,
        ],
    ),
    ("active_customers", [40.0, 41.0, 41.0, 42.0, 43.0, 43.0]),
    ("churned_customers", [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
    ("nps", [38.0, 41.0, 40.0, 44.0, 42.0, 45.0]),
    ("headcount", [9.0, 9.0, 9.0, 10.0, 10.0, 10.0]),
    ("leads", [14.0, 12.0, 15.0, 16.0, 18.0, 17.0]),
    (
        "largest_customer_revenue_share",
        [0.31, 0.30, 0.30, 0.29, 0.29, 0.28],
    ),
];
