//! Areas of units with direct evidence (temporary).
#[path = "../tests/common/region.rs"]
mod region;
use demine_strategy::*;
fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let r = region::region(seed);
    let c = &r.campaign;
    let reg = r.registry();
    let units = hazard_units(&reg, &Methods::default()).unwrap();
    let (mut ev, mut nb, mut tot) = (0.0, 0.0, 0.0);
    for h in &units {
        for u in &h.units {
            let a = u.area_m2 * u.remaining_share;
            tot += a;
            if u.finds > 0 || u.evidence {
                ev += a;
                continue;
            }
            if h.units.iter().any(|v| {
                (v.finds > 0 || v.evidence) && v.cell != u.cell && u.cell.grid_distance(v.cell).is_ok_and(|d| d <= 1)
            }) {
                nb += a;
            }
        }
    }
    println!(
        "remaining {:.1} km2: with evidence {:.1}, next to evidence {:.1}",
        tot / 1e6,
        ev / 1e6,
        nb / 1e6
    );
    let mut cap = std::collections::BTreeMap::new();
    for t in &c.teams {
        *cap.entry(t.kind.as_str()).or_insert(0.0) += t.productivity_m2_per_day;
    }
    println!("capacity m2/day {cap:?}");
}
