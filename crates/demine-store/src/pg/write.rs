//! Writes: one changeset, one transaction holding the registry's write lock: inserts,
//! corrections (with their history), context layers, the risk map, the computed columns of
//! every hazard touched, and the hash-chained change log. The same steps, in the same order,
//! as the GeoPackage store's `write.rs`.

use super::read::{col_type, select_columns, ColType, CONTEXT_COLUMNS};
use super::{wkb_of_gpkg, WRITE_LOCK};
use crate::backend::write::{
    apply_steps, check_based_on, check_review, released_rows, retirement_refused, risk_cell_rows, WriteState,
    WriteSteps, CONTEXT_FEATURE_COLUMNS, LOG_COLUMNS, RELEASED_COLUMNS, RISK_CELL_COLUMNS,
};
use crate::gpkg::accounts::reviewed;
use crate::gpkg::codec::{context_feature, context_json, decode, push_version_columns, spec, Columns, Val};
use crate::{now_stamp, Applied, Author, Changeset, InsertStream, Replacement, Result, Retirement, StoreError};
use demine_core::{AnyRecord, RecordKind};
use sqlx::postgres::PgPool;
use sqlx::query_builder::Separated;
use sqlx::{Postgres, QueryBuilder, Row, Transaction};
use std::collections::{BTreeSet, HashMap};

type Tx<'t> = Transaction<'t, Postgres>;

/// Binds one value of column `col` in its PostgreSQL form, as the next item of a list.
fn push_val(b: &mut Separated<'_, '_, Postgres, &'static str>, col: &str, v: Val) {
    b.push("");
    push_set_val(b, col, v);
}

/// Inserts rows with multi-row INSERTs (PostgreSQL allows 65,535 bound values per statement).
pub(super) async fn insert_many(tx: &mut Tx<'_>, table: &str, columns: &[&str], rows: Vec<Vec<Val>>) -> Result<()> {
    let per_statement = (60_000 / columns.len().max(1)).clamp(1, 1_000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_statement).collect();
        let mut q = QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
        q.push_values(chunk, |mut b, row| {
            for (col, v) in columns.iter().zip(row) {
                push_val(&mut b, col, v);
            }
        });
        q.build().execute(&mut **tx).await.map_err(|e| constraint(e, table))?;
    }
    Ok(())
}

/// A constraint failure as a message that names the table and says what to do; other errors
/// as they are.
pub(super) fn constraint(e: sqlx::Error, table: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message().to_string();
        match db.code().as_deref() {
            Some("23505") => {
                return StoreError::Refused(format!(
                    "{table}: a record with the same id is already in the registry ({msg}); another change may have added it meanwhile: read the registry again and retry"
                ))
            }
            Some("23503") => {
                return StoreError::Refused(format!(
                    "{table}: the change would leave a record referring to one that does not exist ({msg}); retire or re-link the records that refer to it first"
                ))
            }
            _ => {}
        }
    }
    StoreError::Sql(e)
}

/// Begins a write: a transaction holding the registry's write lock until it ends. It sees
/// every organisation under row-level security: the accounting needs every activity of a
/// hazard, and who may write what is decided before (`demine-app`).
pub(super) async fn begin_write(pool: &PgPool) -> Result<Tx<'static>> {
    let mut tx = pool.begin().await?;
    super::read::set_scope(&mut tx, None).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// A changeset's write in one PostgreSQL transaction: the shared [`WriteState`] and this
/// backend's SQL.
struct Writer<'c> {
    state: WriteState<'c>,
}

pub(super) async fn apply(
    pool: &PgPool,
    c: &Changeset,
    author: &Author,
    stream: Option<&mut InsertStream>,
) -> Result<Applied> {
    let mut tx = begin_write(pool).await?;
    // The time is read under the lock, so that versions and log entries are in time order.
    let at = now_stamp();
    let mut w = Writer {
        state: WriteState::new(c, author, at),
    };
    apply_steps(&mut w, &mut tx, c, stream).await?;
    tx.commit().await?;
    Ok(w.state.applied)
}

impl Writer<'_> {
    /// Reads the stored version of a record for a correction, refusing a stale one.
    async fn current(&self, tx: &mut Tx<'_>, kind: RecordKind, id: &str, based_on: Option<u64>) -> Result<AnyRecord> {
        let s = spec(kind);
        let sql = format!(
            "SELECT t.version, {} FROM {} t WHERE t.id = $1",
            select_columns(s, "t."),
            s.table
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind,
                id: id.to_string(),
            })?;
        check_based_on(kind, id, based_on, row.try_get("version")?)?;
        decode(kind, &row)
    }

    /// Moves the stored version of a record to its history table, ended now by `how`.
    async fn keep_history(&self, tx: &mut Tx<'_>, kind: RecordKind, id: &str, how: &str) -> Result<()> {
        let s = spec(kind);
        let cols = s.columns.join(", ");
        let sql = format!(
            "INSERT INTO {t}_history ({cols}, version, valid_from, in_force_from, valid_to, ended_by, reason) \
             SELECT {cols}, version, valid_from, in_force_from, $1, $2, $3 FROM {t} WHERE id = $4",
            t = s.table
        );
        sqlx::query(&sql)
            .bind(&self.state.at)
            .bind(how)
            .bind(&self.state.reason)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

impl WriteSteps for Writer<'_> {
    type Tx = Tx<'static>;

    fn affected(&mut self) -> &mut BTreeSet<String> {
        &mut self.state.affected
    }

    async fn set_meta(&mut self, tx: &mut Self::Tx, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO demine_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Review decisions, the submission record, conflicts kept and resolved.
    async fn review_and_submissions(&mut self, tx: &mut Self::Tx) -> Result<()> {
        let c = self.state.changes;
        for r in &c.reviews {
            let s = spec(r.kind);
            check_review(r)?;
            let done = sqlx::query(&format!(
                "UPDATE {} SET review = $1, review_reason = $2 WHERE id = $3",
                s.table
            ))
            .bind(&r.decision)
            .bind(&r.reason)
            .bind(&r.id)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound {
                    kind: r.kind,
                    id: r.id.clone(),
                });
            }
            let after = serde_json::json!({"review": r.decision, "reason": r.reason}).to_string();
            self.state.entry("review", s.table, Some(&r.id), None, Some(after));
        }
        if let Some(sub) = &c.submission {
            sqlx::query(
                "INSERT INTO submissions (client_id, username, body_hash, status, response, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&sub.client_id)
            .bind(&sub.username)
            .bind(&sub.body_hash)
            .bind(i64::from(sub.status))
            .bind(&sub.response)
            .bind(&self.state.at)
            .execute(&mut **tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => StoreError::DuplicateSubmission {
                    client_id: sub.client_id.clone(),
                },
                _ => StoreError::Sql(e),
            })?;
        }
        for k in &c.conflicts {
            sqlx::query(
                "INSERT INTO conflicts (kind, record_id, based_on, stored_version, proposed, username, organisation, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(k.kind.as_str())
            .bind(&k.record_id)
            .bind(k.based_on as i64)
            .bind(k.stored_version as i64)
            .bind(k.proposed.to_string())
            .bind(&k.username)
            .bind(&k.organisation)
            .bind(&self.state.at)
            .execute(&mut **tx)
            .await?;
            self.state.entry(
                "conflict",
                spec(k.kind).table,
                Some(&k.record_id),
                None,
                Some(k.proposed.to_string()),
            );
        }
        for (fid, resolution) in &c.resolved_conflicts {
            let done = sqlx::query(
                "UPDATE conflicts SET status = 'resolved', resolution = $1 WHERE fid = $2 AND status = 'open'",
            )
            .bind(resolution)
            .bind(fid)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Refused(format!("no open conflict {fid}")));
            }
            self.state.entry(
                "resolve",
                "conflicts",
                Some(&fid.to_string()),
                None,
                Some(resolution.clone()),
            );
        }
        Ok(())
    }

    /// The records of `stream`, chunk by chunk, until its `Commit`.
    async fn insert_stream(&mut self, tx: &mut Self::Tx, stream: &mut InsertStream) -> Result<()> {
        while let Some(records) = stream.next_chunk().await? {
            let mut part = Changeset::default();
            for r in records {
                part.push_insert(r);
            }
            self.state.affected.extend(part.hazards.iter().map(|h| h.id.clone()));
            self.state
                .affected
                .extend(part.activities.iter().map(|a| a.hazard_id.clone()));
            self.insert(tx, &part.organisations).await?;
            self.insert(tx, &part.teams).await?;
            self.insert(tx, &part.hazards).await?;
            self.insert(tx, &part.activities).await?;
            self.insert(tx, &part.finds).await?;
            self.insert(tx, &part.accidents).await?;
            self.insert(tx, &part.daily_progress).await?;
            self.insert(tx, &part.qa_inspections).await?;
        }
        Ok(())
    }

    async fn insert<T: Columns>(&mut self, tx: &mut Self::Tx, records: &[T]) -> Result<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let kind = first.kind();
        let s = spec(kind);
        // A record retired earlier and now imported again continues its history: its next
        // version, in force from now (not from its own date: that version was known then).
        let continued = history_versions(tx, s.table, records.iter().map(|r| r.id())).await?;
        let mut columns: Vec<&str> = s.columns.to_vec();
        columns.extend(["version", "valid_from", "in_force_from"]);
        let review = reviewed(kind).then(|| self.state.review_state());
        if review.is_some() {
            columns.push("review");
        }
        // In chunks, each with its change-log entries: a million finds never sit in memory
        // three times (records, rows, log).
        for chunk in records.chunks(20_000) {
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                let mut v = r.values()?;
                let last = continued.get(r.id()).copied();
                let in_force_now = self.state.changes.inserts_in_force_now;
                if let Some(next) = push_version_columns(&mut v, last, &self.state.at, in_force_now, review.as_deref())
                {
                    self.state.applied.versions.push((kind, r.id().to_string(), next));
                }
                rows.push(v);
                self.state.inserted(s.table, r.id().to_string(), r.json());
            }
            insert_many(tx, s.table, &columns, rows).await?;
            self.flush_log(tx).await?;
        }
        Ok(())
    }

    /// Writes the pending change-log entries, each chained to the one before.
    async fn flush_log(&mut self, tx: &mut Self::Tx) -> Result<()> {
        if self.state.log.is_empty() {
            return Ok(());
        }
        let last = match self.state.chain.take() {
            Some(c) => c,
            None => last_entry(tx).await?,
        };
        let rows = self.state.chain_pending(last);
        insert_many(tx, "change_log", &LOG_COLUMNS, rows).await
    }

    async fn replace(&mut self, tx: &mut Self::Tx, r: &Replacement) -> Result<()> {
        let kind = r.record.kind();
        let id = r.record.id();
        let s = spec(kind);
        let before = self.current(tx, kind, id, r.based_on).await?;
        self.keep_history(tx, kind, id, "amended").await?;
        let mut qb = QueryBuilder::<Postgres>::new(format!("UPDATE {} SET ", s.table));
        {
            let mut set = qb.separated(", ");
            for (col, v) in s.columns.iter().zip(r.record.values()?) {
                set.push(format!("{col} = "));
                push_set_val(&mut set, col, v);
            }
            set.push("version = version + 1");
            set.push("valid_from = ");
            set.push_bind_unseparated(self.state.at.clone());
            set.push("in_force_from = ");
            set.push_bind_unseparated(self.state.at.clone());
            if reviewed(kind) {
                set.push("review = ");
                set.push_bind_unseparated(self.state.review_state());
                set.push("review_reason = NULL");
            }
        }
        qb.push(" WHERE id = ");
        qb.push_bind(id.to_string());
        qb.push(" RETURNING version");
        let version: i64 = qb
            .build_query_scalar()
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| constraint(e, s.table))?;
        self.state.amended(r, &before, s.table, version);
        Ok(())
    }

    async fn retire(&mut self, tx: &mut Self::Tx, r: &Retirement) -> Result<()> {
        let s = spec(r.kind);
        let before = self.current(tx, r.kind, &r.id, r.based_on).await?;
        self.keep_history(tx, r.kind, &r.id, "retired").await?;
        // Pieces of released land are derived: they go with the hazard or activity, and are
        // recomputed for what stays.
        match r.kind {
            RecordKind::Hazards => {
                sqlx::query("DELETE FROM released_land WHERE hazard_id = $1")
                    .bind(&r.id)
                    .execute(&mut **tx)
                    .await?;
                self.state.retired_hazards.insert(r.id.clone());
            }
            RecordKind::Activities => {
                sqlx::query("DELETE FROM released_land WHERE activity_id = $1")
                    .bind(&r.id)
                    .execute(&mut **tx)
                    .await?;
                if let Some(h) = before.hazard_id() {
                    self.state.affected.insert(h.to_string());
                }
            }
            _ => {}
        }
        sqlx::query(&format!("DELETE FROM {} WHERE id = $1", s.table))
            .bind(&r.id)
            .execute(&mut **tx)
            .await
            .map_err(|e| retirement_refused(constraint(e, s.table), r))?;
        self.state
            .entry("retire", s.table, Some(&r.id), Some(before.json()), None);
        Ok(())
    }

    async fn context_layers(&mut self, tx: &mut Self::Tx) -> Result<()> {
        let c = self.state.changes;
        for layer in &c.replace_layers {
            let old = sqlx::query(&format!(
                "SELECT {CONTEXT_COLUMNS} FROM context_features WHERE layer = $1 ORDER BY fid"
            ))
            .bind(layer)
            .fetch_all(&mut **tx)
            .await?;
            for row in &old {
                let fid: i64 = row.get("fid");
                let before = context_feature(row).map(|f| context_json(&f)).unwrap_or_default();
                self.state
                    .entry("delete", "context_features", Some(&fid.to_string()), Some(before), None);
            }
            sqlx::query("DELETE FROM context_features WHERE layer = $1")
                .bind(layer)
                .execute(&mut **tx)
                .await?;
        }
        let inserted = self.state.context_rows()?;
        insert_many(tx, "context_features", &CONTEXT_FEATURE_COLUMNS, inserted.rows).await
    }

    async fn risk_map(&mut self, tx: &mut Self::Tx) -> Result<()> {
        let Some((cells, hazard_risks)) = &self.state.changes.risk_map else {
            return Ok(());
        };
        sqlx::query("DELETE FROM risk_cells").execute(&mut **tx).await?;
        sqlx::query("UPDATE hazards SET risk_expected_share = NULL, risk_p_any = NULL")
            .execute(&mut **tx)
            .await?;
        let cell_rows = risk_cell_rows(cells);
        insert_many(tx, "risk_cells", &RISK_CELL_COLUMNS, cell_rows.rows).await?;
        for chunk in hazard_risks.chunks(5_000) {
            let mut q = QueryBuilder::<Postgres>::new(
                "UPDATE hazards SET risk_expected_share = v.share, risk_p_any = v.p_any FROM (",
            );
            q.push_values(chunk, |mut b, h| {
                b.push_bind(&h.hazard_id)
                    .push_bind(h.expected_contaminated_share)
                    .push_bind(h.p_any);
            });
            q.push(") AS v(id, share, p_any) WHERE hazards.id = v.id");
            q.build().execute(&mut **tx).await?;
        }
        let summary = serde_json::json!({ "cells": cells.len(), "hazards": hazard_risks.len() }).to_string();
        self.state.entry("replace", "risk_cells", None, None, Some(summary));
        Ok(())
    }

    /// Accounts every hazard touched by this changeset, from what the transaction sees, and
    /// writes its computed columns and released pieces.
    async fn recompute(&mut self, tx: &mut Self::Tx) -> Result<()> {
        let Some((mut to_account, stored_ids)) = self.state.to_account() else {
            return Ok(());
        };
        // Each chunk of ids is one bound array: few round trips.
        for chunk in stored_ids.chunks(5_000) {
            let hazards = read_kind(tx, RecordKind::Hazards, "id", chunk).await?;
            let activities = read_kind(tx, RecordKind::Activities, "hazard_id", chunk).await?;
            to_account.add_stored(hazards, activities);
        }
        let (hazards, release) = to_account.account();
        for chunk in hazards.iter().zip(&release).collect::<Vec<_>>().chunks(5_000) {
            let mut q = QueryBuilder::<Postgres>::new(
                "UPDATE hazards SET area_m2 = v.area, cancelled_m2 = v.cancelled, reduced_m2 = v.reduced, \
                 cleared_m2 = v.cleared, remaining_m2 = v.remaining, status = v.status FROM (",
            );
            q.push_values(chunk, |mut b, (h, r)| {
                b.push_bind(h.id.clone())
                    .push_bind(r.area_m2)
                    .push_bind(r.cancelled_m2)
                    .push_bind(r.reduced_m2)
                    .push_bind(r.cleared_m2)
                    .push_bind(r.remaining_m2)
                    .push_bind(r.status.as_str());
            });
            q.push(") AS v(id, area, cancelled, reduced, cleared, remaining, status) WHERE hazards.id = v.id");
            q.build().execute(&mut **tx).await?;
            let ids: Vec<String> = chunk.iter().map(|(h, _)| h.id.clone()).collect();
            sqlx::query("DELETE FROM released_land WHERE hazard_id = ANY($1)")
                .bind(ids)
                .execute(&mut **tx)
                .await?;
        }
        let released = released_rows(&hazards, &release)?;
        insert_many(tx, "released_land", &RELEASED_COLUMNS, released.rows).await?;
        self.state.recomputed(hazards, release);
        Ok(())
    }
}

/// `col = value` in an UPDATE's SET list, the value in its PostgreSQL form.
fn push_set_val(set: &mut Separated<'_, '_, Postgres, &'static str>, col: &str, v: Val) {
    let ty = col_type(col);
    let (open, close) = match ty {
        ColType::Geom => ("ST_GeomFromWKB(", ", 4326)"),
        ColType::Date => ("CAST(", " AS date)"),
        ColType::Json => ("CAST(", " AS json)"),
        ColType::Bool => ("CAST(", " AS integer)::boolean"),
        ColType::Plain => ("", ""),
    };
    set.push_unseparated(open);
    match v {
        Val::Text(t) => set.push_bind_unseparated(t),
        Val::Real(x) => set.push_bind_unseparated(x),
        Val::Int(i) => set.push_bind_unseparated(i),
        Val::Blob(bytes) => set.push_bind_unseparated(wkb_of_gpkg(bytes)),
    };
    set.push_unseparated(close);
}

/// The last change-log entry (sequence number, hash), or (0, "") for an empty log.
pub(super) async fn last_entry(tx: &mut Tx<'_>) -> Result<(i64, String)> {
    let last = sqlx::query("SELECT fid, hash FROM change_log ORDER BY fid DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match last {
        Some(r) => (
            r.try_get::<i64, _>("fid")?,
            r.try_get::<Option<String>, _>("hash")?.unwrap_or_default(),
        ),
        None => (0, String::new()),
    })
}

/// Records of `kind` whose `column` is one of `values`, read inside the transaction.
async fn read_kind(tx: &mut Tx<'_>, kind: RecordKind, column: &str, values: &[String]) -> Result<Vec<AnyRecord>> {
    let s = spec(kind);
    let sql = format!(
        "SELECT {} FROM {} t WHERE t.{column} = ANY($1) ORDER BY t.fid",
        select_columns(s, "t."),
        s.table
    );
    let rows = sqlx::query(&sql).bind(values.to_vec()).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| decode(kind, r)).collect()
}

/// The last version in `<table>_history` of each of `ids` that has one.
async fn history_versions<'a>(
    tx: &mut Tx<'_>,
    table: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, u64>> {
    let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table}_history)"))
        .fetch_one(&mut **tx)
        .await?;
    let mut out = HashMap::new();
    if !any {
        return Ok(out);
    }
    let ids: Vec<String> = ids.map(str::to_string).collect();
    for chunk in ids.chunks(10_000) {
        let rows = sqlx::query(&format!(
            "SELECT id, max(version) AS v FROM {table}_history WHERE id = ANY($1) GROUP BY id"
        ))
        .bind(chunk.to_vec())
        .fetch_all(&mut **tx)
        .await?;
        for row in rows {
            out.insert(row.try_get("id")?, row.try_get::<i64, _>("v")?.max(1) as u64);
        }
    }
    Ok(out)
}

/// One change-log entry outside a changeset (accounts), chained like the others. The caller's
/// transaction must hold the write lock ([`begin_write`]).
pub(super) async fn log_standalone(
    tx: &mut Tx<'static>,
    author: &Author,
    action: &'static str,
    entity: &str,
    id: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<()> {
    let none = Changeset::default();
    let mut w = Writer {
        state: WriteState::standalone(author, &none),
    };
    w.state.entry(action, entity, Some(id), before, after);
    w.flush_log(tx).await
}
