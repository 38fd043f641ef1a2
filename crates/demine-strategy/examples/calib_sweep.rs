//! Calibration of the released-land residual on many seeds and model options at once
//! (SYNTHETIC region demo against its hidden truth): one line per seed and option with the
//! worst decile error, the deciles outside ±10 pp and expected against true items.
//! `[SPREAD=S] calib_sweep [--options base,depth,depth+recal,recal,depth+recal+nb,depth+nobuf] SEEDS…` (`SPREAD`:
//! [`PriorModel::spread`], 0 by default; `nb`: φ by the
//! nearness of other evidence, [`FitOptions::neighbours`]; `nobuf`: no units around the evidence
//! that confirmed a hazard, [`Methods::evidence_buffer_units`]). Each line also says how often a
//! perfectly calibrated model would fail ±10 pp on that seed: outcomes drawn as Bernoulli from
//! the predictions themselves (2,000 draws), the share of draws with some decile beyond 10 pp.
#[path = "../tests/common/region.rs"]
mod region;

use demine_strategy::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options: Vec<String> = args
        .iter()
        .position(|a| a == "--options")
        .and_then(|i| args.get(i + 1))
        .map_or("base,depth,depth+recal".into(), |s| s.clone())
        .split(',')
        .map(str::to_string)
        .collect();
    let seeds: Vec<u64> = args.iter().filter_map(|s| s.parse().ok()).collect();
    for seed in seeds {
        let r = region::region(seed);
        let c = &r.campaign;
        let reg = r.registry();
        let items = r.truth_items();
        let truth = true_items_in_released(&c.hazards, &c.activities, &items);
        for opt in &options {
            let parts: Vec<&str> = opt.split('+').collect();
            let methods = Methods {
                depth_aware: parts.contains(&"depth"),
                evidence_buffer_units: !parts.contains(&"nobuf"),
                ..Methods::default()
            };
            let units = hazard_units(&reg, &methods).unwrap();
            let f = fit_options(
                &units,
                FitOptions {
                    recalibrate: parts.contains(&"recal"),
                    neighbours: parts.contains(&"nb"),
                    spread: std::env::var("SPREAD").ok().and_then(|s| s.parse().ok()).unwrap_or(0.0),
                },
            );
            let res = released_land_residual(&units, &f.model);
            let pred: Vec<f64> = res.iter().map(|x| x.p_any).collect();
            let obs: Vec<bool> = res.iter().map(|x| truth[x.hazard] > 0).collect();
            let e: f64 = res.iter().map(|x| x.expected_items).sum();
            let t: u32 = res.iter().map(|x| truth[x.hazard]).sum();
            let bins = calibration_bins(&pred, &obs, 10);
            let errs: Vec<f64> = bins.iter().map(|b| 100.0 * (b.mean_predicted - b.observed)).collect();
            let worst = errs
                .iter()
                .copied()
                .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                .unwrap_or(0.0);
            let out = errs.iter().filter(|e| e.abs() > 10.0).count();
            if f.model.neighbours != [0.0; 2] {
                println!("seed {seed:5} {opt:14} neighbours {:?}", f.model.neighbours);
            }
            eprintln!(
                "seed {seed} {opt}: log-likelihood {:.1}, shape {:.2}, report {:.3}, buffer {:?}, intensity {:?}",
                f.log_likelihood, f.model.shape, f.model.report, f.model.buffer, f.model.intensity
            );
            let chance = chance_failure(&pred, 0.10, 2000, seed);
            println!(
                "seed {seed:5} {opt:14} worst {worst:+6.1} pp, {out} outside, expected {e:5.0} true {t:5} ({:+.0} %), calibrated fails {:.1} %  [{}]",
                100.0 * (e / t as f64 - 1.0),
                100.0 * chance,
                errs.iter().map(|e| format!("{e:+.0}")).collect::<Vec<_>>().join(" ")
            );
        }
    }
}

/// Share of `draws` simulated outcome sets (each hazard positive with its own prediction, as a
/// perfectly calibrated model's would be) in which some decile's mean prediction is more than
/// `allowance` from its observed share: how often the ±10 pp check fails by chance alone.
fn chance_failure(pred: &[f64], allowance: f64, draws: usize, seed: u64) -> f64 {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut fails = 0;
    for _ in 0..draws {
        let obs: Vec<bool> = pred.iter().map(|&p| rng.gen::<f64>() < p).collect();
        if calibration_bins(pred, &obs, 10)
            .iter()
            .any(|b| (b.mean_predicted - b.observed).abs() > allowance)
        {
            fails += 1;
        }
    }
    fails as f64 / draws as f64
}
