//! Funding forecast: where a campaign's total is heading, and how likely it is to reach its goal.
//!
//! Crowdfunding totals rise fast at launch and flatten, so the cumulative curve is modelled as
//! `F(t) = A · (1 − e^(−k·t))` (A: the level it tends to, k: how fast it gets there). For each k
//! the best A has a closed form, so the fit is a one-dimensional search over k. The uncertainty
//! band comes from a residual bootstrap (refitting on resampled noise), which is honest early on,
//! when k itself is poorly known. See docs/forecast.md.

use serde::{Deserialize, Serialize};

/// One observation: days since launch, and the cumulative amount pledged by then (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub day: f64,
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The most likely total at the deadline.
    pub expected: f64,
    /// A 10th–90th percentile band for the total at the deadline.
    pub low: f64,
    pub high: f64,
    /// Probability (0–1) that the total at the deadline reaches the goal.
    pub p_goal: f64,
    /// The fitted curve's parameters, for drawing it.
    pub level: f64,
    pub rate_per_day: f64,
}

const MIN_POINTS: usize = 3;
const RESAMPLES: usize = 200;
const K_MIN: f64 = 0.002;
const K_MAX: f64 = 5.0;

fn shape(k: f64, day: f64) -> f64 {
    1.0 - (-k * day).exp()
}

/// Best level A for a fixed k (least squares), and the squared error it leaves.
fn fit_level(points: &[Point], k: f64) -> (f64, f64) {
    let (mut sf, mut sff) = (0.0, 0.0);
    for p in points {
        let f = shape(k, p.day);
        sf += p.total * f;
        sff += f * f;
    }
    let a = if sff > 0.0 { (sf / sff).max(0.0) } else { 0.0 };
    let sse = points
        .iter()
        .map(|p| (p.total - a * shape(k, p.day)).powi(2))
        .sum();
    (a, sse)
}

/// Least-squares (A, k): a log-spaced grid over k, then golden-section refinement.
pub fn fit(points: &[Point]) -> (f64, f64) {
    const STEPS: usize = 120;
    let ratio = (K_MAX / K_MIN).ln();
    let k_at = |i: usize| K_MIN * (ratio * i as f64 / STEPS as f64).exp();
    let best = (0..=STEPS)
        .map(|i| (i, fit_level(points, k_at(i)).1))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let (mut lo, mut hi) = (k_at(best.saturating_sub(1)), k_at((best + 1).min(STEPS)));
    let golden = 0.618_033_988_75;
    for _ in 0..40 {
        let m1 = hi - golden * (hi - lo);
        let m2 = lo + golden * (hi - lo);
        if fit_level(points, m1).1 <= fit_level(points, m2).1 {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    let k = (lo + hi) / 2.0;
    (fit_level(points, k).0, k)
}

/// A small deterministic generator, so the same data always gives the same forecast.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Forecasts the total at `duration_days` for a campaign with `goal`, from cumulative
/// observations. `None` until there are at least three observations after launch.
pub fn forecast(points: &[Point], duration_days: f64, goal: f64) -> Option<Forecast> {
    let points: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.day > 0.0 && p.total.is_finite())
        .collect();
    if points.len() < MIN_POINTS || duration_days <= 0.0 {
        return None;
    }
    let current = points.iter().map(|p| p.total).fold(0.0, f64::max);
    let (level, k) = fit(&points);
    // A total never goes down, so no projection is below what is already pledged.
    let project = |a: f64, k: f64| (a * shape(k, duration_days)).max(current);
    let expected = project(level, k);

    // Noise lives in each day's pledges, not in the running total (whose errors pile up), so the
    // bootstrap resamples the residuals of the increments and adds them back up.
    let fitted: Vec<f64> = points.iter().map(|p| level * shape(k, p.day)).collect();
    let increments = |values: &mut dyn Iterator<Item = f64>| -> Vec<f64> {
        let mut prev = 0.0;
        values
            .map(|v| {
                let d = v - prev;
                prev = v;
                d
            })
            .collect()
    };
    let fitted_steps = increments(&mut fitted.iter().copied());
    let actual_steps = increments(&mut points.iter().map(|p| p.total));
    let residuals: Vec<f64> = actual_steps
        .iter()
        .zip(&fitted_steps)
        .map(|(a, f)| a - f)
        .collect();
    let seed = points.iter().fold(0x9E37_79B9_7F4A_7C15_u64, |h, p| {
        (h ^ p.total.to_bits())
            .rotate_left(17)
            .wrapping_mul(0x100_0000_01B3)
    });
    let mut rng = XorShift(seed | 1);
    let mut outcomes: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let mut total = 0.0;
            let sample: Vec<Point> = points
                .iter()
                .zip(&fitted_steps)
                .map(|(p, step)| {
                    total += (step + residuals[rng.below(residuals.len())]).max(0.0);
                    Point { day: p.day, total }
                })
                .collect();
            let (a, k) = fit(&sample);
            project(a, k)
        })
        .collect();
    outcomes.sort_by(f64::total_cmp);
    let p_goal = if current >= goal {
        1.0
    } else {
        outcomes.iter().filter(|o| **o >= goal).count() as f64 / outcomes.len() as f64
    };
    Some(Forecast {
        expected,
        low: percentile(&outcomes, 0.1).min(expected),
        high: percentile(&outcomes, 0.9).max(expected),
        p_goal,
        level,
        rate_per_day: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Daily pledges following the model, each day off by up to ±`noise` of its expected size.
    fn curve(a: f64, k: f64, days: usize, noise: f64) -> Vec<Point> {
        curve_seeded(a, k, days, noise, 42)
    }

    fn curve_seeded(a: f64, k: f64, days: usize, noise: f64, seed: u64) -> Vec<Point> {
        let mut rng = XorShift(seed);
        let mut total = 0.0_f64;
        (1..=days)
            .map(|d| {
                let expected = a * (shape(k, d as f64) - shape(k, d as f64 - 1.0));
                let wiggle = ((rng.next() % 2001) as f64 / 1000.0 - 1.0) * noise;
                total += (expected * (1.0 + wiggle)).max(0.0);
                Point {
                    day: d as f64,
                    total,
                }
            })
            .collect()
    }

    #[test]
    fn an_exact_saturating_curve_is_recovered() {
        let points = curve(100_000.0, 0.15, 12, 0.0);
        let (a, k) = fit(&points);
        assert!((a - 100_000.0).abs() / 100_000.0 < 0.01, "A = {a}");
        assert!((k - 0.15).abs() < 0.005, "k = {k}");
        let f = forecast(&points, 30.0, 50_000.0).unwrap();
        let truth = 100_000.0 * shape(0.15, 30.0);
        assert!((f.expected - truth).abs() / truth < 0.01, "{f:?}");
        assert_eq!(f.p_goal, 1.0, "already past the goal");
    }

    #[test]
    fn a_noisy_curve_gets_a_band_around_the_truth() {
        let points = curve(80_000.0, 0.1, 10, 0.3);
        let f = forecast(&points, 30.0, 200_000.0).unwrap();
        let truth = 80_000.0 * shape(0.1, 30.0);
        assert!(
            f.low <= truth && truth <= f.high,
            "truth {truth} outside {f:?}"
        );
        assert!(f.low < f.expected && f.expected < f.high, "{f:?}");
        assert!(
            f.p_goal < 0.05,
            "a goal far above the curve is unlikely: {f:?}"
        );
    }

    #[test]
    fn the_band_is_calibrated_across_many_campaigns() {
        // A 10th–90th percentile band should hold the true final total about 80 % of the time;
        // accept 60–100 % over 30 synthetic campaigns (a badly overconfident band scores far less).
        let truth = 80_000.0 * shape(0.1, 30.0);
        let hits = (1..=30_u64)
            .filter(|seed| {
                let f = forecast(
                    &curve_seeded(80_000.0, 0.1, 10, 0.3, seed * 7919),
                    30.0,
                    1e9,
                )
                .unwrap();
                f.low <= truth && truth <= f.high
            })
            .count();
        assert!(hits >= 18, "band held the truth in {hits}/30 campaigns");
    }

    #[test]
    fn the_probability_tracks_where_the_goal_sits() {
        let points = curve(80_000.0, 0.1, 10, 0.3);
        let truth = 80_000.0 * shape(0.1, 30.0);
        let easy = forecast(&points, 30.0, truth * 0.8).unwrap();
        let hard = forecast(&points, 30.0, truth * 1.2).unwrap();
        assert!(easy.p_goal > 0.9, "{easy:?}");
        assert!(hard.p_goal < easy.p_goal, "{hard:?}");
    }

    #[test]
    fn too_little_data_gives_no_forecast() {
        assert!(forecast(&[], 30.0, 1.0).is_none());
        assert!(forecast(&curve(1_000.0, 0.2, 2, 0.0), 30.0, 1.0).is_none());
        assert!(forecast(&curve(1_000.0, 0.2, 5, 0.0), 0.0, 1.0).is_none());
    }

    #[test]
    fn nothing_pledged_forecasts_nothing() {
        let points: Vec<Point> = (1..=5)
            .map(|d| Point {
                day: d as f64,
                total: 0.0,
            })
            .collect();
        let f = forecast(&points, 30.0, 1_000.0).unwrap();
        assert_eq!(f.expected, 0.0);
        assert_eq!(f.p_goal, 0.0);
    }

    #[test]
    fn the_same_data_always_gives_the_same_forecast() {
        let points = curve(50_000.0, 0.3, 8, 0.3);
        assert_eq!(
            forecast(&points, 20.0, 40_000.0),
            forecast(&points, 20.0, 40_000.0)
        );
    }
}
