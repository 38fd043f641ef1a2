//! Land release: totals over the union of hazards, per hazard, as of a day, and broken down by
//! organisation, month or class over a period.

use crate::actor::Act;
use crate::util::period;
use crate::{Actor, AppError, AppResult, Registry};
use chrono::NaiveDate;
use demine_core::release::{account_records, RegistryRelease};
use demine_core::{Activity, Hazard, HazardStatus, Outcome};
use demine_store::{Query, Repository};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// How to break figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Organisation,
    Month,
    Class,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Organisation => "organisation",
            By::Month => "month",
            By::Class => "class",
        }
    }
}

impl std::str::FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> Result<By, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "organisation" | "organization" | "org" => Ok(By::Organisation),
            "month" => Ok(By::Month),
            "class" => Ok(By::Class),
            other => Err(format!("--by '{other}': use organisation, month or class")),
        }
    }
}

/// What `release` (and `report`) figure.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReleaseRequest {
    /// The registry as it stood at the end of this day.
    pub as_of: Option<NaiveDate>,
    /// Released land counted from this day (by the releasing activity's end date).
    pub from: Option<NaiveDate>,
    /// … to this day (inclusive).
    pub to: Option<NaiveDate>,
    pub by: Option<By>,
    /// Only records the authority approved (without operators' submissions awaiting review).
    pub approved_only: bool,
}

/// One row of a breakdown. Areas in m²; `released_*` are what was released in the period (all
/// time without one), `remaining_m2` what remains at its end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub hazards: usize,
    pub area_m2: f64,
    pub cancelled_m2: f64,
    pub reduced_m2: f64,
    pub cleared_m2: f64,
    pub released_m2: f64,
    pub remaining_m2: f64,
    /// Months only: released up to the end of the month, all time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_released_m2: Option<f64>,
}

/// The accounting of the registry (or the actor's part of it), as of a day.
pub struct Release {
    pub hazards: Vec<Hazard>,
    pub activities: Vec<Activity>,
    pub release: RegistryRelease,
    pub as_of: Option<NaiveDate>,
    pub synthetic: bool,
    pub groups: Option<(By, Vec<Group>)>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Seconds spent reading the records from the store, and accounting them (benchmarks).
    pub read_s: f64,
    pub accounting_s: f64,
}

/// Land release of the registry (the actor's organisations) as of `r.as_of`, with a breakdown.
pub async fn release(reg: &Registry, actor: &Actor, r: &ReleaseRequest) -> AppResult<Release> {
    actor.require(Act::Aggregates)?;
    period(r.from, r.to)?;
    let q = Query {
        approved_only: r.approved_only,
        ..Query::as_of(r.as_of).in_organisations(actor.scope())
    };
    let t0 = std::time::Instant::now();
    let hazards = reg.store.hazards(&q).await?;
    let activities = reg.store.activities(&q).await?;
    let read_s = t0.elapsed().as_secs_f64();
    // Pieces are needed for months and periods (who released what, when).
    let need_pieces = r.by == Some(By::Month) || r.from.is_some() || r.to.is_some();
    let t1 = std::time::Instant::now();
    let release = account_records(&hazards, &activities, r.as_of, need_pieces);
    let accounting_s = t1.elapsed().as_secs_f64();
    let groups =
        r.by.map(|by| (by, breakdown(by, &hazards, &activities, &release, r.from, r.to)));
    Ok(Release {
        synthetic: reg.synthetic().await?,
        hazards,
        activities,
        release,
        as_of: r.as_of,
        groups,
        from: r.from,
        to: r.to,
        read_s,
        accounting_s,
    })
}

fn add_outcome(g: &mut Group, o: Outcome, m2: f64) {
    match o {
        Outcome::Cancelled => g.cancelled_m2 += m2,
        Outcome::Reduced => g.reduced_m2 += m2,
        Outcome::Cleared => g.cleared_m2 += m2,
    }
    g.released_m2 += m2;
}

/// Figures grouped by organisation, class or month. A hazard's figures count in its own group
/// (sums of hazards: where hazards of two groups overlap, the shared land counts in both).
pub fn breakdown(
    by: By,
    hazards: &[Hazard],
    activities: &[Activity],
    release: &RegistryRelease,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<Group> {
    let end_of: HashMap<&str, NaiveDate> = activities.iter().map(|a| (a.id.as_str(), a.end_date)).collect();
    let in_period = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);
    let periodic = from.is_some() || to.is_some();
    match by {
        By::Organisation | By::Class => {
            let mut groups: BTreeMap<String, Group> = BTreeMap::new();
            for (h, r) in hazards.iter().zip(&release.per_hazard) {
                let key = match by {
                    By::Organisation => h.organisation.clone().unwrap_or_else(|| "(none)".into()),
                    _ => h.class.as_str().to_string(),
                };
                let g = groups.entry(key.clone()).or_insert_with(|| Group {
                    key,
                    ..Group::default()
                });
                g.hazards += 1;
                g.area_m2 += r.area_m2;
                if periodic {
                    let mut released_by_end = 0.0;
                    for p in &r.pieces {
                        let Some(&d) = end_of.get(p.activity_id.as_str()) else {
                            continue;
                        };
                        if to.is_none_or(|t| d <= t) {
                            released_by_end += p.area_m2;
                        }
                        if in_period(d) {
                            add_outcome(g, p.outcome, p.area_m2);
                        }
                    }
                    g.remaining_m2 += (r.area_m2 - released_by_end).max(0.0);
                } else {
                    g.cancelled_m2 += r.cancelled_m2;
                    g.reduced_m2 += r.reduced_m2;
                    g.cleared_m2 += r.cleared_m2;
                    g.released_m2 += r.released_m2();
                    g.remaining_m2 += r.remaining_m2;
                }
            }
            groups.into_values().collect()
        }
        By::Month => {
            let mut months: BTreeMap<String, Group> = BTreeMap::new();
            let mut hazards_in: BTreeMap<String, std::collections::HashSet<usize>> = BTreeMap::new();
            for (i, r) in release.per_hazard.iter().enumerate() {
                for p in &r.pieces {
                    let Some(&d) = end_of.get(p.activity_id.as_str()) else {
                        continue;
                    };
                    let key = d.format("%Y-%m").to_string();
                    let g = months.entry(key.clone()).or_insert_with(|| Group {
                        key: key.clone(),
                        ..Group::default()
                    });
                    add_outcome(g, p.outcome, p.area_m2);
                    hazards_in.entry(key).or_default().insert(i);
                }
            }
            let total_area: f64 = release.per_hazard.iter().map(|r| r.area_m2).sum();
            let mut cumulative = 0.0;
            let mut out = Vec::new();
            for (key, mut g) in months {
                cumulative += g.released_m2;
                g.hazards = hazards_in.get(&key).map_or(0, |s| s.len());
                g.area_m2 = total_area;
                g.remaining_m2 = (total_area - cumulative).max(0.0);
                g.cumulative_released_m2 = Some(cumulative);
                let first = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok();
                let last = first.and_then(|f| {
                    let next = if f.format("%m").to_string() == "12" {
                        NaiveDate::from_ymd_opt(f.format("%Y").to_string().parse::<i32>().ok()? + 1, 1, 1)
                    } else {
                        f.checked_add_months(chrono::Months::new(1))
                    }?;
                    next.pred_opt()
                });
                let overlaps = match (first, last) {
                    (Some(a), Some(b)) => from.is_none_or(|f| b >= f) && to.is_none_or(|t| a <= t),
                    _ => true,
                };
                if overlaps {
                    out.push(g);
                }
            }
            out
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Counts of hazards by computed status.
pub fn status_counts(release: &RegistryRelease) -> [(HazardStatus, usize); 3] {
    let mut c = [
        (HazardStatus::Active, 0),
        (HazardStatus::PartiallyReleased, 0),
        (HazardStatus::Released, 0),
    ];
    for r in &release.per_hazard {
        for slot in c.iter_mut() {
            if slot.0 == r.status {
                slot.1 += 1;
            }
        }
    }
    c
}

/// The `demine release --json` object. Field names are a stable contract.
pub fn release_json(r: &Release) -> Value {
    let t = &r.release.totals;
    let by_status: serde_json::Map<String, Value> = status_counts(&r.release)
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    let per_hazard: Vec<Value> = r
        .hazards
        .iter()
        .zip(&r.release.per_hazard)
        .map(|(h, p)| {
            json!({
                "id": h.id,
                "class": h.class.as_str(),
                "organisation": h.organisation,
                "status": p.status.as_str(),
                "area_m2": round2(p.area_m2),
                "cancelled_m2": round2(p.cancelled_m2),
                "reduced_m2": round2(p.reduced_m2),
                "cleared_m2": round2(p.cleared_m2),
                "remaining_m2": round2(p.remaining_m2),
            })
        })
        .collect();
    let mut v = json!({
        "as_of": r.as_of.map(|d| d.to_string()),
        "hazards": r.hazards.len(),
        "hazard_area_m2": round2(t.area_m2),
        "cancelled_m2": round2(t.cancelled_m2),
        "reduced_m2": round2(t.reduced_m2),
        "cleared_m2": round2(t.cleared_m2),
        "released_m2": round2(t.released_m2()),
        "remaining_m2": round2(t.remaining_m2),
        "sum_of_hazard_areas_m2": round2(r.release.sum_of_hazard_areas_m2),
        "overlap_groups": r.release.overlap_groups.len(),
        "by_status": by_status,
        "area_method": "geodesic on the WGS84 ellipsoid; totals over the union of hazards; land released once, by the earliest activity (end_date, then id)",
        "per_hazard": per_hazard,
    });
    if let Some((by, groups)) = &r.groups {
        v["by"] = json!(by.as_str());
        v["from"] = json!(r.from.map(|d| d.to_string()));
        v["to"] = json!(r.to.map(|d| d.to_string()));
        v["groups"] = json!(groups
            .iter()
            .map(|g| {
                let mut o = json!({
                    "key": g.key, "hazards": g.hazards, "area_m2": round2(g.area_m2),
                    "cancelled_m2": round2(g.cancelled_m2), "reduced_m2": round2(g.reduced_m2),
                    "cleared_m2": round2(g.cleared_m2), "released_m2": round2(g.released_m2),
                    "remaining_m2": round2(g.remaining_m2),
                });
                if let Some(c) = g.cumulative_released_m2 {
                    o["cumulative_released_m2"] = json!(round2(c));
                }
                o
            })
            .collect::<Vec<_>>());
        v["groups_method"] = json!(match by {
            By::Month => "released land by the month its releasing activity ended; remaining = area of the hazards − cumulative released",
            _ => "sums of the group's hazards (land shared by overlapping hazards of two groups counts in both); with --from/--to, released in the period and remaining at its end",
        });
    }
    if r.synthetic {
        v["data"] = json!("SYNTHETIC");
    }
    v
}

/// The release JSON as `actor` may read it: published aggregates only for a viewer (no list of
/// hazards), everything for the others.
pub fn release_json_for(r: &Release, actor: &Actor) -> Value {
    let mut v = release_json(r);
    if !actor.may(Act::Read) {
        if let Some(o) = v.as_object_mut() {
            o.remove("per_hazard");
        }
    }
    v
}

/// A breakdown as CSV (`demine release --by … --csv`).
pub fn groups_csv(by: By, groups: &[Group]) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        by.as_str(),
        "hazards",
        "area_m2",
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "released_m2",
        "remaining_m2",
    ];
    if by == By::Month {
        header.push("cumulative_released_m2");
    }
    let err = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(&header).map_err(err)?;
    for g in groups {
        let mut row = vec![
            g.key.clone(),
            g.hazards.to_string(),
            format!("{:.2}", g.area_m2),
            format!("{:.2}", g.cancelled_m2),
            format!("{:.2}", g.reduced_m2),
            format!("{:.2}", g.cleared_m2),
            format!("{:.2}", g.released_m2),
            format!("{:.2}", g.remaining_m2),
        ];
        if let Some(c) = g.cumulative_released_m2 {
            row.push(format!("{c:.2}"));
        }
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
}
