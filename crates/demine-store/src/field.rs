//! Field records (migration 0004): daily progress reports and post-clearance inspections.

use super::{
    extend_extent, gpkg_blob, insert_many, into_multipolygon, opt_str, parse_date, union_rect, Result, StoreError, Val,
};
use demine_core::{DailyProgress, HazardRisk, QaInspection};
use geo::{BoundingRect, Geometry};
use geozero::wkb::GpkgWkb;
use geozero::ToGeo;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

const LOG_COLUMNS: [&str; 8] = [
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "batch",
    "before",
    "after",
];

/// Writes the changeset's progress reports and inspections, with their change-log entries.
pub(crate) async fn write(
    tx: &mut Transaction<'_, Sqlite>,
    progress: &[DailyProgress],
    inspections: &[QaInspection],
    at: &str,
    actor: &str,
    batch: &str,
) -> Result<()> {
    let mut log = Vec::new();
    let mut entry = |entity: &str, id: &str, after: String| {
        log.push(vec![
            Val::text(at),
            Val::text(actor),
            Val::text("insert"),
            Val::text(entity),
            Val::text(id),
            Val::text(batch),
            Val::Text(None),
            Val::Text(Some(after)),
        ]);
    };
    let mut rect = None;
    let mut rows = Vec::with_capacity(progress.len());
    for p in progress {
        let g = Geometry::MultiPolygon(p.geometry.clone());
        rect = union_rect(rect, g.bounding_rect());
        entry("daily_progress", &p.id, serde_json::to_string(p).unwrap_or_default());
        rows.push(vec![
            Val::Blob(gpkg_blob(&g)?),
            Val::text(&p.id),
            Val::Text(Some(p.date.to_string())),
            Val::text(&p.hazard_id),
            Val::text(&p.team),
            Val::text(&p.team_kind),
            Val::Real(Some(p.hours)),
            Val::Real(Some(p.downtime_hours)),
            Val::opt(&p.downtime_reason),
            Val::Int(Some(i64::from(p.finds))),
            Val::opt(&p.lanes),
            Val::opt(&p.terrain),
            Val::Real(Some(p.area_m2)),
            Val::opt(&p.activity_id),
        ]);
    }
    let columns = [
        "geom",
        "id",
        "date",
        "hazard_id",
        "team",
        "team_kind",
        "hours",
        "downtime_hours",
        "downtime_reason",
        "finds",
        "lanes",
        "terrain",
        "area_m2",
        "activity_id",
    ];
    insert_many(tx, "daily_progress", &columns, rows).await?;
    extend_extent(tx, "daily_progress", rect, at).await?;
    let rows: Vec<Vec<Val>> = inspections
        .iter()
        .map(|q| {
            entry("qa_inspections", &q.id, serde_json::to_string(q).unwrap_or_default());
            vec![
                Val::text(&q.id),
                Val::text(&q.hazard_id),
                Val::Text(Some(q.date.to_string())),
                Val::Int(Some(q.lot_units as i64)),
                Val::Int(Some(q.sample_units as i64)),
                Val::Real(Some(q.box_m)),
                Val::Int(Some(q.c as i64)),
                Val::Int(Some(q.defects as i64)),
                Val::Int(Some(i64::from(q.accepted))),
                Val::Real(Some(q.detection)),
                Val::Text(Some(q.nonconformities.to_string())),
                Val::opt(&q.inspector),
            ]
        })
        .collect();
    let columns = [
        "id",
        "hazard_id",
        "date",
        "lot_units",
        "sample_units",
        "box_m",
        "c",
        "defects",
        "accepted",
        "detection",
        "nonconformities",
        "inspector",
    ];
    insert_many(tx, "qa_inspections", &columns, rows).await?;
    insert_many(tx, "change_log", &LOG_COLUMNS, log).await?;
    Ok(())
}

fn corrupt(table: &'static str, id: &str, why: String) -> StoreError {
    StoreError::Corrupt {
        table,
        id: id.to_string(),
        why,
    }
}

pub(crate) async fn daily_progress(pool: &SqlitePool) -> Result<Vec<DailyProgress>> {
    let rows = sqlx::query("SELECT * FROM daily_progress ORDER BY date, fid")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.get("id");
            let blob: Vec<u8> = row.get("geom");
            let geometry = GpkgWkb(blob)
                .to_geo()
                .map_err(|e| e.to_string())
                .and_then(into_multipolygon)
                .map_err(|why| corrupt("daily_progress", &id, why))?;
            Ok(DailyProgress {
                date: parse_date(row, "date").map_err(|why| corrupt("daily_progress", &id, why))?,
                hazard_id: row.get("hazard_id"),
                team: row.get("team"),
                team_kind: row.get("team_kind"),
                geometry,
                hours: row.get("hours"),
                downtime_hours: row.get("downtime_hours"),
                downtime_reason: opt_str(row, "downtime_reason"),
                finds: row.get::<i64, _>("finds").max(0) as u32,
                lanes: opt_str(row, "lanes"),
                terrain: opt_str(row, "terrain"),
                area_m2: row.get("area_m2"),
                activity_id: opt_str(row, "activity_id"),
                id,
            })
        })
        .collect()
}

pub(crate) async fn qa_inspections(pool: &SqlitePool) -> Result<Vec<QaInspection>> {
    let rows = sqlx::query("SELECT * FROM qa_inspections ORDER BY date, fid")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.get("id");
            let nc: String = row.get("nonconformities");
            Ok(QaInspection {
                hazard_id: row.get("hazard_id"),
                date: parse_date(row, "date").map_err(|why| corrupt("qa_inspections", &id, why))?,
                lot_units: row.get::<i64, _>("lot_units").max(0) as u64,
                sample_units: row.get::<i64, _>("sample_units").max(0) as u64,
                box_m: row.get("box_m"),
                c: row.get::<i64, _>("c").max(0) as u64,
                defects: row.get::<i64, _>("defects").max(0) as u64,
                accepted: row.get::<i64, _>("accepted") != 0,
                detection: row.get("detection"),
                nonconformities: serde_json::from_str(&nc)
                    .map_err(|e| corrupt("qa_inspections", &id, format!("nonconformities: {e}")))?,
                inspector: opt_str(row, "inspector"),
                id,
            })
        })
        .collect()
}

pub(crate) async fn hazard_risk(pool: &SqlitePool, hazard_id: &str) -> Result<Option<HazardRisk>> {
    let row = sqlx::query("SELECT risk_expected_share, risk_p_any FROM hazards WHERE id = ?")
        .bind(hazard_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(|r| {
        let share: Option<f64> = r.get("risk_expected_share");
        let p_any: Option<f64> = r.get("risk_p_any");
        Some(HazardRisk {
            hazard_id: hazard_id.to_string(),
            expected_contaminated_share: share?,
            p_any: p_any?,
        })
    }))
}
