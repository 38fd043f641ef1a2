//! SYNTHETIC programme histories of several kinds, for the hindcast tests and the
//! `hindcast_regimes` example: real programmes grow while teams are added, level off, shrink as
//! land or funding runs out, lose funding at once, and slow down in winter.

use demine_plan::history::{MonthlyRelease, YearMonth};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shape of a programme's level over its months.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Slow drift, steps when teams come and go.
    Drift,
    /// Steady growth of 1–5 % a month (a young programme adding teams).
    Growth,
    /// Growth that levels off at 40–80 % of the history (a programme reaching its size).
    Logistic,
    /// Growth of 1–5 % a month that stops at once at 40–80 % of the history (teams all fielded).
    Plateau,
    /// Decline of 0.6–3 % a month (land or funding running out).
    Decline,
    /// Growth of 0.6–3 % a month, then a funding cut of 30–60 % at 40–80 % of the history.
    Cut,
    /// Drift, and an organisation's month now and then 8–40 times its usual: non-technical
    /// survey cancelling a large suspected area at once; now and then a month with no release.
    Cancellations,
    /// A mature programme at its pace: one level, no winter, lumpy months around it (where a
    /// straight line through the last year is hard to beat).
    Steady,
}

pub const KINDS: [Kind; 8] = [
    Kind::Drift,
    Kind::Growth,
    Kind::Logistic,
    Kind::Plateau,
    Kind::Decline,
    Kind::Cut,
    Kind::Cancellations,
    Kind::Steady,
];

fn level_at(kind: Kind, i: usize, n: usize, p: &[f64; 3]) -> f64 {
    let t = i as f64;
    match kind {
        Kind::Drift | Kind::Cancellations | Kind::Steady => 1.0,
        Kind::Growth => (p[0] * t).exp(),
        Kind::Logistic => 1.0 / (1.0 + (-(t - p[1] * n as f64) * p[0] * 2.0).exp()) + 0.05,
        Kind::Plateau => (p[0] * t.min(p[1] * n as f64)).exp(),
        Kind::Decline => (-p[0] * 0.6 * t).exp(),
        Kind::Cut => (p[0] * 0.6 * t).exp() * if t > p[1] * n as f64 { 1.0 - p[2] } else { 1.0 },
    }
}

/// A SYNTHETIC history of `months` months from January 2015, three organisations: the kind's
/// level, winter slow-downs, lumpy months, and, for `Drift` and `Cancellations`, steps.
pub fn programme(kind: Kind, seed: u64, months: usize) -> Vec<MonthlyRelease> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base = rng.gen_range(200_000.0..800_000.0);
    let p = [
        rng.gen_range(0.01..0.05),
        rng.gen_range(0.4..0.8),
        rng.gen_range(0.3..0.6),
    ];
    let winter = rng.gen_range(0.3..0.9);
    let lumpiness: f64 = rng.gen_range(0.3..0.8);
    let mut step = 1.0;
    let mut out = Vec::new();
    for i in 0..months {
        if matches!(kind, Kind::Drift | Kind::Cancellations) {
            if rng.gen::<f64>() < 0.06 {
                step *= rng.gen_range(0.7..1.5);
            }
            step *= 1.0 + rng.gen_range(-0.02..0.03);
        }
        let m = YearMonth::new(2015 + (i / 12) as i32, (i % 12 + 1) as u32).unwrap();
        let season = match m.month {
            _ if matches!(kind, Kind::Steady) => 1.0,
            12 | 1 | 2 => winter,
            3 | 11 => (1.0 + winter) / 2.0,
            _ => 1.1,
        };
        let level = base * step * level_at(kind, i, months, &p) * season;
        for (org, share) in [("OP-A", 0.5), ("OP-B", 0.3), ("OP-C", 0.2)] {
            let mut lumpy = rng.gen_range(-lumpiness..lumpiness).exp();
            if matches!(kind, Kind::Cancellations) {
                let r: f64 = rng.gen();
                if r < 0.05 {
                    lumpy *= rng.gen_range(8.0..40.0);
                } else if r < 0.09 {
                    lumpy = 0.0;
                }
            }
            out.push(MonthlyRelease {
                month: m,
                organisation: org.into(),
                area_m2: level * share * lumpy,
            });
        }
    }
    out
}
