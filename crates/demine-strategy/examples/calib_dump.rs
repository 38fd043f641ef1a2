//! Per-hazard dump of the released-land residual against the demo's truth (CSV, for analysis):
//! `DUMP_DIR=/tmp/x calib_dump SEEDS…` writes `seed_S.csv`; depth-aware detection and the ρ
//! recalibration and φ by the nearness of other evidence are on unless `DEPTH=0` /
//! `RECALIBRATE=0` / `NEIGHBOURS=0`; `SPREAD=S` fits with that [`PriorModel::spread`];
//! `INTENSITY_SCALE=S` multiplies the fitted [`PriorModel::intensity`] (on 25 seeds, 2 moves the
//! eighth decile's bias from −2.6 to −1.2 pp but the total of expected items from +4 % to +9 %,
//! up to +24 % on one seed: not taken); `INTENSITY_PHI_SCALE=S` multiplies its part on logit φ
//! only (2: 25 of 25 seeds within ±10 pp, the largest |bias| above 9 pp in 1 seed instead of 4,
//! but the total +7.7 % on average instead of +4.3 %, up to +20 %; a factor chosen against the
//! truth, not fitted, so not taken either; fitting that part on whether each unit has any find
//! instead of on its count moved it by under 0.02 and changed nothing).
#[path = "../tests/common/region.rs"]
mod region;

use demine_field::residual::Treatment;
use demine_strategy::*;
use std::io::Write;

fn main() {
    let out_dir = std::env::var("DUMP_DIR").unwrap_or_else(|_| "/tmp/calib".into());
    for seed in std::env::args().skip(1).filter_map(|s| s.parse::<u64>().ok()) {
        let r = region::region(seed);
        let c = &r.campaign;
        let reg = r.registry();
        let methods = Methods {
            depth_aware: std::env::var("DEPTH").as_deref() != Ok("0"),
            ..Methods::default()
        };
        eprintln!(
            "seed {seed}: depth {:?}",
            DepthModel::fit(&c.hazards, &c.activities, &c.finds).map(|d| (d.tolerance_cm, d.beyond_ratio))
        );
        let units = hazard_units(&reg, &methods).unwrap();
        let f = fit_options(
            &units,
            FitOptions {
                recalibrate: std::env::var("RECALIBRATE").as_deref() != Ok("0"),
                neighbours: std::env::var("NEIGHBOURS").as_deref() != Ok("0"),
                spread: std::env::var("SPREAD").ok().and_then(|s| s.parse().ok()).unwrap_or(0.0),
            },
        );
        let mut f = f;
        // `INTENSITY_SCALE=S` multiplies the fitted shared-intensity offsets (an experiment).
        if let Some(s) = std::env::var("INTENSITY_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            f.model.intensity = f.model.intensity.map(|c| c * s);
        }
        // `INTENSITY_PHI_SCALE=S`: only the part on logit φ.
        if let Some(s) = std::env::var("INTENSITY_PHI_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            f.model.intensity[0] *= s;
        }
        eprintln!("seed {seed}: {:?}", f.model);
        let items = r.truth_items();
        let left = true_items_in_released(&c.hazards, &c.activities, &items);
        let mut total = std::collections::HashMap::new();
        for it in &c.ground_truth {
            if let Some(h) = &it.hazard_id {
                let e = total.entry(h.as_str()).or_insert((0u32, 0u32));
                e.0 += 1;
                if !it.found {
                    e.1 += 1;
                }
            }
        }
        let types: Vec<[u32; 5]> = ByHazard::new(&c.hazards, &c.activities)
            .activities
            .iter()
            .map(|acts| {
                let mut t = [0u32; 5];
                acts.iter().for_each(|a| t[a.activity_type as usize] += 1);
                t
            })
            .collect();
        let mut w = std::io::BufWriter::new(std::fs::File::create(format!("{out_dir}/seed_{seed}.csv")).unwrap());
        writeln!(w, "id,class,contamination,area_m2,released_m2,rel_c,rel_r,rel_cl,units,finds,reported,accident,mean_risk,rho,p_cont,p_any,exp_items,true_items,true_unfound,true_left,pnf_items,e0,ea,n_nts,n_ts,n_clear,n_bac,n_eod,items_if_contaminated,duplicate").unwrap();
        for h in &units {
            let (rho, _) = f.model.priors(h);
            let res = residual::residual_of(h, &f.model, &|_, p| Treatment::Miss(if p.released { 1.0 } else { 0.0 }));
            let hz = &c.hazards[h.index];
            let rel = h.released_m2();
            let by: [f64; 3] = [0, 1, 2].map(|k| h.units.iter().map(|u| u.area_m2 * u.released_by_outcome[k]).sum());
            let mr = h.units.iter().map(|u| u.risk * u.area_m2).sum::<f64>() / h.area_m2.max(1.0);
            let (ti, tu) = total.get(h.id.as_str()).copied().unwrap_or((0, 0));
            let t = types[h.index];
            let (_, cases) = f.model.cases(h, &|_, _| Treatment::Miss(0.0));
            let (mut ea, mut e0) = (1.0, 1.0);
            for u in &cases {
                let (phi, mu, k) = (u.prior.phi, u.prior.mu, u.prior.shape);
                let nb: f64 = u
                    .land
                    .iter()
                    .map(|l| l.share * (1.0 + mu * l.found_share / k).powf(-k))
                    .sum();
                ea *= 1.0 - phi + phi * nb;
                e0 *= 1.0 - phi + phi * (1.0 + mu / k).powf(-k);
            }
            let pnf = (ea - e0) / (1.0 - e0).max(1e-12);
            // E[items | the hazard is contaminated] = Σ φ μ (the units independent given that).
            let items_if_contaminated: f64 = cases.iter().map(|u| u.prior.phi * u.prior.mu).sum();
            writeln!(
                w,
                "{},{:?},{},{:.0},{:.0},{:.0},{:.0},{:.0},{},{},{},{},{:.4},{:.5},{:.5},{:.5},{:.5},{},{},{},{:.4},{:.5},{:.5},{},{},{},{},{},{:.3},{}",
                h.id,
                hz.class,
                hz.contamination.as_deref().unwrap_or(""),
                h.area_m2,
                rel,
                by[0],
                by[1],
                by[2],
                h.units.len(),
                h.finds(),
                h.units.iter().map(|u| u.reported_finds).sum::<u32>(),
                h.has_evidence_before_work() as u8,
                mr,
                rho,
                res.p_contaminated,
                res.p_any_remaining,
                res.expected_remaining,
                ti,
                tu,
                left[h.index],
                pnf,
                e0,
                ea,
                t[0], t[1], t[2], t[3], t[4],
                items_if_contaminated,
                hz.attributes.contains_key("synthetic_duplicate_of") as u8
            )
            .unwrap();
        }
    }
}
