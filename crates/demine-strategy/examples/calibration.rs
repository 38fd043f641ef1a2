//! Residual risk of the region demo's released land against its hidden truth (SYNTHETIC).
#[path = "../tests/common/region.rs"]
mod region;

use demine_strategy::*;

/// `calibration [--no-depth] [--no-recalibrate] [--neighbours] SEEDS…`: `--no-depth` takes past
/// clearance's detection whatever its recorded depth (`Methods::depth_aware` off),
/// `--no-recalibrate` leaves ρ as the units' fit gives it (formulation 3, not recalibrated on
/// the presence of finds), `--neighbours` lets φ depend on the nearness of the hazard's other
/// evidence (`FitOptions`).
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let depth = !args.iter().any(|a| a == "--no-depth");
    let options = FitOptions {
        recalibrate: !args.iter().any(|a| a == "--no-recalibrate"),
        neighbours: args.iter().any(|a| a == "--neighbours"),
        ..FitOptions::default()
    };
    let methods = Methods {
        depth_aware: depth,
        ..Methods::default()
    };
    for seed in args.iter().filter_map(|s| s.parse::<u64>().ok()) {
        let t = std::time::Instant::now();
        let r = region::region(seed);
        let c = &r.campaign;
        let reg = r.registry();
        if depth {
            if let Some(d) = DepthModel::fit(&c.hazards, &c.activities, &c.finds) {
                println!(
                    "seed {seed}: depth tolerance {} cm, beyond-depth ratio clearance/EOD {}, BAC {} ({} finds by work, {} with a worked depth)",
                    d.tolerance_cm, d.beyond_ratio[0], d.beyond_ratio[1], d.finds_used, d.finds_with_work_depth
                );
            }
        }
        let units = hazard_units(&reg, &methods).unwrap();
        let t_units = t.elapsed().as_secs_f64();
        let f = fit_options(&units, options);
        println!(
            "seed {seed}: units {:.1}s, fit {:.1}s: {:?} ll {:.1} on {} hazards, {} evals",
            t_units,
            t.elapsed().as_secs_f64() - t_units,
            f.model,
            f.log_likelihood,
            f.hazards_used,
            f.evaluations
        );
        let res = released_land_residual(&units, &f.model);
        let items = r.truth_items();
        let truth = true_items_in_released(&c.hazards, &c.activities, &items);
        let pred: Vec<f64> = res.iter().map(|x| x.p_any).collect();
        let obs: Vec<bool> = res.iter().map(|x| truth[x.hazard] > 0).collect();
        let e: f64 = res.iter().map(|x| x.expected_items).sum();
        let t_n: u32 = res.iter().map(|x| truth[x.hazard]).sum();
        println!(
            "  released hazards {}, expected items {e:.0}, true {t_n} ({:+.0} %)",
            res.len(),
            100.0 * (e / t_n as f64 - 1.0)
        );
        diagnostics(&units, &f.model, c);
        by_work(&units, &f.model, c, &methods);
        for b in calibration_bins(&pred, &obs, 10) {
            println!(
                "  [{:.3}, {:.3}] n {:4} predicted {:.3} observed {:.3}  {:+.1} pp",
                b.lo,
                b.hi,
                b.n,
                b.mean_predicted,
                b.observed,
                100.0 * (b.mean_predicted - b.observed)
            );
        }
    }
}

#[allow(dead_code)]
pub fn diagnostics(units: &[HazardUnits], model: &PriorModel, c: &demine_demo::Campaign) {
    use demine_field::residual::Treatment;
    let mut contaminated = std::collections::HashMap::new();
    let mut unfound = std::collections::HashMap::new();
    for it in &c.ground_truth {
        if let Some(h) = &it.hazard_id {
            *contaminated.entry(h.as_str()).or_insert(0u32) += 1;
            if !it.found {
                *unfound.entry(h.as_str()).or_insert(0u32) += 1;
            }
        }
    }
    let (mut prior, mut post, mut truth) = (Vec::new(), Vec::new(), Vec::new());
    let (mut e_unf, mut t_unf) = (0.0, 0u32);
    for h in units {
        let (rho, _) = model.priors(h);
        let r = demine_strategy::residual::residual_of(h, model, &|_, _| Treatment::Miss(0.0));
        prior.push(rho);
        post.push(r.p_contaminated);
        truth.push(contaminated.contains_key(h.id.as_str()));
        e_unf += r.units.iter().map(|u| u.expected_unfound).sum::<f64>();
        t_unf += unfound.get(h.id.as_str()).copied().unwrap_or(0);
    }
    println!("  unfound items: expected {e_unf:.0}, true {t_unf}");
    println!("  prior rho vs contaminated:");
    for b in calibration_bins(&prior, &truth, 10) {
        println!(
            "    n {:4} predicted {:.3} observed {:.3}",
            b.n, b.mean_predicted, b.observed
        );
    }
    println!("  posterior vs contaminated:");
    for b in calibration_bins(&post, &truth, 10) {
        println!(
            "    n {:4} predicted {:.3} observed {:.3}",
            b.n, b.mean_predicted, b.observed
        );
    }
}

/// The released-land residual split by the work that released the land (its first activity):
/// predicted expected items and Σ P(any) per hazard against the true items left and the hazards
/// still holding one. Pieces are told apart by their detection, so clearance and EOD (both
/// 0.99 by default) share a line.
pub fn by_work(units: &[HazardUnits], model: &PriorModel, c: &demine_demo::Campaign, methods: &Methods) {
    use demine_core::ActivityType;
    use demine_field::residual::Treatment;
    use geo::Contains;
    let groups: [(&str, &[ActivityType]); 4] = [
        ("cancelled (NTS)", &[ActivityType::Nts]),
        ("technical survey", &[ActivityType::Ts]),
        ("clearance, EOD", &[ActivityType::Clearance, ActivityType::Eod]),
        ("BAC", &[ActivityType::Bac]),
    ];
    let released: Vec<&HazardUnits> = units.iter().filter(|h| h.released_m2() >= 1.0).collect();
    let index: std::collections::HashMap<&str, usize> =
        c.hazards.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
    let mut acts: Vec<Vec<&demine_core::Activity>> = vec![Vec::new(); c.hazards.len()];
    for a in &c.activities {
        if let Some(&i) = index.get(a.hazard_id.as_str()) {
            acts[i].push(a);
        }
    }
    for v in acts.iter_mut() {
        v.sort_by(|a, b| (a.end_date, &a.id).cmp(&(b.end_date, &b.id)));
    }
    // True items left, per hazard and group: the first activity covering the item released it.
    let mut left = vec![[0u32; 4]; c.hazards.len()];
    for it in c.ground_truth.iter().filter(|i| !i.found) {
        let Some(&h) = it.hazard_id.as_deref().and_then(|id| index.get(id)) else {
            continue;
        };
        if let Some(a) = acts[h].iter().find(|a| a.geometry.contains(&it.location)) {
            if let Some(g) = groups.iter().position(|g| g.1.contains(&a.activity_type)) {
                let g = if methods.depth_aware && g == 3 { 2 } else { g };
                left[h][g] += 1;
            }
        }
    }
    println!("  released land by the work that released it: expected / true items, sum P(any) / hazards with an item");
    for (g, (name, types)) in groups.iter().enumerate() {
        let detections: Vec<f64> = types.iter().map(|t| methods.item_detection(*t)).collect();
        let (mut e, mut p) = (0.0, 0.0);
        // With detection to depth, clearance, BAC and EOD detections vary by work: every
        // detection above technical survey's counts as clearance (BAC's line is then empty).
        let ts = methods.item_detection(ActivityType::Ts);
        for h in &released {
            let r = demine_strategy::residual::residual_of(h, model, &|_, piece| {
                let ours = piece.released
                    && if methods.depth_aware && g >= 2 {
                        g == 2 && piece.work_detection > ts + 1e-3
                    } else {
                        detections.iter().any(|d| (piece.work_detection - d).abs() < 1e-3)
                    };
                Treatment::Miss(if ours { 1.0 } else { 0.0 })
            });
            e += r.expected_remaining;
            p += r.p_any_remaining;
        }
        let t: u32 = released.iter().map(|h| left[h.index][g]).sum();
        let n = released.iter().filter(|h| left[h.index][g] > 0).count();
        println!("    {name:17} {e:7.0} / {t:5}   {p:6.1} / {n:4}");
    }
}
