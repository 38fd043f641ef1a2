//! # demine-priority
//!
//! Which hazards to work first, and why: a transparent multi-criteria score per hazard, with
//! weights the national authority sets, every score shown with its breakdown; and a
//! suggestion to reclassify an SHA as a CHA from weighted direct and indirect evidence.
//!
//! **Owns:** the criteria (contamination risk; farmland, roads and infrastructure blocked;
//! population nearby; expected beneficiaries; accidents), their scoring in `[0, 1]`, the
//! weighted sum, the evidence rule for SHA → CHA, and the TOML configuration ([`Config`]).
//!
//! **Must never depend on:** the store, SQL, file formats other than the TOML it parses, or
//! the CLI. It takes registry values (hazards, what remains of them, the risk map, finds,
//! accidents, context layers) and returns values.
//!
//! The score of a hazard is `100 · Σ wᵢ·cᵢ / Σ wᵢ`, each criterion `cᵢ ∈ [0, 1]`:
//!
//! | criterion | measure | score |
//! |---|---|---|
//! | `risk` | P(any item) from the risk map, else the class default | the probability |
//! | `farmland` | land use | 1 agricultural or grazing, 0.5 forest, else 0 |
//! | `roads` | distance to the nearest road, m (0 for land use `road`) | `e^(−d/road_scale_m)` |
//! | `infrastructure` | land use | 1 infrastructure, road or residential, else 0 |
//! | `settlements` | Σ population · `e^(−d/settlement_scale_m)`, people | `x / (x + 2,000)` |
//! | `beneficiaries` | attribute `beneficiaries`, or "N households" in blockages × persons per household | `x / (x + 200)` |
//! | `accidents` | accidents inside or within `accident_radius_m` | `1 − e^(−n)` |
//!
//! `road_scale_m`, `settlement_scale_m`, `accident_radius_m` and the persons per household are
//! `[parameters]` of the TOML configuration; the half-saturation points, 2,000 people and 200
//! beneficiaries (a score of 0.5 there), are fixed in the code (`SETTLEMENT_HALF_PEOPLE`,
//! `BENEFICIARIES_HALF_PEOPLE`).
//!
//! Scores are absolute (not relative to the other hazards), so a hazard's score does not
//! change when an unrelated hazard is added.
//!
//! ```
//! use demine_priority::{prioritise, Config, PriorityInputs};
//! let square = geo::MultiPolygon::new(vec![geo::Polygon::new(
//!     vec![(35.0, 50.0), (35.01, 50.0), (35.01, 50.01), (35.0, 50.01), (35.0, 50.0)].into(), vec![])]);
//! let hazard = demine_core::Hazard {
//!     land_use: Some("agricultural".into()),
//!     blockages: Some("access to farmland; 40 households".into()),
//!     ..demine_core::Hazard::new("HAZ-1", demine_core::HazardClass::Sha, square)
//! };
//! let report = prioritise(&PriorityInputs {
//!     hazards: &[hazard], remaining_m2: &[800_000.0], risk_p_any: &[Some(0.5)],
//!     finds: &[], accidents: &[], layers: &[],
//! }, &Config::default()).unwrap();
//! let h = &report.hazards[0];
//! assert_eq!(h.rank, 1);
//! // The score is the weighted sum of its breakdown.
//! let points: f64 = h.breakdown.iter().map(|c| c.points).sum();
//! assert!((h.score - points).abs() < 1e-9);
//! ```

mod spatial;
mod weights;

pub use weights::{Config, Evidence, Parameters, Weights};

use demine_core::{Accident, ContextFeature, Find, Hazard, HazardClass};
use geo::Geometry;
use rayon::prelude::*;
use serde::Serialize;
use spatial::{nearest_segment_m, point_index, points_within, segment_index, LocalHazard};

/// Why a priority could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum PriorityError {
    /// The weights file is not valid.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// Inputs that do not fit together (a programming error upstream).
    #[error("{0}")]
    Inputs(String),
}

/// What the priorities are computed from. Slices `remaining_m2` and `risk_p_any` are in the
/// order of `hazards`.
#[derive(Debug, Clone, Copy)]
pub struct PriorityInputs<'a> {
    pub hazards: &'a [Hazard],
    /// Land not yet released, per hazard (m²); hazards with none left are not ranked.
    pub remaining_m2: &'a [f64],
    /// P(any item) from the risk map, per hazard, when a map was built.
    pub risk_p_any: &'a [Option<f64>],
    pub finds: &'a [Find],
    pub accidents: &'a [Accident],
    /// Context layers (roads, settlements, line of contact, … by the names in [`Parameters`]).
    pub layers: &'a [ContextFeature],
}

/// One criterion of one hazard's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub criterion: &'static str,
    /// What was measured (in `unit`); `None` when it could not be (e.g. no roads layer).
    pub measure: Option<f64>,
    pub unit: &'static str,
    /// How it was measured or why it is missing.
    pub note: String,
    /// In [0, 1].
    pub score: f64,
    /// The weight as configured.
    pub weight: f64,
    /// Contribution to the 0–100 score: `100 · weight · score / Σ weights`.
    pub points: f64,
}

/// One piece of evidence behind the SHA → CHA suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceTerm {
    pub evidence: &'static str,
    /// Count, probability or closeness, as named.
    pub value: f64,
    pub weight: f64,
    pub points: f64,
    /// Direct evidence (inside the hazard) or indirect.
    pub direct: bool,
}

/// The class suggestion for a hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub current: HazardClass,
    pub suggested: HazardClass,
    /// Σ points of the terms.
    pub evidence_score: f64,
    pub threshold: f64,
    pub terms: Vec<EvidenceTerm>,
    /// In words, for the officer who decides.
    pub reason: String,
}

/// A ranked hazard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardPriority {
    /// 1 = first to work.
    pub rank: usize,
    pub hazard_id: String,
    pub name: Option<String>,
    pub class: HazardClass,
    pub remaining_m2: f64,
    /// 0–100.
    pub score: f64,
    pub breakdown: Vec<Criterion>,
    pub classification: Classification,
}

/// Priorities of every hazard with land left, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorityReport {
    pub hazards: Vec<HazardPriority>,
    /// Hazards not ranked because nothing of them remains.
    pub released_not_ranked: usize,
    /// Whether P(any item) came from a risk map (else from class defaults).
    pub risk_map: bool,
    /// The configuration used (defaults filled in).
    pub config: Config,
}

impl PriorityReport {
    /// SHAs suggested as CHAs.
    pub fn suggested_cha(&self) -> impl Iterator<Item = &HazardPriority> {
        self.hazards
            .iter()
            .filter(|h| h.class == HazardClass::Sha && h.classification.suggested == HazardClass::Cha)
    }
}

fn saturating(x: f64, half: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else {
        x / (x + half)
    }
}

/// People the hazard blocks: the `beneficiaries` attribute, else "N households" in blockages.
fn beneficiaries(h: &Hazard, persons_per_household: f64) -> Option<(f64, String)> {
    if let Some(v) = h.attributes.get("beneficiaries").and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
    }) {
        if v.is_finite() && v >= 0.0 {
            return Some((v, "attribute `beneficiaries`".into()));
        }
    }
    let text = h.blockages.as_deref()?;
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .collect();
    let households = words
        .windows(2)
        .find(|w| w[1].starts_with("household"))
        .and_then(|w| w[0].parse::<f64>().ok())?;
    Some((
        households * persons_per_household,
        format!("{households} households × {persons_per_household} persons"),
    ))
}

fn lines_of(g: &Geometry<f64>) -> Vec<geo::LineString<f64>> {
    match g {
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        Geometry::Point(p) => vec![geo::LineString::from(vec![p.0])],
        Geometry::MultiPoint(m) => m.0.iter().map(|p| geo::LineString::from(vec![p.0])).collect(),
        Geometry::Polygon(p) => vec![p.exterior().clone()],
        Geometry::MultiPolygon(m) => m.0.iter().map(|p| p.exterior().clone()).collect(),
        _ => Vec::new(),
    }
}

fn point_of(g: &Geometry<f64>) -> Option<[f64; 2]> {
    use geo::Centroid;
    match g {
        Geometry::Point(p) => Some([p.x(), p.y()]),
        other => other.centroid().map(|c| [c.x(), c.y()]),
    }
}

/// Half-saturation constants (people): a criterion scores 0.5 at this many.
const SETTLEMENT_HALF_PEOPLE: f64 = 2_000.0;
const BENEFICIARIES_HALF_PEOPLE: f64 = 200.0;
/// Farther than this, a road or the line of contact no longer matters.
const FAR_M: f64 = 50_000.0;

/// Ranks hazards with land left by their weighted score and suggests classes.
pub fn prioritise(inputs: &PriorityInputs<'_>, config: &Config) -> Result<PriorityReport, PriorityError> {
    config.check("configuration")?;
    let n = inputs.hazards.len();
    if inputs.remaining_m2.len() != n || inputs.risk_p_any.len() != n {
        return Err(PriorityError::Inputs(format!(
            "{n} hazards but {} remaining areas and {} risk values",
            inputs.remaining_m2.len(),
            inputs.risk_p_any.len()
        )));
    }
    let p = &config.parameters;
    let e = &config.evidence;
    fn layer<'a>(layers: &'a [ContextFeature], name: &'a str) -> impl Iterator<Item = &'a ContextFeature> + 'a {
        layers.iter().filter(move |f| f.layer == name)
    }
    let layers = inputs.layers;
    let has_roads = layer(layers, &p.roads_layer).next().is_some();
    let has_settlements = layer(layers, &p.settlements_layer).next().is_some();
    let has_front = layer(layers, &p.line_of_contact_layer).next().is_some();
    let roads = segment_index(layer(layers, &p.roads_layer).flat_map(|f| lines_of(&f.geometry)));
    let front = segment_index(layer(layers, &p.line_of_contact_layer).flat_map(|f| lines_of(&f.geometry)));
    let settlements = point_index(layer(layers, &p.settlements_layer).filter_map(|f| {
        let pop = f.attributes.get(&p.population_attribute).and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
        })?;
        (pop.is_finite() && pop >= 0.0).then_some(())?;
        Some((point_of(&f.geometry)?, pop))
    }));
    let finds = point_index(inputs.finds.iter().map(|f| ([f.location.x(), f.location.y()], 1.0)));
    let accidents = point_index(inputs.accidents.iter().map(|a| ([a.location.x(), a.location.y()], 1.0)));
    let risk_map = inputs.risk_p_any.iter().any(Option::is_some);
    let weight_sum: f64 = config.weights.entries().iter().map(|(_, w)| w).sum();

    let ranked: Vec<Option<HazardPriority>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let h = &inputs.hazards[i];
            let remaining = inputs.remaining_m2[i];
            if remaining <= 0.0 {
                return None;
            }
            let local = LocalHazard::new(&h.geometry)?;
            let land_use = h.land_use.as_deref().unwrap_or("").to_ascii_lowercase();
            let mut breakdown: Vec<Criterion> = Vec::with_capacity(7);
            let mut add = |criterion: &'static str, measure: Option<f64>, unit: &'static str, note: String, score: f64| {
                let weight = config
                    .weights
                    .entries()
                    .iter()
                    .find(|(c, _)| *c == criterion)
                    .map_or(0.0, |(_, w)| *w);
                let score = score.clamp(0.0, 1.0);
                breakdown.push(Criterion {
                    criterion,
                    measure,
                    unit,
                    note,
                    score,
                    weight,
                    points: 100.0 * weight * score / weight_sum,
                });
            };

            // Risk.
            let (risk, risk_note) = match inputs.risk_p_any[i] {
                Some(r) => (r, "P(any item), risk map".to_string()),
                None => match h.class {
                    HazardClass::Cha => (p.cha_default_risk, "no risk map: CHA default".to_string()),
                    HazardClass::Sha => (p.sha_default_risk, "no risk map: SHA default".to_string()),
                },
            };
            add("risk", Some(risk), "probability", risk_note, risk);

            // Land use.
            let farmland = match land_use.as_str() {
                "agricultural" | "grazing" | "farmland" | "pasture" => 1.0,
                "forest" => 0.5,
                _ => 0.0,
            };
            add(
                "farmland",
                None,
                "land use",
                if land_use.is_empty() { "land use not recorded".into() } else { format!("land use {land_use}") },
                farmland,
            );

            // Roads.
            let road_m = if land_use == "road" {
                Some(0.0)
            } else if has_roads {
                nearest_segment_m(&local, &roads, FAR_M)
            } else {
                None
            };
            let road_note = match (road_m, has_roads || land_use == "road") {
                (Some(0.0), _) if land_use == "road" => "the hazard is on a road".to_string(),
                (Some(_), _) => format!("distance to the nearest `{}` feature", p.roads_layer),
                (None, true) => format!("no road within {:.0} km", FAR_M / 1000.0),
                (None, false) => format!("no `{}` layer: import one to score roads", p.roads_layer),
            };
            add(
                "roads",
                road_m,
                "m",
                road_note,
                road_m.map_or(0.0, |d| (-d / p.road_scale_m).exp()),
            );

            // Infrastructure.
            let infrastructure = if matches!(land_use.as_str(), "infrastructure" | "road" | "residential") {
                1.0
            } else {
                0.0
            };
            add(
                "infrastructure",
                None,
                "land use",
                if land_use.is_empty() { "land use not recorded".into() } else { format!("land use {land_use}") },
                infrastructure,
            );

            // Settlements nearby.
            let people: Option<f64> = has_settlements.then(|| {
                points_within(&local, &settlements, p.settlement_max_m)
                    .iter()
                    .map(|(d, pop)| pop * (-d / p.settlement_scale_m).exp())
                    .sum()
            });
            add(
                "settlements",
                people,
                "people (distance-weighted)",
                if has_settlements {
                    format!(
                        "Σ population · e^(−d/{:.0} m) within {:.0} km",
                        p.settlement_scale_m,
                        p.settlement_max_m / 1000.0
                    )
                } else {
                    format!("no `{}` layer with `{}`", p.settlements_layer, p.population_attribute)
                },
                people.map_or(0.0, |x| saturating(x, SETTLEMENT_HALF_PEOPLE)),
            );

            // Beneficiaries.
            let ben = beneficiaries(h, p.persons_per_household);
            add(
                "beneficiaries",
                ben.as_ref().map(|b| b.0),
                "people",
                ben.as_ref().map_or("not recorded".into(), |b| b.1.clone()),
                ben.as_ref().map_or(0.0, |b| saturating(b.0, BENEFICIARIES_HALF_PEOPLE)),
            );

            // Accidents and finds, inside and nearby.
            let radius = p.accident_radius_m.max(e.nearby_m);
            let acc: Vec<(f64, f64)> = points_within(&local, &accidents, radius);
            let acc_in = acc.iter().filter(|(d, _)| *d == 0.0).count() as f64;
            let acc_priority = acc.iter().filter(|(d, _)| *d <= p.accident_radius_m).count() as f64;
            add(
                "accidents",
                Some(acc_priority),
                "accidents",
                format!("inside or within {:.0} m", p.accident_radius_m),
                1.0 - (-acc_priority).exp(),
            );
            let score: f64 = breakdown.iter().map(|c| c.points).sum();

            // SHA → CHA evidence.
            let fnd: Vec<(f64, f64)> = points_within(&local, &finds, e.nearby_m);
            let finds_in = fnd.iter().filter(|(d, _)| *d == 0.0).count() as f64;
            let finds_near = (fnd.len() as f64 - finds_in).min(e.nearby_cap);
            let acc_near = (acc.iter().filter(|(d, _)| *d > 0.0 && *d <= e.nearby_m).count() as f64).min(e.nearby_cap);
            let front_closeness = if has_front {
                nearest_segment_m(&local, &front, FAR_M).map_or(0.0, |d| (-d / e.front_scale_m).exp())
            } else {
                0.0
            };
            let map_risk = inputs.risk_p_any[i].unwrap_or(0.0);
            let term = |evidence, value: f64, weight: f64, direct| EvidenceTerm {
                evidence,
                value,
                weight,
                points: value * weight,
                direct,
            };
            let terms = vec![
                term("finds inside", finds_in, e.find_inside, true),
                term("accidents inside", acc_in, e.accident_inside, true),
                term("finds nearby", finds_near, e.find_nearby, false),
                term("accidents nearby", acc_near, e.accident_nearby, false),
                term("risk map P(any item)", map_risk, e.risk, false),
                term("closeness to the line of contact", front_closeness, e.front, false),
            ];
            let evidence_score: f64 = terms.iter().map(|t| t.points).sum();
            let direct = finds_in + acc_in > 0.0;
            let suggested = if h.class == HazardClass::Cha || evidence_score >= e.cha_threshold {
                HazardClass::Cha
            } else {
                HazardClass::Sha
            };
            let reason = match (h.class, suggested) {
                (HazardClass::Sha, HazardClass::Cha) if direct => format!(
                    "direct evidence ({finds_in:.0} finds, {acc_in:.0} accidents inside): reclassify as CHA (evidence {evidence_score:.2} ≥ {:.2})",
                    e.cha_threshold
                ),
                (HazardClass::Sha, HazardClass::Cha) => format!(
                    "indirect evidence only ({evidence_score:.2} ≥ {:.2}): technical survey to confirm, then CHA",
                    e.cha_threshold
                ),
                (HazardClass::Sha, _) => format!(
                    "evidence {evidence_score:.2} < {:.2}: stays SHA (non-technical survey may cancel it)",
                    e.cha_threshold
                ),
                (HazardClass::Cha, _) if direct => "CHA with direct evidence".to_string(),
                (HazardClass::Cha, _) => {
                    "CHA without recorded direct evidence inside: check the evidence behind it".to_string()
                }
            };
            Some(HazardPriority {
                rank: 0,
                hazard_id: h.id.clone(),
                name: h.name.clone(),
                class: h.class,
                remaining_m2: remaining,
                score,
                breakdown,
                classification: Classification {
                    current: h.class,
                    suggested,
                    evidence_score,
                    threshold: e.cha_threshold,
                    terms,
                    reason,
                },
            })
        })
        .collect();
    let released_not_ranked = inputs.remaining_m2.iter().filter(|r| **r <= 0.0).count();
    let mut hazards: Vec<HazardPriority> = ranked.into_iter().flatten().collect();
    hazards.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.remaining_m2.total_cmp(&a.remaining_m2).reverse())
            .then_with(|| a.hazard_id.cmp(&b.hazard_id))
    });
    for (k, h) in hazards.iter_mut().enumerate() {
        h.rank = k + 1;
    }
    Ok(PriorityReport {
        hazards,
        released_not_ranked,
        risk_map,
        config: config.clone(),
    })
}

#[cfg(test)]
mod tests;
