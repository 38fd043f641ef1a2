//! Exploration of the region demo (temporary).
#[path = "../tests/common/region.rs"]
mod region;

use demine_core::ActivityType;
use demine_field::residual;
use geo::Contains;
use std::collections::{BTreeMap, HashMap};

fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let t = std::time::Instant::now();
    let r = region::region(seed);
    eprintln!("region built in {:.1} s", t.elapsed().as_secs_f64());
    let c = &r.campaign;
    let table = residual::detection_table(&[]).unwrap();
    let risk: HashMap<&str, &demine_core::HazardRisk> =
        r.hazard_risks.iter().map(|h| (h.hazard_id.as_str(), h)).collect();
    let mut items_by_h: HashMap<&str, Vec<&demine_demo::TrueItem>> = HashMap::new();
    for it in &c.ground_truth {
        if let Some(h) = &it.hazard_id {
            items_by_h.entry(h).or_default().push(it);
        }
    }
    let mut finds_by_h: HashMap<&str, u64> = HashMap::new();
    for f in &c.finds {
        if let Some(h) = &f.hazard_id {
            *finds_by_h.entry(h).or_default() += 1;
        }
    }
    let mut acts: HashMap<&str, Vec<&demine_core::Activity>> = HashMap::new();
    for a in &c.activities {
        acts.entry(&a.hazard_id).or_default().push(a);
    }
    let (mut rem_area, mut rem_items, mut rel_items) = (0.0, 0usize, 0usize);
    let mut rows: Vec<(f64, f64, bool, usize)> = Vec::new();
    for (h, rel) in c.hazards.iter().zip(&r.release.per_hazard) {
        rem_area += rel.remaining_m2;
        let items = items_by_h.get(h.id.as_str()).cloned().unwrap_or_default();
        let in_released = |p: &geo::Point<f64>| rel.pieces.iter().any(|pc| pc.geometry.contains(p));
        let mut left_rel = 0;
        for it in &items {
            if it.found {
                continue;
            }
            if in_released(&it.location) {
                left_rel += 1;
            } else {
                rem_items += 1;
            }
        }
        rel_items += left_rel;
        if rel.released_m2() < 1.0 {
            continue;
        }
        let area = rel.area_m2;
        let prior = match risk
            .get(h.id.as_str())
            .and_then(|x| residual::density_from_p_any(x.p_any, area))
            .filter(|d| *d >= 1e-7)
        {
            Some(d) => residual::Prior {
                density_per_m2: d,
                shape: Some(1.0),
                source: "risk".into(),
            },
            None => residual::Prior {
                density_per_m2: if h.class == demine_core::HazardClass::Cha {
                    1e-3
                } else {
                    1e-4
                },
                shape: Some(1.0),
                source: "class".into(),
            },
        };
        let works: Vec<(geo::MultiPolygon<f64>, String)> = acts
            .get(h.id.as_str())
            .map(|v| {
                v.iter()
                    .map(|a| (a.geometry.clone(), a.activity_type.as_str().to_lowercase()))
                    .collect()
            })
            .unwrap_or_default();
        let pieces: Vec<residual::Piece> = demine_field::coverage::method_pieces(&h.geometry, &works)
            .into_iter()
            .map(|(a, ms)| residual::Piece {
                area_m2: a,
                methods: ms
                    .into_iter()
                    .map(|m| {
                        let p = table[&m];
                        (m, p)
                    })
                    .collect(),
            })
            .collect();
        let finds = finds_by_h.get(h.id.as_str()).copied().unwrap_or(0);
        let res = residual::residual_risk(&prior, &pieces, finds, None).unwrap();
        rows.push((res.p_any_remaining, res.expected_remaining, left_rel > 0, left_rel));
        let _ = ActivityType::Nts;
    }
    println!(
        "hazards {}, remaining {:.1} km2, unfound items in remaining land {rem_items}, in released land {rel_items}",
        c.hazards.len(),
        rem_area / 1e6
    );
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = rows.len();
    println!(
        "hazards with released land: {n}; expected total {:.1}, true {}",
        rows.iter().map(|r| r.1).sum::<f64>(),
        rows.iter().map(|r| r.3).sum::<usize>()
    );
    for d in 0..10 {
        let s = &rows[d * n / 10..(d + 1) * n / 10];
        let pm = s.iter().map(|r| r.0).sum::<f64>() / s.len() as f64;
        let tm = s.iter().filter(|r| r.2).count() as f64 / s.len() as f64;
        println!("decile {d}: predicted {pm:.3} true {tm:.3}");
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for t in &c.teams {
        *by_kind.entry(t.kind.as_str().to_string()).or_default() += 1;
    }
    println!("teams {by_kind:?}");
}
