//! The SYNTHETIC region demo as the engines see it, for tests and examples: the campaign, its
//! land-release accounting and a risk map built as `compute_risk_map` in
//! `crates/demine/src/risk_build.rs` builds it (copied here: the CLI is being moved into an
//! application crate, and engine tests must not depend on it).

#![allow(dead_code)]

use demine_core::release::{account_records, RegistryRelease};
use demine_core::{ContextFeature, HazardRisk, Outcome, RiskCell};
use demine_grid::{CellIndex, Grid};
use demine_risk::cells::{build_cells, hazard_grid_each, newest_record_date, CellInputs};
use demine_risk::{ModelKind, RiskModel};
use geo::MultiPolygon;
use rayon::prelude::*;

/// A generated campaign with what the engines need.
pub struct Region {
    pub seed: u64,
    pub campaign: demine_demo::Campaign,
    pub layers: Vec<ContextFeature>,
    pub release: RegistryRelease,
    pub cells: Vec<RiskCell>,
    pub hazard_risks: Vec<HazardRisk>,
}

/// The demo's context layers (settlements, roads, the line of contact), as `demine demo` stores them.
pub fn demo_context_layers(c: &demine_demo::Campaign) -> Vec<ContextFeature> {
    let synthetic = |mut a: demine_core::Attributes| {
        a.insert("synthetic".into(), true.into());
        a
    };
    let mut out = Vec::new();
    for (i, s) in c.settlements.iter().enumerate() {
        let mut a = demine_core::Attributes::new();
        a.insert("name".into(), s.name.clone().into());
        a.insert("population".into(), s.population.into());
        out.push(ContextFeature {
            layer: "settlements".into(),
            id: Some(format!("SET-{:04}", i + 1)),
            geometry: geo::Geometry::Point(s.location),
            attributes: synthetic(a),
        });
    }
    for (i, r) in c.roads.iter().enumerate() {
        out.push(ContextFeature {
            layer: "roads".into(),
            id: Some(format!("RD-{:04}", i + 1)),
            geometry: geo::Geometry::LineString(r.clone()),
            attributes: synthetic(demine_core::Attributes::new()),
        });
    }
    out.push(ContextFeature {
        layer: "line_of_contact".into(),
        id: Some("LOC-1".into()),
        geometry: geo::Geometry::LineString(c.line_of_contact.clone()),
        attributes: synthetic(demine_core::Attributes::new()),
    });
    out
}

/// The demo's risk-map settings: resolution 9, boosted trees, 1 km bandwidth, no margin.
pub const RESOLUTION: u8 = 9;
pub const BANDWIDTH_M: f64 = 1000.0;

/// Per-hazard summary as `risk build` makes it (today's saturating P(any)).
fn hazard_risks(
    hazards: &[demine_core::Hazard],
    covers: &[Vec<CellIndex>],
    grid: &Grid,
    risk: &[f64],
) -> Vec<HazardRisk> {
    hazards
        .par_iter()
        .enumerate()
        .filter_map(|(k, h)| {
            let mut ps: Vec<f64> = covers[k]
                .iter()
                .filter_map(|c| grid.position(*c))
                .map(|i| risk[i])
                .collect();
            if ps.is_empty() {
                let first = h.geometry.0.first().and_then(|p| p.exterior().0.first()).copied();
                if let Some(i) = first
                    .and_then(|c| grid.cell_of(geo::Point(c)))
                    .and_then(|c| grid.position(c))
                {
                    ps.push(risk[i]);
                }
            }
            if ps.is_empty() {
                return None;
            }
            let n = ps.len() as f64;
            Some(HazardRisk {
                hazard_id: h.id.clone(),
                expected_contaminated_share: ps.iter().sum::<f64>() / n,
                p_any: 1.0 - ps.iter().map(|p| 1.0 - p).product::<f64>(),
            })
        })
        .collect()
}

/// Released pieces as the cell features take them.
pub fn released_pieces(release: &RegistryRelease) -> Vec<(Outcome, MultiPolygon<f64>)> {
    release
        .per_hazard
        .iter()
        .flat_map(|r| r.pieces.iter().map(|p| (p.outcome, p.geometry.clone())))
        .collect()
}

impl Region {
    /// The registry as the strategy engines take it.
    pub fn registry(&self) -> demine_strategy::Registry<'_> {
        let c = &self.campaign;
        demine_strategy::Registry {
            hazards: &c.hazards,
            activities: &c.activities,
            release: &self.release,
            finds: &c.finds,
            accidents: &c.accidents,
            cells: &self.cells,
        }
    }

    /// The hidden items (for evaluation only: never for fitting).
    pub fn truth_items(&self) -> Vec<demine_strategy::TruthItem<'_>> {
        truth_items(&self.campaign)
    }
}

/// A campaign's hidden items (for evaluation only: never for fitting).
pub fn truth_items(c: &demine_demo::Campaign) -> Vec<demine_strategy::TruthItem<'_>> {
    c.ground_truth
        .iter()
        .map(|i| demine_strategy::TruthItem {
            location: i.location,
            hazard_id: i.hazard_id.as_deref(),
            found: i.found,
        })
        .collect()
}

/// Generates the region campaign of `seed`, accounts it and builds its risk map.
pub fn region(seed: u64) -> Region {
    let campaign = demine_demo::generate(demine_demo::Scale::Region, seed);
    let layers = demo_context_layers(&campaign);
    let release = account_records(&campaign.hazards, &campaign.activities, None, true);
    let released = released_pieces(&release);
    let inputs = CellInputs {
        hazards: &campaign.hazards,
        released: &released,
        finds: &campaign.finds,
        accidents: &campaign.accidents,
        layers: &layers,
        bandwidth_m: BANDWIDTH_M,
        as_of: newest_record_date(&campaign.activities, &campaign.finds, &campaign.accidents),
    };
    let (grid, covers) = hazard_grid_each(&campaign.hazards, RESOLUTION, 0.0).expect("grid");
    let table = build_cells(grid, &inputs).expect("cells");
    let train = table.dataset.subset(&table.dataset.labelled_rows());
    let model = RiskModel::fit(ModelKind::Gbt, &train, seed).expect("model");
    let risk = model.predict_proba(&table.dataset).expect("scores");
    let labels = table.dataset.labels();
    let cells: Vec<RiskCell> = table
        .grid
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| RiskCell {
            cell: c.to_string(),
            resolution: RESOLUTION,
            outline: Grid::outline(*c),
            risk: risk[i].clamp(0.0, 1.0),
            label: labels[i],
            items: table.items[i],
        })
        .collect();
    let hazard_risks = hazard_risks(&campaign.hazards, &covers, &table.grid, &risk);
    drop(released);
    Region {
        seed,
        campaign,
        layers,
        release,
        cells,
        hazard_risks,
    }
}
