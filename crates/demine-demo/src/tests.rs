use super::*;
use demine_core::geodesy::area_m2;
use demine_core::quality::check_registry;
use demine_core::release::{account_hazard, overlap_groups, Footprint};
use demine_core::validate::validate_polygons;
use demine_core::{ActivityType, FindCategory, HazardClass, HazardStatus, Outcome, TeamKind};
use geo::{Contains, Intersects, MultiPolygon};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The region campaign for seed 42, generated once for all tests that read it.
fn region() -> &'static Campaign {
    static C: OnceLock<Campaign> = OnceLock::new();
    C.get_or_init(|| generate(Scale::Region, 42))
}

fn total_km2(c: &Campaign) -> f64 {
    c.hazards.iter().map(|h| area_m2(&h.geometry)).sum::<f64>() / 1e6
}

/// Every problem `validate_polygons` reports (errors and warnings) for one geometry.
fn problems(g: &MultiPolygon<f64>) -> Vec<String> {
    match validate_polygons(&util::to_raw(g), false) {
        Ok(v) => v.warnings.into_iter().chain(v.repairs).collect(),
        Err(e) => e,
    }
}

fn assert_all_valid(c: &Campaign) {
    let mut bad = Vec::new();
    for h in &c.hazards {
        let p = problems(&h.geometry);
        if !p.is_empty() {
            bad.push(format!("{}: {p:?}", h.id));
        }
    }
    for a in &c.activities {
        let p = problems(&a.geometry);
        if !p.is_empty() {
            bad.push(format!("{}: {p:?}", a.id));
        }
    }
    assert!(
        bad.is_empty(),
        "{} invalid geometries, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn scale_parses_and_lists_allowed_values() {
    assert_eq!("Region".parse::<Scale>(), Ok(Scale::Region));
    assert_eq!(" national ".parse::<Scale>(), Ok(Scale::National));
    let err = "huge".parse::<Scale>().unwrap_err().to_string();
    assert!(
        err.contains("'huge'") && err.contains("small, region, national"),
        "{err}"
    );
    for s in Scale::ALL {
        assert_eq!(s.to_string().parse::<Scale>(), Ok(*s));
    }
    assert_eq!(Scale::default(), Scale::Region);
}

#[test]
fn same_seed_same_campaign_whatever_the_threads() {
    let a = generate(Scale::Small, 11);
    let b = generate(Scale::Small, 11);
    assert_eq!(a, b);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let c = pool.install(|| generate(Scale::Small, 11));
    assert_eq!(a, c);
    let d = generate(Scale::Small, 12);
    assert_ne!(a.hazards, d.hazards);
}

#[test]
fn region_is_deterministic_across_thread_counts() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let other = pool.install(|| generate(Scale::Region, 42));
    assert!(region() == &other, "region campaign differs with another thread count");
}

#[test]
fn small_scale_is_small_and_valid() {
    for seed in [1, 2, 3, 42] {
        let c = generate(Scale::Small, seed);
        assert!(
            (40..=80).contains(&c.hazards.len()),
            "seed {seed}: {} hazards",
            c.hazards.len()
        );
        assert_all_valid(&c);
        assert!(!c.activities.is_empty() && !c.finds.is_empty() && !c.accidents.is_empty());
        assert!(c.name.contains("SYNTHETIC") && c.name.contains("Small"), "{}", c.name);
    }
}

#[test]
fn every_region_geometry_is_valid() {
    assert_all_valid(region());
}

#[test]
fn region_totals_in_range_for_several_seeds() {
    for seed in [1u64, 7, 2024] {
        let c = generate(Scale::Region, seed);
        let km2 = total_km2(&c);
        assert!((1_000.0..=2_000.0).contains(&km2), "seed {seed}: {km2:.0} km²");
        assert!(
            (1_500..=4_000).contains(&c.hazards.len()),
            "seed {seed}: {} hazards",
            c.hazards.len()
        );
    }
    let c = region();
    let km2 = total_km2(c);
    assert!((1_000.0..=2_000.0).contains(&km2), "seed 42: {km2:.0} km²");
    assert!((1_500..=4_000).contains(&c.hazards.len()));
    assert!(
        (30..=60).contains(&c.settlements.len()),
        "{} settlements",
        c.settlements.len()
    );
    assert!(
        (20..=60).contains(&c.accidents.len()),
        "{} accidents",
        c.accidents.len()
    );
    assert!((1_000..=10_000).contains(&c.finds.len()), "{} finds", c.finds.len());
}

#[test]
fn hazards_look_like_a_registry() {
    let c = region();
    let n = c.hazards.len() as f64;
    let cha = c.hazards.iter().filter(|h| h.class == HazardClass::Cha).count() as f64;
    assert!((0.2..=0.4).contains(&(cha / n)), "CHA share {}", cha / n);
    // CHAs are smaller than SHAs on average.
    let mean = |class| {
        let v: Vec<f64> = c
            .hazards
            .iter()
            .filter(|h| h.class == class)
            .map(|h| area_m2(&h.geometry))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(HazardClass::Cha) < mean(HazardClass::Sha));
    assert!(c.hazards.iter().any(|h| h.geometry.0.len() > 1), "no multipolygon");
    assert!(
        c.hazards
            .iter()
            .any(|h| h.geometry.0.iter().any(|p| !p.interiors().is_empty())),
        "no hole"
    );
    let ids: HashSet<&str> = c.hazards.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), c.hazards.len());
    let orgs: HashSet<&str> = c.organisations.iter().map(|o| o.id.as_str()).collect();
    for h in &c.hazards {
        assert!(h.id.starts_with("HAZ-"));
        assert!(
            h.name.as_deref().is_some_and(|s| s.contains("synthetic")),
            "{:?}",
            h.name
        );
        assert!(orgs.contains(h.organisation.as_deref().unwrap_or("")));
        assert!(h.land_use.is_some() && h.contamination.is_some() && h.evidence.is_some());
        assert_eq!(h.attributes.get("synthetic"), Some(&serde_json::Value::Bool(true)));
        let a = area_m2(&h.geometry) / 1e6;
        assert!((0.004..=25.0).contains(&a), "{}: {a} km²", h.id);
    }
}

#[test]
fn only_deliberate_duplicates_overlap() {
    let c = region();
    let dups: Vec<&Hazard> = c
        .hazards
        .iter()
        .filter(|h| h.attributes.contains_key("synthetic_duplicate_of"))
        .collect();
    let share = dups.len() as f64 / c.hazards.len() as f64;
    assert!((0.015..=0.035).contains(&share), "duplicate share {share}");
    let by_id: HashMap<&str, &Hazard> = c.hazards.iter().map(|h| (h.id.as_str(), h)).collect();
    for d in &dups {
        let of = d.attributes["synthetic_duplicate_of"].as_str().unwrap();
        let orig = by_id[of];
        assert_ne!(
            d.organisation, orig.organisation,
            "{} and {of} reported by one operator",
            d.id
        );
        assert!(d.geometry.intersects(&orig.geometry), "{} does not overlap {of}", d.id);
    }
    let geoms: Vec<&MultiPolygon<f64>> = c.hazards.iter().map(|h| &h.geometry).collect();
    for group in overlap_groups(&geoms).into_iter().filter(|g| g.len() > 1) {
        assert!(
            group
                .iter()
                .any(|&i| c.hazards[i].attributes.contains_key("synthetic_duplicate_of")),
            "hazards overlap without a deliberate duplicate: {:?}",
            group.iter().map(|&i| &c.hazards[i].id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn teams_cover_every_kind_with_realistic_productivity() {
    let c = region();
    assert!((40..=120).contains(&c.teams.len()), "{} teams", c.teams.len());
    assert_eq!(c.organisations.len(), 6);
    for kind in TeamKind::ALL {
        assert!(c.teams.iter().any(|t| t.kind == *kind), "no {kind} team");
    }
    for t in &c.teams {
        let p = t.productivity_m2_per_day;
        let ok = match t.kind {
            TeamKind::Manual => (150.0..=450.0).contains(&p),
            TeamKind::Mdd => (400.0..=900.0).contains(&p),
            TeamKind::Mechanical => (3_000.0..=15_000.0).contains(&p),
            TeamKind::Nts => p >= 50_000.0,
            TeamKind::Ts => (2_000.0..=5_000.0).contains(&p),
        };
        assert!(ok, "{} ({}) at {p} m²/day", t.id, t.kind);
        assert!(t.base_lon.is_some() && t.base_lat.is_some());
    }
}

#[test]
fn activities_are_consistent() {
    let c = region();
    let teams: HashMap<&str, &Team> = c.teams.iter().map(|t| (t.id.as_str(), t)).collect();
    let hazards: HashSet<&str> = c.hazards.iter().map(|h| h.id.as_str()).collect();
    let (start, end) = (util::PERIOD_START, util::PERIOD_END);
    for a in &c.activities {
        assert!(a.id.starts_with("ACT-"));
        assert!(
            hazards.contains(a.hazard_id.as_str()),
            "{} on unknown {}",
            a.id,
            a.hazard_id
        );
        assert!(
            a.activity_type.allowed_outcomes().contains(&a.outcome),
            "{}: {} {}",
            a.id,
            a.activity_type,
            a.outcome
        );
        assert!(a.start_date <= a.end_date, "{}", a.id);
        assert!(
            a.start_date >= start && a.end_date <= end,
            "{}: {}..{}",
            a.id,
            a.start_date,
            a.end_date
        );
        let team = teams[a.team.as_deref().unwrap()];
        assert_eq!(a.organisation, team.organisation);
        let kind_ok = match a.activity_type {
            ActivityType::Nts => team.kind == TeamKind::Nts,
            ActivityType::Ts => matches!(team.kind, TeamKind::Ts | TeamKind::Mechanical),
            ActivityType::Clearance => matches!(team.kind, TeamKind::Manual | TeamKind::Mdd | TeamKind::Mechanical),
            ActivityType::Bac | ActivityType::Eod => team.kind == TeamKind::Manual,
        };
        assert!(kind_ok, "{}: {} by a {} team", a.id, a.activity_type, team.kind);
        match a.activity_type {
            ActivityType::Nts => assert_eq!(a.depth_cm, None),
            ActivityType::Clearance => assert!((13.0..=30.0).contains(&a.depth_cm.unwrap())),
            ActivityType::Bac => assert!((0.0..=10.0).contains(&a.depth_cm.unwrap())),
            _ => {}
        }
        assert!(a.method.is_some());
        assert_eq!(a.attributes.get("synthetic"), Some(&serde_json::Value::Bool(true)));
    }
    // Identifiers follow the start dates.
    assert!(c.activities.windows(2).all(|w| w[0].start_date <= w[1].start_date));
    // About 40 % of hazards were worked on; every type appears.
    let worked: HashSet<&str> = c.activities.iter().map(|a| a.hazard_id.as_str()).collect();
    let share = worked.len() as f64 / c.hazards.len() as f64;
    assert!((0.3..=0.5).contains(&share), "worked share {share}");
    for t in ActivityType::ALL {
        assert!(c.activities.iter().any(|a| a.activity_type == *t), "no {t} activity");
    }
}

#[test]
fn release_accounting_matches_reported_status() {
    let c = region();
    let mut acts: HashMap<&str, Vec<&Activity>> = HashMap::new();
    for a in &c.activities {
        acts.entry(a.hazard_id.as_str()).or_default().push(a);
    }
    let (mut released, mut agree, mut partial) = (0, 0, 0);
    for h in &c.hazards {
        let Some(list) = acts.get(h.id.as_str()) else {
            assert_eq!(h.reported_status.as_deref(), Some("active"));
            continue;
        };
        let fps = list
            .iter()
            .map(|a| Footprint {
                id: &a.id,
                end_date: a.end_date,
                outcome: a.outcome,
                geometry: &a.geometry,
            })
            .collect();
        let r = account_hazard(&h.geometry, fps, false);
        match h.reported_status.as_deref() {
            Some("released") => {
                released += 1;
                // Strips tile the hazard. Clipping in lon/lat inserts vertices into straight
                // edges, which moves geodesic areas by ~1e-5 relative: allow for that noise.
                if r.status == HazardStatus::Released || r.remaining_m2 <= 1e-4 * r.area_m2 {
                    agree += 1;
                } else {
                    eprintln!("{}: remaining {:.2} of {:.0} m²", h.id, r.remaining_m2, r.area_m2);
                }
            }
            Some("partially_released") => {
                partial += 1;
                assert!(
                    r.released_m2() > 0.0,
                    "{} reported partially released, nothing released",
                    h.id
                );
            }
            other => panic!("{}: unexpected status {other:?}", h.id),
        }
    }
    assert!(released > 50 && partial > 100, "released {released}, partial {partial}");
    assert!(
        agree as f64 >= 0.95 * released as f64,
        "{agree} of {released} released hazards add up"
    );
}

#[test]
fn finds_and_accidents_are_consistent() {
    let c = region();
    let acts: HashMap<&str, &Activity> = c.activities.iter().map(|a| (a.id.as_str(), a)).collect();
    let ids: HashSet<&str> = c.finds.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), c.finds.len());
    let mut by_cat: HashMap<FindCategory, usize> = HashMap::new();
    for f in &c.finds {
        assert!(f.id.starts_with("FND-"));
        *by_cat.entry(f.category).or_default() += 1;
        if let Some(aid) = &f.activity_id {
            let a = acts[aid.as_str()];
            assert!(
                a.start_date <= f.date && f.date <= a.end_date,
                "{} dated outside {}",
                f.id,
                a.id
            );
            assert_eq!(f.hazard_id.as_deref(), Some(a.hazard_id.as_str()));
            assert!(a.outcome != Outcome::Cancelled, "{} found during NTS {}", f.id, a.id);
        }
        assert!(f.date >= util::PERIOD_START && f.date <= util::PERIOD_END);
        assert_eq!(f.attributes.get("synthetic"), Some(&serde_json::Value::Bool(true)));
    }
    let mut counts: Vec<(usize, FindCategory)> = by_cat.iter().map(|(k, v)| (*v, *k)).collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    // Most finds in a registry near a front are UXO (call-outs) and AP mines.
    let top2: HashSet<FindCategory> = counts.iter().take(2).map(|x| x.1).collect();
    let expected: HashSet<FindCategory> = [FindCategory::ApMine, FindCategory::Uxo].into();
    assert_eq!(top2, expected, "{counts:?}");
    for a in &c.accidents {
        assert!(a.id.starts_with("ACC-"));
        assert!(a.killed + a.injured >= 1);
        assert!(a.killed <= 5 && a.injured <= 5);
        assert_eq!(a.attributes.get("synthetic"), Some(&serde_json::Value::Bool(true)));
    }
    assert!(c.accidents.iter().any(|a| a.hazard_id.is_some()));
    assert!(c.accidents.iter().any(|a| a.hazard_id.is_none()));
}

#[test]
fn quality_report_shows_only_the_planted_problems() {
    let c = region();
    let issues = check_registry(&c.hazards, &c.activities, &c.finds);
    let mut by_check: HashMap<&str, usize> = HashMap::new();
    for i in &issues {
        *by_check.entry(i.check).or_default() += 1;
    }
    for bad in ["invalid_polygon", "spike", "long_edge", "outcome_type_mismatch"] {
        assert_eq!(
            by_check.get(bad),
            None,
            "{bad}: {:?}",
            issues.iter().find(|i| i.check == bad)
        );
    }
    let outside = by_check.get("activity_outside_hazard").copied().unwrap_or(0) as f64;
    let share = outside / c.activities.len() as f64;
    assert!(
        share > 0.005 && share < 0.06,
        "activities outside their hazard: {share}"
    );
    let finds_out = by_check.get("find_outside_hazards").copied().unwrap_or(0) as f64;
    let share = finds_out / c.finds.len() as f64;
    assert!(share > 0.003 && share < 0.03, "finds outside hazards: {share}");
    assert!(by_check.get("hazard_overlap").copied().unwrap_or(0) > 0);
}

#[test]
fn progress_is_monotone_and_complete() {
    let seen = Mutex::new(Vec::new());
    let c = generate_with_progress(Scale::Small, 5, &|done, total| {
        seen.lock().unwrap().push((done, total));
    });
    assert_eq!(c, generate(Scale::Small, 5));
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() > 3);
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(seen.iter().all(|&(d, t)| t == PROGRESS_TOTAL && d <= t));
    assert_eq!(seen.last(), Some(&(PROGRESS_TOTAL, PROGRESS_TOTAL)));
}

#[test]
#[ignore = "minutes; scripts/test.sh (and so CI) runs it with --ignored"]
fn national_scale_counts_and_area() {
    let t = std::time::Instant::now();
    let c = generate(Scale::National, 42);
    let secs = t.elapsed().as_secs_f64();
    let km2 = total_km2(&c);
    println!(
        "national: {:.1} s, {} hazards, {km2:.0} km², {} activities, {} finds, {} accidents, {} teams",
        secs,
        c.hazards.len(),
        c.activities.len(),
        c.finds.len(),
        c.accidents.len(),
        c.teams.len()
    );
    assert!(
        (85_000..=115_000).contains(&c.hazards.len()),
        "{} hazards",
        c.hazards.len()
    );
    assert!((150_000.0..=190_000.0).contains(&km2), "{km2:.0} km²");
    let worked: HashSet<&str> = c.activities.iter().map(|a| a.hazard_id.as_str()).collect();
    let share = worked.len() as f64 / c.hazards.len() as f64;
    assert!((0.3..=0.5).contains(&share), "worked share {share}");
    assert!(
        (500_000..=2_000_000).contains(&c.finds.len()),
        "{} finds",
        c.finds.len()
    );
    assert!((1_000..=5_000).contains(&c.accidents.len()));
    for h in c.hazards.iter().step_by(97) {
        assert!(problems(&h.geometry).is_empty(), "{}", h.id);
        assert!(h.geometry.0.iter().all(|p| p.exterior().0.len() <= 25));
    }
    for a in c.activities.iter().step_by(97) {
        assert!(problems(&a.geometry).is_empty(), "{}", a.id);
    }
}

#[test]
fn ground_truth_is_where_the_finds_are() {
    let c = region();
    let hazards: HashMap<&str, &demine_core::Hazard> = c.hazards.iter().map(|h| (h.id.as_str(), h)).collect();
    // Every item lies in the hazard it is attributed to; unattributed ones lie in no hazard.
    for t in &c.ground_truth {
        match &t.hazard_id {
            Some(id) => assert!(hazards[id.as_str()].geometry.contains(&t.location), "{t:?}"),
            None => assert!(!c.hazards.iter().any(|h| h.geometry.contains(&t.location)), "{t:?}"),
        }
    }
    // Every find is a true item marked found, and every found item was reported once.
    let key = |p: &geo::Point<f64>| (p.x().to_bits(), p.y().to_bits());
    let found: HashSet<(u64, u64)> = c
        .ground_truth
        .iter()
        .filter(|t| t.found)
        .map(|t| key(&t.location))
        .collect();
    assert_eq!(found.len(), c.ground_truth.iter().filter(|t| t.found).count());
    for f in &c.finds {
        assert!(found.contains(&key(&f.location)), "{} is not a true item", f.id);
    }
    assert_eq!(found.len(), c.finds.len());
    // Most suspected land holds nothing: many hazards have no item at all, and far fewer
    // SHAs than CHAs are contaminated.
    let contaminated: HashSet<&str> = c.ground_truth.iter().filter_map(|t| t.hazard_id.as_deref()).collect();
    let share = |class: HazardClass| {
        let of: Vec<&demine_core::Hazard> = c.hazards.iter().filter(|h| h.class == class).collect();
        of.iter().filter(|h| contaminated.contains(h.id.as_str())).count() as f64 / of.len() as f64
    };
    let (sha, cha) = (share(HazardClass::Sha), share(HazardClass::Cha));
    assert!(
        sha < 0.6 && cha > 0.9 && cha > 1.5 * sha,
        "contaminated SHA {sha:.2}, CHA {cha:.2}"
    );
    // Some contamination lies outside every recorded hazard, and some of it was reported.
    assert!(c.ground_truth.iter().any(|t| t.hazard_id.is_none() && t.found));
    assert!(c.ground_truth.iter().any(|t| t.hazard_id.is_none() && !t.found));
}
