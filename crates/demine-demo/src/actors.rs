//! Operators and their teams.

use crate::scale::Params;
use crate::util::{item_rng, norm, sub, Stream};
use crate::world::World;
use demine_core::{Organisation, Team, TeamKind};
use rand::Rng;

/// The operators of every synthetic campaign: who they are and how many teams of each kind
/// they field at region scale (manual, mechanical, mdd, nts, ts).
pub(crate) const OPERATORS: &[(&str, &str, &str, [usize; 5])] = &[
    (
        "ORG-ENG",
        "Synthetic Military Engineering Brigade",
        "military",
        [9, 4, 3, 0, 2],
    ),
    (
        "ORG-NGO-A",
        "Open Fields Humanitarian Demining (synthetic NGO)",
        "ngo",
        [7, 1, 2, 3, 3],
    ),
    (
        "ORG-NGO-B",
        "Safe Steps Foundation (synthetic NGO)",
        "ngo",
        [6, 2, 2, 3, 2],
    ),
    (
        "ORG-COM-A",
        "Northline Clearance Ltd (synthetic)",
        "commercial",
        [6, 3, 0, 0, 2],
    ),
    (
        "ORG-COM-B",
        "Steppe Survey & Clearance LLC (synthetic)",
        "commercial",
        [5, 2, 1, 1, 2],
    ),
    (
        "ORG-NMAA",
        "National Mine Action Authority (synthetic)",
        "authority",
        [0, 0, 0, 4, 0],
    ),
];

const KINDS: [TeamKind; 5] = [
    TeamKind::Manual,
    TeamKind::Mechanical,
    TeamKind::Mdd,
    TeamKind::Nts,
    TeamKind::Ts,
];

pub(crate) fn organisations() -> Vec<Organisation> {
    OPERATORS
        .iter()
        .map(|(id, name, kind, _)| Organisation {
            id: id.to_string(),
            name: name.to_string(),
            kind: Some(kind.to_string()),
        })
        .collect()
}

fn kind_code(kind: TeamKind) -> &'static str {
    match kind {
        TeamKind::Manual => "MAN",
        TeamKind::Mechanical => "MECH",
        TeamKind::Mdd => "MDD",
        TeamKind::Nts => "NTS",
        TeamKind::Ts => "TS",
    }
}

/// Area a team releases per working day, in m².
fn productivity<R: Rng>(rng: &mut R, kind: TeamKind) -> f64 {
    let v = match kind {
        // 8–12 deminers at 20–35 m² each.
        TeamKind::Manual => rng.gen_range(8.0..=12.0f64).round() * rng.gen_range(20.0..35.0),
        // One dog pair.
        TeamKind::Mdd => rng.gen_range(400.0..900.0),
        // Flail or tiller with a manual follow-up section.
        TeamKind::Mechanical => rng.gen_range(3_000.0..15_000.0),
        // Non-technical survey cancels land by the square kilometre.
        TeamKind::Nts => rng.gen_range(100_000.0..400_000.0),
        TeamKind::Ts => rng.gen_range(2_000.0..5_000.0),
    };
    (v / 10.0).round() * 10.0
}

/// The teams of every operator, based in settlements (closer to the line more often).
pub(crate) fn teams(world: &World, params: &Params, seed: u64) -> Vec<Team> {
    let mut rng = item_rng(seed, Stream::Teams, 0);
    // Bases: settlements weighted by size and closeness to the line.
    let weights: Vec<f64> = world
        .places
        .iter()
        .map(|p| {
            let d = world.line_index.nearest(p.km).signed_km.abs();
            (p.population as f64).sqrt() * (-d / (3.0 * params.belt_scale_km)).exp()
        })
        .collect();
    let cum = crate::util::cumulative(weights);
    let mut out = Vec::new();
    for (org, _, org_kind, counts) in OPERATORS {
        let short = org.trim_start_matches("ORG-");
        for (k, &kind) in KINDS.iter().enumerate() {
            let base = counts[k] as f64 * params.team_factor;
            // Every kind an operator fields keeps at least one team, even at small scale.
            let n = if counts[k] == 0 {
                0
            } else {
                (base.round() as usize).max(1)
            };
            for t in 1..=n {
                let place = crate::util::pick_cumulative(&mut rng, &cum);
                let (lon, lat) = match world.places.get(place) {
                    Some(p) => {
                        let ll = world.frame.lonlat(p.km);
                        (Some(ll[0]), Some(ll[1]))
                    }
                    None => (None, None),
                };
                out.push(Team {
                    id: format!("TM-{short}-{}-{t:02}", kind_code(kind)),
                    organisation: Some(org.to_string()),
                    kind,
                    productivity_m2_per_day: productivity(&mut rng, kind),
                    base_lon: lon,
                    base_lat: lat,
                    start_date: None,
                    end_date: None,
                    cost_per_day: Some(day_rate(org_kind, kind)),
                });
            }
        }
    }
    out
}

/// A team's cost per working day (SYNTHETIC, in US dollars): by kind (machines and dogs cost
/// more than a manual section, a survey team less), and by who fields it: a military unit's pay
/// is lower than an NGO's, a company's carries its margin. Drawn from no random stream, so the
/// rest of the demo is as it was before teams had costs.
fn day_rate(org_kind: &str, kind: TeamKind) -> f64 {
    let by_kind = match kind {
        TeamKind::Manual => 1400.0,
        TeamKind::Mechanical => 2600.0,
        TeamKind::Mdd => 1100.0,
        TeamKind::Nts => 550.0,
        TeamKind::Ts => 1400.0,
    };
    let by_operator = match org_kind {
        "military" => 0.7,
        "commercial" => 1.2,
        _ => 1.0,
    };
    by_kind * by_operator
}

/// Teams of one kind with their bases in km, for picking a team near a hazard.
pub(crate) struct TeamPool {
    by_kind: Vec<Vec<(usize, [f64; 2])>>,
}

impl TeamPool {
    pub(crate) fn new(teams: &[Team], world: &World) -> TeamPool {
        let mut by_kind = vec![Vec::new(); KINDS.len()];
        for (i, t) in teams.iter().enumerate() {
            let k = KINDS.iter().position(|&k| k == t.kind).unwrap_or(0);
            let km = match (t.base_lon, t.base_lat) {
                (Some(lon), Some(lat)) => world.frame.km(lon, lat),
                _ => [0.0, 0.0],
            };
            by_kind[k].push((i, km));
        }
        TeamPool { by_kind }
    }

    /// One of the few teams of `kind` based nearest to `p`, or `None` if there is none.
    pub(crate) fn pick<R: Rng>(&self, rng: &mut R, kind: TeamKind, p: [f64; 2]) -> Option<usize> {
        let k = KINDS.iter().position(|&k| k == kind)?;
        let pool = &self.by_kind[k];
        if pool.is_empty() {
            return None;
        }
        let mut near: Vec<(f64, usize)> = pool.iter().map(|&(i, b)| (norm(sub(b, p)), i)).collect();
        let take = 4.min(near.len());
        near.select_nth_unstable_by(take - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        near[..take].sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Some(near[rng.gen_range(0..take)].1)
    }
}
