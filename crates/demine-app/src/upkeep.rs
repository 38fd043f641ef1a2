//! Registry upkeep: amend a record (fields or geometry) and retire one, each validated exactly
//! as an import, with a reason, land release recomputed in the same write, and the change log
//! keeping before and after.

use crate::actor::Act;
use crate::show::visible;
use crate::{Actor, AppError, AppResult, Refusal, Registry};
use demine_core::{AnyRecord, Record, RecordKind};
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::{parse_raw, Known};
use demine_store::{Changeset, Computed, Query, Replacement, Repository, Retirement};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A correction of one record.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Amendment {
    /// `FIELD=VALUE` pairs; an empty value clears an optional field. `attributes.NAME=VALUE`
    /// sets a free attribute.
    pub set: Vec<(String, String)>,
    /// A file (GeoJSON or CSV) holding the corrected geometry, in its one feature.
    pub geometry_file: Option<PathBuf>,
    /// The corrected geometry itself (GeoJSON geometry object), e.g. from the API.
    pub geometry: Option<Value>,
    /// Why: kept in the change log. Required.
    pub reason: String,
    /// The version the correction is based on; refused if the registry holds another.
    pub based_on: Option<u64>,
}

/// What a correction did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Corrected {
    pub kind: String,
    pub id: String,
    /// The version replaced or retired.
    pub from_version: u64,
    /// The new version (amend), or none (retire).
    pub version: Option<u64>,
    pub reason: String,
    /// Other records retired or unlinked with it (`--cascade`).
    pub cascaded: Vec<String>,
    /// Land release of the hazards touched, recomputed in the same write.
    pub recomputed: Vec<(String, Computed)>,
}

/// The fields of the import contract per kind (what `--set` may name).
pub(crate) fn contract_fields(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Hazards => &[
            "class",
            "name",
            "status",
            "organisation",
            "land_use",
            "contamination",
            "evidence",
            "blockages",
            "recorded_date",
        ],
        RecordKind::Activities => &[
            "hazard_id",
            "type",
            "outcome",
            "start_date",
            "end_date",
            "organisation",
            "team",
            "method",
            "depth_cm",
        ],
        RecordKind::Finds => &[
            "date",
            "category",
            "hazard_id",
            "activity_id",
            "depth_cm",
            "condition",
            "disposition",
        ],
        RecordKind::Accidents => &["date", "killed", "injured", "hazard_id"],
        RecordKind::Organisations => &["name", "kind"],
        RecordKind::Teams => &demine_io::records::TEAM_FIELDS[1..],
        RecordKind::Progress | RecordKind::Qa => &[],
    }
}

fn require_reason(reason: &str) -> AppResult<()> {
    if reason.trim().is_empty() {
        return Err(AppError::refused(
            "--reason is required: say why the record is corrected (it is kept in the change log)",
        ));
    }
    Ok(())
}

fn write_act(kind: RecordKind) -> Act {
    match kind {
        RecordKind::Progress => Act::Progress,
        RecordKind::Qa => Act::Qa,
        _ => Act::Write,
    }
}

/// The record's properties as an import file would carry them, and its geometry.
fn as_raw(r: &AnyRecord) -> (serde_json::Map<String, Value>, RawGeometry) {
    match r {
        AnyRecord::Hazard(x) => (x.properties(), RawGeometry::from_geo(&x.geometry())),
        AnyRecord::Activity(x) => (x.properties(), RawGeometry::from_geo(&x.geometry())),
        AnyRecord::Find(x) => (x.properties(), RawGeometry::from_geo(&x.geometry())),
        AnyRecord::Accident(x) => (x.properties(), RawGeometry::from_geo(&x.geometry())),
        AnyRecord::Organisation(x) => (
            serde_json::to_value(x)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
            RawGeometry::Missing,
        ),
        AnyRecord::Team(x) => {
            let mut m = serde_json::to_value(x)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            m.retain(|_, v| !v.is_null());
            (m, RawGeometry::Missing)
        }
        AnyRecord::Progress(_) | AnyRecord::Qa(_) => (serde_json::Map::new(), RawGeometry::Missing),
    }
}

/// The geometry of a one-feature file.
fn geometry_from_file(path: &Path) -> AppResult<RawGeometry> {
    if !path.exists() {
        return Err(AppError::refused(format!("{}: no such file", path.display())));
    }
    let (raw, problems) = demine_io::raw::read_raw(path).map_err(|e| AppError::refused(e.to_string()))?;
    if let Some(p) = problems.first() {
        return Err(AppError::refused(format!("{}: {p}", path.display())));
    }
    match raw.as_slice() {
        [one] => Ok(one.geometry.clone()),
        other => Err(AppError::refused(format!(
            "{}: holds {} features; give the corrected geometry as exactly one feature",
            path.display(),
            other.len()
        ))),
    }
}

/// Amends one record: fields (`--set`) and/or geometry, validated exactly as an import of the
/// corrected record; land release recomputed in the same write.
pub async fn amend(reg: &Registry, actor: &Actor, kind: RecordKind, id: &str, a: &Amendment) -> AppResult<Corrected> {
    actor.require(write_act(kind))?;
    require_reason(&a.reason)?;
    if matches!(kind, RecordKind::Progress | RecordKind::Qa) {
        return Err(AppError::refused(format!(
            "{} records are corrected by retiring the wrong one (`demine retire {} ID --reason …`) and recording it again",
            kind.as_str(),
            kind.as_str()
        )));
    }
    if a.set.is_empty() && a.geometry_file.is_none() && a.geometry.is_none() {
        return Err(AppError::refused(
            "nothing to amend: give --set FIELD=VALUE (repeatable) and/or --geometry FILE",
        ));
    }
    let stored = visible(reg, actor, kind, id).await?;
    let label = format!("amend {kind} {id}");
    let (mut props, mut geometry) = as_raw(&stored.record);
    let allowed = contract_fields(kind);
    let mut problems = Vec::new();
    for (field, value) in &a.set {
        let f = field.trim();
        if f.eq_ignore_ascii_case("id") {
            problems.push(format!(
                "{label}: field `id`: an id cannot be amended; retire the record and import it under the new id"
            ));
            continue;
        }
        let key = if let Some(attr) = f.strip_prefix("attributes.") {
            attr.to_string()
        } else if allowed.iter().any(|k| k.eq_ignore_ascii_case(f)) {
            f.to_ascii_lowercase()
        } else {
            problems.push(format!(
                "{label}: field `{f}`: not a field of {kind}; use one of {} (or attributes.NAME for a free attribute)",
                allowed.join(", ")
            ));
            continue;
        };
        if value.trim().is_empty() {
            props.remove(&key);
        } else {
            props.insert(key, Value::String(value.trim().to_string()));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Refused(Box::new(Refusal {
            problems,
            hint: Some(format!("nothing was written: the registry {} is unchanged", reg.name())),
            ..Refusal::default()
        })));
    }
    let source = match (&a.geometry_file, &a.geometry) {
        (Some(f), _) => {
            geometry = geometry_from_file(f)?;
            f.display().to_string()
        }
        (None, Some(g)) => {
            geometry = demine_io::raw::geometry_from_geojson(g)
                .map_err(|e| AppError::refused(format!("{label}: field `geometry`: {e}")))?;
            label.clone()
        }
        (None, None) => label.clone(),
    };
    let raw = RawRecord {
        index: 1,
        line: None,
        properties: props,
        geometry,
    };
    let hazard_ids = reg.store.ids(RecordKind::Hazards).await?;
    let activity_ids = reg.store.ids(RecordKind::Activities).await?;
    let organisation_ids = reg.store.ids(RecordKind::Organisations).await?;
    let none = HashSet::new();
    let known = Known {
        existing_ids: &none,
        hazard_ids: &hazard_ids,
        activity_ids: &activity_ids,
        organisation_ids: &organisation_ids,
    };
    let parsed = parse_raw(kind, Path::new(&source), &[raw], Vec::new(), &known, false)?;
    let problems = parsed.problems();
    if !problems.is_empty() {
        return Err(AppError::Refused(Box::new(Refusal {
            problems: problems
                .iter()
                .map(|p| format!("{source}: {}", p.to_string().replacen("record 1, ", "", 1)))
                .collect(),
            hint: Some(format!(
                "the amendment is checked as an import of the corrected record would be; nothing was written: the registry {} is unchanged",
                reg.name()
            )),
            ..Refusal::default()
        })));
    }
    let mut record = parsed
        .into_records()
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("an amendment without problems gave no record")))?;
    // A hazard keeps its recorded date unless the amendment sets one.
    if let (AnyRecord::Hazard(new), AnyRecord::Hazard(old)) = (&mut record, &stored.record) {
        if new.recorded_date.is_none() {
            new.recorded_date = old.recorded_date;
        }
    }
    // The amended record must stay within the actor's organisations (an activity moved to
    // another organisation's hazard would leave the actor's reach).
    if let Some(h) = record.hazard_id().filter(|_| kind != RecordKind::Hazards) {
        visible(reg, actor, RecordKind::Hazards, h).await?;
    }
    if let AnyRecord::Hazard(h) = &record {
        if !actor.reaches(h.organisation.as_deref()) {
            return Err(AppError::refused(format!(
                "{label}: field `organisation`: you may only keep records in your own organisation"
            )));
        }
    }
    let based_on = a.based_on.unwrap_or(stored.version);
    let changes = Changeset {
        replacements: vec![Replacement {
            record,
            based_on: Some(based_on),
        }],
        reason: Some(a.reason.trim().to_string()),
        review_state: crate::shared::review_state_for(actor),
        ..Changeset::new(label)
    };
    let applied = reg.apply(&changes, actor).await?;
    Ok(Corrected {
        kind: kind.as_str().to_string(),
        id: id.to_string(),
        from_version: based_on,
        version: applied.versions.iter().find(|v| v.1 == id).map(|v| v.2),
        reason: a.reason.trim().to_string(),
        cascaded: Vec::new(),
        recomputed: applied.recomputed,
    })
}

/// Retiring a record.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RetireRequest {
    pub reason: String,
    /// Also retire what depends on it (a hazard's activities, progress and QA; an activity's
    /// progress reports); finds and accidents are kept and unlinked.
    pub cascade: bool,
    pub based_on: Option<u64>,
}

/// Retires one record (kept in its history, out of the registry from now on).
pub async fn retire(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    id: &str,
    r: &RetireRequest,
) -> AppResult<Corrected> {
    actor.require(write_act(kind))?;
    require_reason(&r.reason)?;
    let stored = visible(reg, actor, kind, id).await?;
    let mut changes = Changeset::new(format!("retire {kind} {id}"));
    changes.reason = Some(r.reason.trim().to_string());
    let mut cascaded = Vec::new();
    let of = |_kind: RecordKind, hazard: Option<&str>| Query {
        hazard_ids: hazard.map(|h| vec![h.to_string()]),
        ..Query::default()
    };
    match &stored.record {
        AnyRecord::Hazard(h) => {
            let activities = reg.store.activities(&of(RecordKind::Activities, Some(&h.id))).await?;
            let progress = reg.store.daily_progress(&of(RecordKind::Progress, Some(&h.id))).await?;
            let qa = reg.store.qa_inspections(&of(RecordKind::Qa, Some(&h.id))).await?;
            let finds = reg.store.finds(&of(RecordKind::Finds, Some(&h.id))).await?;
            let accidents = reg.store.accidents(&of(RecordKind::Accidents, Some(&h.id))).await?;
            let dependents = activities.len() + progress.len() + qa.len() + finds.len() + accidents.len();
            if dependents > 0 && !r.cascade {
                return Err(AppError::refused(format!(
                    "hazard '{id}' has {} activities, {} daily progress reports, {} QA inspections, {} finds and {} accidents; retire them first, or pass --cascade to retire its activities, progress and QA with it (finds and accidents are kept and unlinked from it)",
                    activities.len(),
                    progress.len(),
                    qa.len(),
                    finds.len(),
                    accidents.len()
                )));
            }
            for p in &progress {
                changes.retirements.push(Retirement {
                    kind: RecordKind::Progress,
                    id: p.id.clone(),
                    based_on: None,
                });
                cascaded.push(format!("progress {}", p.id));
            }
            for q in &qa {
                changes.retirements.push(Retirement {
                    kind: RecordKind::Qa,
                    id: q.id.clone(),
                    based_on: None,
                });
                cascaded.push(format!("qa {}", q.id));
            }
            for a in &activities {
                changes.retirements.push(Retirement {
                    kind: RecordKind::Activities,
                    id: a.id.clone(),
                    based_on: None,
                });
                cascaded.push(format!("activities {}", a.id));
            }
            for mut f in finds {
                f.hazard_id = None;
                f.activity_id = None;
                cascaded.push(format!("finds {} (unlinked)", f.id));
                changes.replacements.push(Replacement {
                    record: AnyRecord::Find(f),
                    based_on: None,
                });
            }
            for mut a in accidents {
                a.hazard_id = None;
                cascaded.push(format!("accidents {} (unlinked)", a.id));
                changes.replacements.push(Replacement {
                    record: AnyRecord::Accident(a),
                    based_on: None,
                });
            }
        }
        AnyRecord::Activity(a) => {
            let progress: Vec<_> = reg
                .store
                .daily_progress(&of(RecordKind::Progress, Some(&a.hazard_id)))
                .await?
                .into_iter()
                .filter(|p| p.activity_id.as_deref() == Some(&a.id))
                .collect();
            if !progress.is_empty() && !r.cascade {
                return Err(AppError::refused(format!(
                    "activity '{id}' was recorded by daily progress report(s) {}; retire the report (`demine retire progress ID`), or pass --cascade",
                    progress.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            for p in progress {
                changes.retirements.push(Retirement {
                    kind: RecordKind::Progress,
                    id: p.id.clone(),
                    based_on: None,
                });
                cascaded.push(format!("progress {}", p.id));
            }
            for mut f in reg.store.finds(&of(RecordKind::Finds, Some(&a.hazard_id))).await? {
                if f.activity_id.as_deref() == Some(&a.id) {
                    f.activity_id = None;
                    cascaded.push(format!("finds {} (unlinked)", f.id));
                    changes.replacements.push(Replacement {
                        record: AnyRecord::Find(f),
                        based_on: None,
                    });
                }
            }
        }
        // A daily progress report is one piece of work recorded twice (report and activity):
        // both go.
        AnyRecord::Progress(p) => {
            if let Some(act) = &p.activity_id {
                if reg.store.record(RecordKind::Activities, act).await?.is_some() {
                    changes.retirements.push(Retirement {
                        kind: RecordKind::Activities,
                        id: act.clone(),
                        based_on: None,
                    });
                    cascaded.push(format!("activities {act}"));
                }
            }
        }
        AnyRecord::Organisation(o) => {
            let teams: Vec<_> = reg
                .store
                .teams(&Query::all())
                .await?
                .into_iter()
                .filter(|t| t.organisation.as_deref() == Some(&o.id))
                .collect();
            if !teams.is_empty() {
                return Err(AppError::refused(format!(
                    "organisation '{id}' still has {} team(s) ({}); retire or amend them first",
                    teams.len(),
                    teams
                        .iter()
                        .take(5)
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        _ => {}
    }
    changes.retirements.push(Retirement {
        kind,
        id: id.to_string(),
        based_on: Some(r.based_on.unwrap_or(stored.version)),
    });
    let applied = reg.apply(&changes, actor).await?;
    Ok(Corrected {
        kind: kind.as_str().to_string(),
        id: id.to_string(),
        from_version: stored.version,
        version: None,
        reason: r.reason.trim().to_string(),
        cascaded,
        recomputed: applied.recomputed,
    })
}
