//! Per-unit dump (hazard × risk cell) of the released-land residual against the demo's truth
//! (CSV, for analysis): `DUMP_DIR=/tmp/x calib_units SEEDS…` writes `units_S.csv`. Per unit: its
//! prior and posterior, then per piece class — `f`ar from or `n`ear (≤ 100 m) a find or accident,
//! released by `c`ancellation, `r`eduction (TS) or `cl`earance — the expected items left (`e_`),
//! P(any) left (`p_`) and the truth's items left there (`t_`).
#[path = "../tests/common/region.rs"]
mod region;

use demine_field::residual::Treatment;
use demine_strategy::*;
use geo::Contains;
use h3o::LatLng;
use std::collections::HashMap;
use std::io::Write;

fn main() {
    let out_dir = std::env::var("DUMP_DIR").unwrap_or_else(|_| "/tmp/calib".into());
    for seed in std::env::args().skip(1).filter_map(|s| s.parse::<u64>().ok()) {
        let r = region::region(seed);
        let c = &r.campaign;
        let reg = r.registry();
        let units = hazard_units(&reg, &Methods::default()).unwrap();
        let f = fit(&units);
        eprintln!("seed {seed}: {:?}", f.model);
        let res = units.iter().find_map(|h| h.units.first()).unwrap().cell.resolution();
        let ByHazard {
            index,
            activities: acts,
        } = ByHazard::new(&c.hazards, &c.activities);
        let mut evidence_pts: Vec<Vec<geo::Point<f64>>> = vec![Vec::new(); c.hazards.len()];
        // The direct evidence that confirmed a hazard: its units' buffers.
        let mut direct_pts: Vec<Vec<geo::Point<f64>>> = vec![Vec::new(); c.hazards.len()];
        for f in &c.finds {
            if let Some(&i) = f.hazard_id.as_deref().and_then(|id| index.get(id)) {
                evidence_pts[i].push(f.location);
                let h = &c.hazards[i];
                if h.class == demine_core::HazardClass::Cha && h.recorded_date.is_some_and(|d| f.date <= d) {
                    direct_pts[i].push(f.location);
                }
            }
        }
        for a in &c.accidents {
            if let Some(&i) = a.hazard_id.as_deref().and_then(|id| index.get(id)) {
                evidence_pts[i].push(a.location);
                direct_pts[i].push(a.location);
            }
        }
        let within = |pts: &[geo::Point<f64>], p: geo::Point<f64>| {
            use geo::Distance;
            pts.iter().any(|q| geo::Haversine.distance(*q, p) <= 100.0)
        };
        // (hazard, cell) → items left in released land by (near evidence, outcome) class
        let mut truth_class: HashMap<(usize, u64, bool), [u32; 6]> = HashMap::new();
        // (hazard, cell) → (items, unfound, unfound in released land)
        let mut truth: HashMap<(usize, u64, bool), [u32; 3]> = HashMap::new();
        for it in &c.ground_truth {
            let Some(&h) = it.hazard_id.as_deref().and_then(|id| index.get(id)) else {
                continue;
            };
            let p = it.location;
            let cell = LatLng::new(p.y(), p.x()).unwrap().to_cell(res);
            let key = (h, u64::from(cell), within(&direct_pts[h], p));
            let e = truth.entry(key).or_default();
            e[0] += 1;
            if !it.found {
                e[1] += 1;
                let mut outcome: Option<usize> = None;
                for a in acts[h].iter().filter(|a| a.geometry.contains(&p)) {
                    let o = match a.activity_type {
                        demine_core::ActivityType::Nts => 0,
                        demine_core::ActivityType::Ts => 1,
                        _ => 2,
                    };
                    outcome = Some(outcome.map_or(o, |x: usize| x.max(o)));
                }
                if let Some(o) = outcome {
                    e[2] += 1;
                    let near = within(&evidence_pts[h], p);
                    truth_class.entry(key).or_default()[usize::from(near) * 3 + o] += 1;
                }
            }
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(format!("{out_dir}/units_{seed}.csv")).unwrap());
        writeln!(w, "hazard,class,contamination,buffer,h_units,h_finds,h_pcont,h_pany,cell_share,risk,found_share,released,rel_c,rel_r,rel_cl,finds,reported,evidence,ev_dist,phi,mu,p_cont,exp_left,p_any,exp_unfound,t_items,t_unfound,t_left,e_fc,e_fr,e_fcl,e_nc,e_nr,e_ncl,p_fc,p_fr,p_fcl,p_nc,p_nr,p_ncl,t_fc,t_fr,t_fcl,t_nc,t_nr,t_ncl").unwrap();
        for h in &units {
            let (_, priors) = f.model.priors(h);
            let r = residual::residual_of(h, &f.model, &|_, p| Treatment::Miss(if p.released { 1.0 } else { 0.0 }));
            let hz = &c.hazards[h.index];
            for ((u, pr), ur) in h.units.iter().zip(&priors).zip(&r.units) {
                let key = (h.index, u64::from(u.cell), u.evidence_buffer);
                let t = truth.get(&key).copied().unwrap_or_default();
                let released: f64 = u.released_by_outcome.iter().sum();
                let tc = truth_class.get(&key).copied().unwrap_or_default();
                let mut ec = [0.0; 6];
                let mut pc = [0.0; 6];
                for k in 0..6 {
                    let (near, o) = (k / 3 == 1, k % 3);
                    let rr = residual::residual_of(h, &f.model, &|u2, p| {
                        let po = if p.work_detection < 0.01 {
                            0
                        } else if p.work_detection < 0.5 {
                            1
                        } else {
                            2
                        };
                        Treatment::Miss(
                            if std::ptr::eq(u2, u) && p.released && p.near_evidence == near && po == o {
                                1.0
                            } else {
                                0.0
                            },
                        )
                    });
                    ec[k] = rr.expected_remaining;
                    pc[k] = rr.p_any_remaining;
                }
                write!(
                    w,
                    "{},{:?},{},{},{},{},{:.5},{:.5},{:.4},{:.5},{:.4},{:.4},{:.4},{:.4},{:.4},{},{},{},{},{:.5},{:.4},{:.5},{:.5},{:.5},{:.5},{},{},{}",
                    h.id,
                    hz.class,
                    hz.contamination.as_deref().unwrap_or(""),
                    u.evidence_buffer as u8,
                    h.units.len(),
                    h.finds(),
                    r.p_contaminated,
                    r.p_any_remaining,
                    u.cell_share,
                    u.risk,
                    u.found_share,
                    released,
                    u.released_by_outcome[0],
                    u.released_by_outcome[1],
                    u.released_by_outcome[2],
                    u.finds,
                    u.reported_finds,
                    u.evidence as u8,
                    u.evidence_distance.map_or(-1, |d| d as i64),
                    pr.phi,
                    pr.mu,
                    ur.p_contaminated,
                    ur.expected_remaining,
                    residual::residual_of(h, &f.model, &|u2, p| {
                        Treatment::Miss(if std::ptr::eq(u2, u) && p.released { 1.0 } else { 0.0 })
                    })
                    .p_any_remaining,
                    ur.expected_unfound,
                    t[0],
                    t[1],
                    t[2]
                )
                .unwrap();
                let cols: Vec<String> = ec
                    .iter()
                    .chain(&pc)
                    .map(|x| format!("{x:.5}"))
                    .chain(tc.iter().map(|x| x.to_string()))
                    .collect();
                writeln!(w, ",{}", cols.join(",")).unwrap();
            }
        }
    }
}
