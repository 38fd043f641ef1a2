use super::*;

#[test]
fn debug_pieces() {
    let params = Scale::Region.params();
    let world = world::World::build(&params, 42);
    let centres = hazards::centres(&world, &params, 42);
    let tree = RTree::bulk_load(
        centres
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(c.c, i))
            .collect(),
    );
    let drafts: Vec<hazards::Draft> = (0..300)
        .filter_map(|i| hazards::shape(i, &centres, &tree, &world, &params, 42))
        .collect();
    let teams = actors::teams(&world, &params, 42);
    let pool = actors::TeamPool::new(&teams, &world);
    let mut n = 0;
    let mut sel = 0;
    for (i, d) in drafts.iter().enumerate() {
        let w = activities::work(42, i, d, "X", &teams, &pool, world.frame, 1.0);
        if !w.activities.is_empty() {
            n += 1;
        }
        let mut rng = item_rng(42, Stream::Activity, i as u64);
        if rng.gen::<f64>() < 0.4 {
            sel += 1;
        }
    }
    println!("drafts {} selected {} worked {}", drafts.len(), sel, n);
}
