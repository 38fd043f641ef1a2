//! Detection to depth, learned from the registry: clearance, BAC and EOD work to a recorded depth
//! (IMAS 09.10) and find what lies deeper only by chance.
//!
//! A method of type t that worked to depth D finds an item at depth z with p_t when
//! z ≤ D + τ and with β_t·p_t below (p_t the method's detection, [`Methods::item_detection`]).
//! An item of a hazard recorded with contamination c lies at depth z with probability f_c(z), so
//! the work's detection of an item of unknown depth is p_t·(F_c(D + τ) + β_t·(1 − F_c(D + τ))).
//!
//! Everything comes from the registry's finds made by work (a find matched to the activity whose
//! land and dates hold it): f_c is the maximum-likelihood profile of items under that biased
//! sampling (each find's work saw depths below D + τ at β_t; [`npmle`]), of all finds when a
//! contamination type has few; β_t and τ maximise the likelihood of each find's depth given the
//! depth its activity worked to, f_c(z)·g(z, D)/Σ f_c(z')g(z', D), g = 1 within and β_t below. The
//! spread of recorded depths identifies β: an item at 20 cm is within a 30 cm clearance and
//! below a 15 cm one. Technical survey lanes and finds reported by people (call-outs) are taken
//! as blind to depth; call-outs do not enter the profile (people see surface items more often).

use crate::methods::Methods;
use crate::spatial::HazardLocator;
use demine_core::{Activity, ActivityType, Find, Hazard};
use geo::{BoundingRect, Contains};
use serde::Serialize;
use std::collections::HashMap;

/// Deepest depth bin, cm (deeper finds count here).
const MAX_CM: usize = 200;
/// Finds by work a contamination type needs for a profile of its own (else the pooled one).
const MIN_TYPE_FINDS: usize = 100;
/// Finds by depth-recorded work needed to fit β and τ; below, detection ignores depth.
pub const MIN_FINDS: usize = 30;
const BETAS: [f64; 17] = [
    0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0,
];
const TOLERANCES: [f64; 5] = [0.0, 2.5, 5.0, 7.5, 10.0];

/// Which β an activity type uses: clearance and EOD share one, BAC has its own.
fn group(t: ActivityType) -> Option<usize> {
    match t {
        ActivityType::Clearance | ActivityType::Eod => Some(0),
        ActivityType::Bac => Some(1),
        ActivityType::Nts | ActivityType::Ts => None,
    }
}

/// The fitted depth model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthModel {
    /// τ, cm: how far below its recorded depth work still finds items as within it.
    pub tolerance_cm: f64,
    /// β for clearance (and EOD), and for BAC: detection below the worked depth relative to within.
    pub beyond_ratio: [f64; 2],
    /// Finds by work with a depth, and of those by depth-recorded clearance, BAC or EOD.
    pub finds_used: usize,
    pub finds_with_work_depth: usize,
    /// Cumulative depth profile per recorded contamination type (1 cm bins), and pooled.
    #[serde(skip)]
    profiles: HashMap<String, Vec<f64>>,
    #[serde(skip)]
    pooled: Vec<f64>,
}

/// One find by work: its depth bin, contamination type, and the work's group and depth.
struct Obs {
    z: usize,
    contamination: Option<usize>,
    work: Option<(usize, f64)>,
}

fn bin(z: f64) -> usize {
    (z.max(0.0).floor() as usize).min(MAX_CM)
}

fn cumulative(h: &[f64]) -> Vec<f64> {
    let total: f64 = h.iter().sum();
    let mut acc = 0.0;
    h.iter()
        .map(|x| {
            acc += x;
            if total > 0.0 {
                acc / total
            } else {
                1.0
            }
        })
        .collect()
}

/// F(d): share of the profile at depth ≤ d.
fn share_at(cum: &[f64], d: f64) -> f64 {
    if d < 0.0 {
        return 0.0;
    }
    cum[bin(d)]
}

/// The maximum-likelihood depth profile (cumulative) of the items in worked land, from finds
/// each sampled with relative detection g(z) = 1 within its work's depth + τ and β below
/// (biased sampling, Vardi 1985): f(z) ∝ n(z) / Σᵢ gᵢ(z)/Gᵢ, Gᵢ = Σ_z f(z)gᵢ(z), iterated.
fn npmle(obs: &[&Obs], beta: [f64; 2], tol: f64) -> Vec<f64> {
    let mut n = vec![0.0; MAX_CM + 1];
    for o in obs {
        n[o.z] += 1.0;
    }
    let total: f64 = n.iter().sum();
    if total <= 0.0 {
        return vec![1.0; MAX_CM + 1];
    }
    let mut f: Vec<f64> = n.iter().map(|x| x / total).collect();
    for _ in 0..200 {
        let cum = cumulative(&f);
        // Σᵢ gᵢ(z)/Gᵢ = base + Σ_{i: z ≤ tᵢ} (1 − βᵢ)/Gᵢ, the second a suffix sum over thresholds.
        let mut base = 0.0;
        let mut at = vec![0.0; MAX_CM + 1];
        for o in obs {
            match o.work {
                Some((g, d)) if d + tol >= 0.0 => {
                    let t = d + tol;
                    let within = share_at(&cum, t);
                    let big_g = (within + beta[g] * (1.0 - within)).max(1e-300);
                    base += beta[g] / big_g;
                    at[bin(t)] += (1.0 - beta[g]) / big_g;
                }
                Some(_) => base += 1.0,
                None => base += 1.0,
            }
        }
        let mut suffix = 0.0;
        let mut next = vec![0.0; MAX_CM + 1];
        for z in (0..=MAX_CM).rev() {
            suffix += at[z];
            next[z] = n[z] / (base + suffix).max(1e-300);
        }
        let s: f64 = next.iter().sum();
        let change: f64 = next.iter().zip(&f).map(|(a, b)| (a / s - b).abs()).sum();
        f = next.into_iter().map(|x| x / s).collect();
        if change < 1e-9 {
            break;
        }
    }
    cumulative(&f)
}

impl DepthModel {
    /// Learns the model from the registry (see the module doc). `None` when too few finds by
    /// depth-recorded work carry a depth.
    pub fn fit(hazards: &[Hazard], activities: &[Activity], finds: &[Find]) -> Option<DepthModel> {
        let crate::spatial::ByHazard {
            index,
            activities: acts,
        } = crate::spatial::ByHazard::new(hazards, activities);
        let by_id: HashMap<&str, &Activity> = activities.iter().map(|a| (a.id.as_str(), a)).collect();
        let locate = HazardLocator::new(hazards);
        let mut types: Vec<String> = Vec::new();
        let mut obs: Vec<Obs> = Vec::new();
        for f in finds {
            let Some(z) = f.depth_cm.filter(|z| z.is_finite() && *z >= 0.0) else {
                continue;
            };
            let h = f
                .hazard_id
                .as_deref()
                .and_then(|id| index.get(id).copied())
                .or_else(|| locate.hazard_of(f.location));
            let Some(h) = h else { continue };
            // The activity that found it: by id, else the hazard's work holding it on that day.
            let work = f
                .activity_id
                .as_deref()
                .and_then(|id| by_id.get(id).copied())
                .or_else(|| {
                    acts[h].iter().copied().find(|a| {
                        a.start_date <= f.date
                            && f.date <= a.end_date
                            && a.geometry.bounding_rect().is_some_and(|b| {
                                let p = f.location;
                                p.x() >= b.min().x && p.x() <= b.max().x && p.y() >= b.min().y && p.y() <= b.max().y
                            })
                            && a.geometry.contains(&f.location)
                    })
                });
            let Some(a) = work else { continue };
            if a.activity_type == ActivityType::Nts {
                continue;
            }
            let contamination = hazards[h].contamination.as_deref().map(|c| {
                types.iter().position(|t| t == c).unwrap_or_else(|| {
                    types.push(c.to_string());
                    types.len() - 1
                })
            });
            let work = group(a.activity_type).and_then(|g| a.depth_cm.filter(|d| d.is_finite()).map(|d| (g, d)));
            obs.push(Obs {
                z: bin(z),
                contamination,
                work,
            });
        }
        let with_depth = obs.iter().filter(|o| o.work.is_some()).count();
        if with_depth < MIN_FINDS {
            return None;
        }
        let profiles_for = |beta: [f64; 2], tol: f64| -> (Vec<Vec<f64>>, Vec<f64>) {
            let pooled: Vec<&Obs> = obs.iter().collect();
            let pooled_cum = npmle(&pooled, beta, tol);
            let per = (0..types.len())
                .map(|c| {
                    let mine: Vec<&Obs> = obs.iter().filter(|o| o.contamination == Some(c)).collect();
                    if mine.len() >= MIN_TYPE_FINDS {
                        npmle(&mine, beta, tol)
                    } else {
                        pooled_cum.clone()
                    }
                })
                .collect();
            (per, pooled_cum)
        };
        let log_lik = |beta: [f64; 2], tol: f64| -> f64 {
            let (per, pooled) = profiles_for(beta, tol);
            let mut ll = 0.0;
            for o in &obs {
                let Some((g, d)) = o.work else { continue };
                let cum = o.contamination.map_or(&pooled, |c| &per[c]);
                let pz = cum[o.z] - if o.z > 0 { cum[o.z - 1] } else { 0.0 };
                let within = share_at(cum, d + tol);
                let gz = if (o.z as f64) > d + tol { beta[g] } else { 1.0 };
                ll += (pz * gz).max(1e-300).ln() - (within + beta[g] * (1.0 - within)).max(1e-300).ln();
            }
            ll
        };
        let (mut beta, mut tol) = ([0.2, 0.2], 5.0);
        let mut best = log_lik(beta, tol);
        for _ in 0..3 {
            for &t in &TOLERANCES {
                let l = log_lik(beta, t);
                if l > best {
                    best = l;
                    tol = t;
                }
            }
            for g in 0..2 {
                for &b in &BETAS {
                    let mut x = beta;
                    x[g] = b;
                    let l = log_lik(x, tol);
                    if l > best {
                        best = l;
                        beta = x;
                    }
                }
            }
        }
        let (per, pooled) = profiles_for(beta, tol);
        Some(DepthModel {
            tolerance_cm: tol,
            beyond_ratio: beta,
            finds_used: obs.len(),
            finds_with_work_depth: with_depth,
            profiles: types.into_iter().zip(per).collect(),
            pooled,
        })
    }

    /// Share of the items of a hazard recorded with `contamination` lying at depth ≤ `depth_cm`.
    pub fn share_within(&self, contamination: Option<&str>, depth_cm: f64) -> f64 {
        let cum = contamination.and_then(|c| self.profiles.get(c)).unwrap_or(&self.pooled);
        share_at(cum, depth_cm)
    }

    /// Detection of an activity of `t` that worked to `depth_cm` on a hazard recorded with
    /// `contamination`, for an item of unknown depth. Technical survey, NTS and work without a
    /// recorded depth: [`Methods::item_detection`].
    pub fn detection(
        &self,
        methods: &Methods,
        t: ActivityType,
        depth_cm: Option<f64>,
        contamination: Option<&str>,
    ) -> f64 {
        let p = methods.item_detection(t);
        match (group(t), depth_cm.filter(|d| d.is_finite())) {
            (Some(g), Some(d)) => {
                let within = self.share_within(contamination, d + self.tolerance_cm);
                p * (within + self.beyond_ratio[g] * (1.0 - within))
            }
            _ => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_core::{Attributes, FindCategory, HazardClass, Outcome};
    use geo::{MultiPolygon, Point, Rect};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Rect::new((x, y), (x + side, y + side)).to_polygon()])
    }

    /// Finds simulated with the demo's rule (0.99 within the worked depth + 5 cm, 0.2 below):
    /// the fit recovers the tolerance and the ratio 0.2/0.99 from the finds' depths alone.
    #[test]
    fn beyond_depth_ratio_and_tolerance_are_recovered() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let day = |k: i64| chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(k);
        let hazard = Hazard {
            contamination: Some("UXO".into()),
            ..Hazard::new("H", HazardClass::Cha, square(30.0, 50.0, 0.5))
        };
        let (mut activities, mut finds) = (Vec::new(), Vec::new());
        for k in 0..400 {
            let depth = [10.0, 15.0, 20.0, 25.0, 30.0][k % 5];
            let (x, y) = (30.0 + (k % 20) as f64 * 0.02, 50.0 + (k / 20) as f64 * 0.02);
            let id = format!("A{k}");
            for _ in 0..30 {
                let z: f64 = if rng.gen::<f64>() < 0.5 {
                    0.0
                } else {
                    rng.gen_range(5..=60) as f64
                };
                let p = if z <= depth + 5.0 { 0.99 } else { 0.2 };
                if rng.gen::<f64>() < p {
                    finds.push(Find {
                        hazard_id: Some("H".into()),
                        activity_id: Some(id.clone()),
                        depth_cm: Some(z),
                        ..Find::new(
                            format!("F{}", finds.len()),
                            day(k as i64),
                            FindCategory::Uxo,
                            Point::new(x + 0.01, y + 0.01),
                        )
                    });
                }
            }
            activities.push(Activity {
                id,
                hazard_id: "H".into(),
                activity_type: ActivityType::Clearance,
                outcome: Outcome::Cleared,
                start_date: day(k as i64),
                end_date: day(k as i64),
                geometry: square(x, y, 0.02),
                organisation: None,
                team: None,
                method: None,
                depth_cm: Some(depth),
                attributes: Attributes::new(),
            });
        }
        let m = DepthModel::fit(std::slice::from_ref(&hazard), &activities, &finds).unwrap();
        assert_eq!(m.tolerance_cm, 5.0, "{m:?}");
        assert!((0.13..=0.3).contains(&m.beyond_ratio[0]), "{m:?}");
        // Half the items lie at the surface, the rest evenly to 60 cm: 15 cm + 5 holds ~0.64.
        let within = m.share_within(Some("UXO"), 20.0);
        assert!((0.57..=0.71).contains(&within), "{within}");
        let methods = Methods::default();
        let shallow = m.detection(&methods, ActivityType::Clearance, Some(10.0), Some("UXO"));
        let deep = m.detection(&methods, ActivityType::Clearance, Some(30.0), Some("UXO"));
        assert!(shallow < deep && deep < 0.99, "{shallow} {deep}");
        assert_eq!(
            m.detection(&methods, ActivityType::Ts, Some(30.0), Some("UXO")),
            methods.ts_item_detection()
        );
        // Too few finds: no model.
        assert!(DepthModel::fit(std::slice::from_ref(&hazard), &activities, &finds[..10]).is_none());
    }
}
