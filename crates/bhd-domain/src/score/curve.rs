//! Monotone piecewise-linear curves: how a KPI value becomes a 0–100 factor score.
//!
//! A curve is a list of breakpoints `(kpi, score)` with strictly increasing KPI values and
//! scores that only rise or only fall; between breakpoints the score is interpolated linearly,
//! outside them it is clamped to the nearest end. A curve must never produce a score outside the
//! range of its breakpoints, so every factor stays within 0–100 whatever the KPI (±∞ included).

use crate::metrics::Direction;

/// A monotone piecewise-linear curve, clamped at both ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    points: &'static [(f64, f64)],
}

impl Curve {
    /// A curve through `points`, ordered by increasing KPI value (checked by the unit tests for
    /// every curve of the model: x strictly increasing, y monotone, y within 0–100).
    pub const fn new(points: &'static [(f64, f64)]) -> Self {
        Self { points }
    }

    /// The breakpoints, by increasing KPI value.
    pub const fn points(&self) -> &'static [(f64, f64)] {
        self.points
    }

    /// The score at KPI value `x`; clamped outside the breakpoints. `x` may be infinite (a
    /// runway when no cash is burnt); NaN gives the lowest score (callers never pass it: a
    /// KPI that cannot be computed is absent instead).
    pub fn eval(&self, x: f64) -> f64 {
        let pts = self.points;
        let (Some(&(x0, y0)), Some(&(xn, yn))) = (pts.first(), pts.last()) else {
            return 0.0;
        };
        if x.is_nan() {
            return y0.min(yn);
        }
        if x <= x0 {
            return y0;
        }
        if x >= xn {
            return yn;
        }
        for w in pts.windows(2) {
            let ((xa, ya), (xb, yb)) = (w[0], w[1]);
            if x <= xb {
                let t = (x - xa) / (xb - xa);
                return ya + (yb - ya) * t;
            }
        }
        yn
    }

    /// Which way the KPI should move for the score to rise.
    pub fn good(&self) -> Direction {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) if b.1 > a.1 => Direction::Up,
            (Some(a), Some(b)) if b.1 < a.1 => Direction::Down,
            _ => Direction::Neutral,
        }
    }

    /// The lowest and highest score the curve can give.
    pub fn range(&self) -> (f64, f64) {
        let ys = self.points.iter().map(|p| p.1);
        let lo = ys.clone().fold(f64::INFINITY, f64::min);
        let hi = ys.fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    }

    /// The KPI value closest to the bad end that reaches `score`: what a factor must reach to
    /// score that much. None when the curve never gets there.
    pub fn kpi_for(&self, score: f64) -> Option<f64> {
        let (lo, hi) = self.range();
        if !(lo..=hi).contains(&score) {
            return None;
        }
        let pts = self.points;
        match self.good() {
            Direction::Up => pts.windows(2).find_map(|w| {
                let ((xa, ya), (xb, yb)) = (w[0], w[1]);
                (score <= yb && yb > ya).then(|| {
                    if score <= ya {
                        xa
                    } else {
                        xa + (xb - xa) * (score - ya) / (yb - ya)
                    }
                })
            }),
            Direction::Down => pts.windows(2).rev().find_map(|w| {
                let ((xa, ya), (xb, yb)) = (w[0], w[1]);
                (score <= ya && ya > yb).then(|| {
                    if score <= yb {
                        xb
                    } else {
                        xb - (xb - xa) * (score - yb) / (ya - yb)
                    }
                })
            }),
            Direction::Neutral => pts.first().map(|p| p.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: Curve = Curve::new(&[(0.0, 0.0), (1.0, 40.0), (3.0, 100.0)]);
    const DOWN: Curve = Curve::new(&[(1.0, 100.0), (2.0, 85.0), (12.0, 0.0)]);

    #[test]
    fn interpolates_and_clamps() {
        assert_eq!(UP.eval(-5.0), 0.0);
        assert_eq!(UP.eval(0.0), 0.0);
        assert_eq!(UP.eval(0.5), 20.0);
        assert_eq!(UP.eval(1.0), 40.0);
        assert_eq!(UP.eval(2.0), 70.0);
        assert_eq!(UP.eval(3.0), 100.0);
        assert_eq!(UP.eval(f64::INFINITY), 100.0);
        assert_eq!(UP.eval(f64::NEG_INFINITY), 0.0);
        assert_eq!(UP.eval(f64::NAN), 0.0);
        assert_eq!(DOWN.eval(0.0), 100.0);
        assert_eq!(DOWN.eval(1.5), 92.5);
        assert_eq!(DOWN.eval(7.0), 42.5);
        assert_eq!(DOWN.eval(f64::INFINITY), 0.0);
        assert_eq!(DOWN.eval(f64::NAN), 0.0);
        assert_eq!(UP.good(), Direction::Up);
        assert_eq!(DOWN.good(), Direction::Down);
        assert_eq!(Curve::new(&[]).eval(1.0), 0.0);
    }

    #[test]
    fn inverse_finds_the_kpi_that_reaches_a_score() {
        assert_eq!(UP.kpi_for(70.0), Some(2.0));
        assert_eq!(UP.kpi_for(40.0), Some(1.0));
        assert_eq!(UP.kpi_for(0.0), Some(0.0));
        assert_eq!(UP.kpi_for(101.0), None);
        assert_eq!(DOWN.kpi_for(85.0), Some(2.0));
        assert_eq!(DOWN.kpi_for(42.5), Some(7.0));
        assert_eq!(DOWN.kpi_for(100.0), Some(1.0));
        // A floor: the curve never goes below 20.
        let floored = Curve::new(&[(2.0, 20.0), (4.0, 50.0)]);
        assert_eq!(floored.kpi_for(10.0), None);
        assert_eq!(floored.kpi_for(20.0), Some(2.0));
        for s in [0.0, 12.5, 40.0, 63.0, 99.0] {
            let x = UP.kpi_for(s).unwrap();
            assert!((UP.eval(x) - s).abs() < 1e-9);
            let x = DOWN.kpi_for(s).unwrap();
            assert!((DOWN.eval(x) - s).abs() < 1e-9, "{s}");
        }
    }
}
