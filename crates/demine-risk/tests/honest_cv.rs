//! Cross-validation builds each fold's features without the held-out cells' labels: flipping the
//! label of every held-out cell (removing its finds, or putting a find in it) leaves every
//! held-out cell's features unchanged. SYNTHETIC demo data.

use demine_core::release::account_records;
use demine_core::{Find, FindCategory, Outcome};
use demine_risk::cells::{build_cells, features_without, hazard_grid, CellInputs};
use geo::MultiPolygon;

#[test]
fn held_out_features_ignore_held_out_labels() {
    let c = demine_demo::generate(demine_demo::Scale::Small, 5);
    let release = account_records(&c.hazards, &c.activities, None, true);
    let released: Vec<(Outcome, MultiPolygon<f64>)> = release
        .per_hazard
        .iter()
        .flat_map(|r| r.pieces.iter().map(|p| (p.outcome, p.geometry.clone())))
        .collect();
    let inputs = CellInputs {
        hazards: &c.hazards,
        released: &released,
        finds: &c.finds,
        accidents: &c.accidents,
        layers: &[],
        bandwidth_m: 1000.0,
        as_of: None,
    };
    let table = build_cells(hazard_grid(&c.hazards, 10, 0.0).unwrap(), &inputs).unwrap();
    let folds = demine_risk::assign_folds(&table.dataset, 5, 1).unwrap();
    let held: Vec<bool> = folds.fold_of_row.iter().map(|f| *f == Some(0)).collect();
    let labels = table.dataset.labels();
    assert!(held.iter().zip(labels).any(|(h, l)| *h && *l == Some(true)));
    assert!(held.iter().zip(labels).any(|(h, l)| *h && *l == Some(false)));

    // Flip every held-out label: drop the finds and accidents in held-out positive cells, put a
    // find at the centre of every held-out negative cell.
    let grid = &table.grid;
    let in_held = |p: &geo::Point<f64>| grid.cell_of(*p).and_then(|c| grid.position(c)).is_some_and(|i| held[i]);
    let mut finds: Vec<Find> = c.finds.iter().filter(|f| !in_held(&f.location)).cloned().collect();
    for (i, l) in labels.iter().enumerate() {
        if held[i] && *l == Some(false) {
            let mut f = c.finds[0].clone();
            f.id = format!("FLIP-{i}");
            f.location = grid.centres()[i];
            f.category = FindCategory::Uxo;
            finds.push(f);
        }
    }
    let accidents: Vec<demine_core::Accident> = c.accidents.iter().filter(|a| !in_held(&a.location)).cloned().collect();
    let flipped = CellInputs {
        finds: &finds,
        accidents: &accidents,
        ..inputs
    };
    let flipped_table = build_cells(grid.clone(), &flipped).unwrap();
    for (i, l) in flipped_table.dataset.labels().iter().enumerate() {
        // A positive cell whose land was not searched becomes unlabelled rather than negative.
        match (held[i], labels[i]) {
            (true, Some(true)) => assert_ne!(*l, Some(true), "cell {i} was not flipped"),
            (true, Some(false)) => assert_eq!(*l, Some(true), "cell {i} was not flipped"),
            _ => {}
        }
    }

    let honest = features_without(&table, &inputs, &held).unwrap();
    let honest_flipped = features_without(&flipped_table, &flipped, &held).unwrap();
    let leaky_changed = (0..table.dataset.n_features())
        .any(|j| (0..held.len()).any(|i| held[i] && table.dataset.column(j)[i] != flipped_table.dataset.column(j)[i]));
    assert!(
        leaky_changed,
        "the features built from all labels must change (else the test proves nothing)"
    );
    for j in 0..honest.n_features() {
        for i in (0..held.len()).filter(|&i| held[i]) {
            assert_eq!(
                honest.column(j)[i],
                honest_flipped.column(j)[i],
                "feature {} of held-out cell {i} depends on held-out labels",
                honest.feature_names()[j]
            );
        }
    }
}
