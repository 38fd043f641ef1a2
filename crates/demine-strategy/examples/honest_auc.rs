//! Cross-validated ROC-AUC of the region demo's risk map (SYNTHETIC), with features built from
//! all labels (leaky) and rebuilt per fold without the held-out cells' labels (honest).
#[path = "../tests/common/region.rs"]
mod region;
use demine_risk::cells::{build_cells, cross_validate_cells, hazard_grid_each, newest_record_date, CellInputs};

fn main() {
    for seed in std::env::args().skip(1).filter_map(|s| s.parse::<u64>().ok()) {
        let c = demine_demo::generate(demine_demo::Scale::Region, seed);
        let layers = region::demo_context_layers(&c);
        let release = demine_core::release::account_records(&c.hazards, &c.activities, None, true);
        let released = region::released_pieces(&release);
        let inputs = CellInputs {
            hazards: &c.hazards,
            released: &released,
            finds: &c.finds,
            accidents: &c.accidents,
            layers: &layers,
            bandwidth_m: 1000.0,
            as_of: newest_record_date(&c.activities, &c.finds, &c.accidents),
        };
        let (grid, _) = hazard_grid_each(&c.hazards, 9, 0.0).unwrap();
        let table = build_cells(grid, &inputs).unwrap();
        let leaky = demine_risk::cross_validate(&table.dataset, demine_risk::ModelKind::Gbt, 5, seed).unwrap();
        let honest = cross_validate_cells(&table, &inputs, demine_risk::ModelKind::Gbt, 5, seed).unwrap();
        println!(
            "SYNTHETIC region seed {seed}: ROC-AUC leaky {:.3}, honest {:.3}; PR-AUC leaky {:.3}, honest {:.3}",
            leaky.auc_mean.unwrap_or(f64::NAN),
            honest.auc_mean.unwrap_or(f64::NAN),
            leaky.pr_auc_mean.unwrap_or(f64::NAN),
            honest.pr_auc_mean.unwrap_or(f64::NAN)
        );
    }
}
