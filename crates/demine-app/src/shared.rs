//! The shared registry: listing records page by page within the actor's organisations, review
//! and approval of operators' submissions, idempotent field submissions, edit conflicts.

use crate::actor::Act;
use crate::field::{progress_add_changes, ProgressAddRequest};
use crate::show::record_feature;
use crate::{Actor, AppError, AppResult, Registry, Role};
use demine_core::{AnyRecord, RecordKind};
use demine_store::{Accounts, Bbox, Changeset, Conflict, Query, Repository, Review, Submission};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The review state of what `actor` writes: an operator's records are submitted for the
/// authority's approval; the authority's and administrators' are approved.
pub fn review_state_for(actor: &Actor) -> Option<String> {
    match actor.role {
        Role::Admin | Role::Analyst => None,
        _ => Some("submitted".into()),
    }
}

/// Which records a list wants.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub limit: Option<u64>,
    /// Paging cursor: the `next` of the previous page.
    pub after: Option<i64>,
    pub bbox: Option<Bbox>,
    pub as_of: Option<chrono::NaiveDate>,
    pub hazard_id: Option<String>,
    pub review: Option<String>,
    pub approved_only: bool,
}

/// A page of records, as GeoJSON features.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<Value>,
    /// Records matching, all pages together (within the actor's organisations).
    pub number_matched: u64,
    pub number_returned: usize,
    /// The cursor of the next page, if there is one.
    pub next: Option<i64>,
}

/// The most records one page holds.
pub const MAX_PAGE: u64 = 10_000;

/// Records of `kind` the actor may see, a page at a time.
pub async fn list(reg: &Registry, actor: &Actor, kind: RecordKind, l: &ListQuery) -> AppResult<Page> {
    actor.require(Act::Read)?;
    let limit = l.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let q = Query {
        organisations: actor.scope(),
        bbox: l.bbox,
        as_of: l.as_of,
        hazard_ids: l.hazard_id.clone().map(|h| vec![h]),
        review: l.review.clone(),
        approved_only: l.approved_only,
        after: if l.as_of.is_none() { l.after } else { None },
        limit: if l.as_of.is_none() { Some(limit + 1) } else { None },
        ..Query::default()
    };
    let number_matched = reg
        .store
        .count(
            kind,
            &Query {
                after: None,
                limit: None,
                ..q.clone()
            },
        )
        .await?;
    let mut rows = reg.store.records(kind, &q).await?;
    let more = rows.len() as u64 > limit && l.as_of.is_none();
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|r| r.fid) } else { None };
    let features: Vec<Value> = rows
        .iter()
        .map(|s| {
            let mut f = record_feature(&s.record);
            f["id"] = json!(s.record.id());
            f["properties"]["version"] = json!(s.version);
            f["properties"]["review"] = json!(s.review);
            f
        })
        .collect();
    Ok(Page {
        kind: "FeatureCollection",
        number_returned: features.len(),
        features,
        number_matched,
        next,
    })
}

/// The authority's queue: records submitted by operators, awaiting review.
pub async fn review_queue(reg: &Registry, actor: &Actor) -> AppResult<Vec<Value>> {
    actor.require(Act::Qa)?;
    let mut out = Vec::new();
    for kind in [
        RecordKind::Hazards,
        RecordKind::Activities,
        RecordKind::Finds,
        RecordKind::Accidents,
        RecordKind::Progress,
        RecordKind::Qa,
    ] {
        let q = Query {
            organisations: actor.scope(),
            review: Some("submitted".into()),
            ..Query::default()
        };
        for s in reg.store.records(kind, &q).await? {
            // The stored version before this submission, for a field-by-field comparison.
            let versions = reg.store.versions(kind, s.record.id()).await?;
            let previous = versions
                .iter()
                .rev()
                .find(|v| v.version < s.version)
                .map(|v| record_feature(&v.record));
            out.push(json!({
                "kind": kind.as_str(), "id": s.record.id(), "version": s.version, "submitted_at": s.valid_from,
                "record": record_feature(&s.record), "previous": previous,
            }));
        }
    }
    Ok(out)
}

/// Approves or rejects a submitted record (the authority). Audited in the change log.
pub async fn decide(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    id: &str,
    approve: bool,
    reason: Option<String>,
) -> AppResult<()> {
    if !actor.may_review() {
        return Err(AppError::Forbidden(format!(
            "{} ({}) may not approve or reject: the authority's analysts do",
            actor.name,
            actor.role.as_str()
        )));
    }
    if !approve && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::refused("a rejection needs a reason, for the operator"));
    }
    crate::show::visible(reg, actor, kind, id).await?;
    let changes = Changeset {
        reviews: vec![Review {
            kind,
            id: id.to_string(),
            decision: if approve { "approved" } else { "rejected" }.into(),
            reason: reason.clone(),
        }],
        reason,
        ..Changeset::new(format!("review {kind} {id}"))
    };
    reg.apply(&changes, actor).await?;
    Ok(())
}

/// Amends a record; when the edit was based on a version someone replaced meanwhile, it is kept
/// as an open conflict for review (never applied over the newer version, never dropped) and
/// refused with the stored copy.
pub async fn amend_or_flag(
    reg: &Registry,
    actor: &Actor,
    kind: RecordKind,
    id: &str,
    a: &crate::upkeep::Amendment,
) -> AppResult<crate::upkeep::Corrected> {
    match crate::upkeep::amend(reg, actor, kind, id, a).await {
        Err(AppError::Stale(msg)) => {
            let stored = crate::show::visible(reg, actor, kind, id).await?;
            let proposed = json!({
                "set": a.set.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "geometry": a.geometry, "reason": a.reason,
            });
            let changes = Changeset {
                conflicts: vec![Conflict {
                    fid: 0,
                    kind,
                    record_id: id.to_string(),
                    based_on: a.based_on.unwrap_or(0),
                    stored_version: stored.version,
                    proposed,
                    username: actor.name.clone(),
                    organisation: actor.organisation.clone(),
                    created_at: String::new(),
                    status: "open".into(),
                    resolution: None,
                }],
                ..Changeset::new(format!("conflicting edit of {kind} {id}"))
            };
            reg.apply(&changes, actor).await?;
            Err(AppError::Conflict(format!(
                "{msg}; your edit is kept as a conflict for review (`GET /api/v1/conflicts`), the stored version {} is unchanged",
                stored.version
            )))
        }
        other => other,
    }
}

/// Open (or all) edit conflicts the actor may see.
pub async fn conflicts(reg: &Registry, actor: &Actor, open_only: bool) -> AppResult<Vec<Conflict>> {
    actor.require(Act::Read)?;
    let mut all = reg.store.conflicts(open_only).await?;
    if let Some(orgs) = actor.scope() {
        all.retain(|c| c.username == actor.name || c.organisation.as_ref().is_some_and(|o| orgs.contains(o)));
    }
    Ok(all)
}

/// Marks a conflict resolved, with how.
pub async fn resolve_conflict(reg: &Registry, actor: &Actor, fid: i64, resolution: &str) -> AppResult<()> {
    actor.require(Act::Write)?;
    if !conflicts(reg, actor, true).await?.iter().any(|c| c.fid == fid) {
        return Err(AppError::NotFound(format!("no open conflict {fid}")));
    }
    let changes = Changeset {
        resolved_conflicts: vec![(fid, resolution.to_string())],
        ..Changeset::new(format!("resolve conflict {fid}"))
    };
    reg.apply(&changes, actor).await?;
    Ok(())
}

/// The answer to a field submission: the HTTP status and body it got.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub status: u16,
    pub body: Value,
    /// Whether this is the stored answer of an earlier identical submission.
    pub replayed: bool,
}

fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn check_client_id(id: &str) -> AppResult<()> {
    let ok = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::refused(format!(
            "client_id '{id}': give the submission's UUID made by the client (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)"
        )))
    }
}

/// What came before: the stored answer of the same client id, or a conflict when the body
/// differs.
async fn earlier(reg: &Registry, actor: &Actor, client_id: &str, hash: &str) -> AppResult<Option<Submitted>> {
    let Some(s) = reg.store.submission(client_id).await? else {
        return Ok(None);
    };
    if s.username != actor.name {
        // Someone else's submission: say nothing of it.
        return Err(AppError::Conflict(format!(
            "submission id {client_id} is already taken; make a new UUID for each submission"
        )));
    }
    let body: Value = serde_json::from_str(&s.response).unwrap_or(Value::Null);
    if s.body_hash == hash {
        return Ok(Some(Submitted {
            status: s.status,
            body,
            replayed: true,
        }));
    }
    Err(AppError::Conflict(
        json!({"message": format!("submission {client_id} was already received with another body; the stored copy is attached"),
               "stored": body, "stored_at": s.created_at})
        .to_string(),
    ))
}

/// A day's progress sent from the field under a client UUID: the same id with the same body
/// gets the original answer, with another body a conflict; recorded once whatever the retries.
pub async fn submit_progress(
    reg: &Registry,
    actor: &Actor,
    client_id: &str,
    body: &[u8],
    r: &ProgressAddRequest<'_>,
) -> AppResult<Submitted> {
    check_client_id(client_id)?;
    let hash = body_hash(body);
    if let Some(done) = earlier(reg, actor, client_id, &hash).await? {
        return Ok(done);
    }
    let (mut changes, answer) = progress_add_changes(reg, actor, r).await?;
    let body_json = serde_json::to_value(&answer).map_err(anyhow::Error::from)?;
    changes.submission = Some(Submission {
        client_id: client_id.to_string(),
        username: actor.name.clone(),
        body_hash: hash.clone(),
        status: 201,
        response: body_json.to_string(),
        created_at: String::new(),
    });
    changes.review_state = review_state_for(actor);
    match reg.apply(&changes, actor).await {
        Ok(_) => Ok(Submitted {
            status: 201,
            body: body_json,
            replayed: false,
        }),
        // The same submission raced this one and won: answer as it was answered.
        Err(AppError::Conflict(_)) => earlier(reg, actor, client_id, &hash)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("submission {client_id} vanished"))),
        Err(e) => Err(e),
    }
}

/// A find reported from the field under a client UUID (a GeoJSON feature of the import
/// contract), recorded once whatever the retries.
pub async fn submit_find(
    reg: &Registry,
    actor: &Actor,
    client_id: &str,
    body: &[u8],
    feature: &Value,
) -> AppResult<Submitted> {
    actor.require(Act::Progress)?;
    check_client_id(client_id)?;
    let hash = body_hash(body);
    if let Some(done) = earlier(reg, actor, client_id, &hash).await? {
        return Ok(done);
    }
    let fc = json!({"type": "FeatureCollection", "features": [feature]}).to_string();
    let label = std::path::Path::new("submitted find.geojson");
    let hazard_ids = reg.store.ids(RecordKind::Hazards).await?;
    let activity_ids = reg.store.ids(RecordKind::Activities).await?;
    let existing = reg.store.ids(RecordKind::Finds).await?;
    let none = std::collections::HashSet::new();
    let known = demine_io::Known {
        existing_ids: &existing,
        hazard_ids: &hazard_ids,
        activity_ids: &activity_ids,
        organisation_ids: &none,
    };
    let parsed = demine_io::parse_bytes(RecordKind::Finds, label, fc.as_bytes(), &known, false)?;
    let problems: Vec<demine_io::Problem> = parsed.problems().into_iter().cloned().collect();
    if !problems.is_empty() {
        return Err(crate::import::refuse_problems(&reg.name(), label, &problems, &[], true));
    }
    let records = parsed.into_records();
    let mut changes = Changeset::new(format!("field submission {client_id}"));
    for r in records {
        if let AnyRecord::Find(f) = &r {
            match &f.hazard_id {
                Some(h) => {
                    crate::show::visible(reg, actor, RecordKind::Hazards, h).await?;
                }
                None if actor.scope().is_some() => {
                    return Err(AppError::refused(
                        "submitted find: field `hazard_id`: give the hazard the find belongs to",
                    ))
                }
                None => {}
            }
            changes.finds.push(f.clone());
        }
    }
    let answer = json!({"ok": true, "id": changes.finds.first().map(|f| f.id.clone()), "client_id": client_id});
    changes.submission = Some(Submission {
        client_id: client_id.to_string(),
        username: actor.name.clone(),
        body_hash: hash.clone(),
        status: 201,
        response: answer.to_string(),
        created_at: String::new(),
    });
    changes.review_state = review_state_for(actor);
    match reg.apply(&changes, actor).await {
        Ok(_) => Ok(Submitted {
            status: 201,
            body: answer,
            replayed: false,
        }),
        Err(AppError::Conflict(_)) => earlier(reg, actor, client_id, &hash)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("submission {client_id} vanished"))),
        Err(e) => Err(e),
    }
}
