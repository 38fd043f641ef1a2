//! Writes: one changeset, one `BEGIN IMMEDIATE` transaction: inserts, corrections (with their
//! history), context layers, the risk map, the computed columns of every hazard touched, and
//! the hash-chained change log.

use super::codec::{
    constraint, context_feature, context_json, decode, extend_extent, insert_many, push_version_columns, spec,
    union_rect, Columns, Val,
};
use crate::backend::read::log_entry;
use crate::backend::write::{
    apply_steps, check_based_on, check_review, released_rows, retirement_refused, risk_cell_rows, WriteState,
    WriteSteps, CONTEXT_FEATURE_COLUMNS, LOG_COLUMNS, RELEASED_COLUMNS, RISK_CELL_COLUMNS,
};
use crate::{
    entry_hash, now_stamp, Applied, Author, Changeset, InsertStream, Replacement, Result, Retirement, StoreError,
    StreamChunk,
};
use demine_core::{AnyRecord, RecordKind};
use geo::Rect;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::collections::{BTreeSet, HashMap};

/// A changeset's write in one SQLite transaction: the shared [`WriteState`] and the bulk path.
struct Writer<'c> {
    state: WriteState<'c>,
    /// Records inserted from an [`InsertStream`] as well as from the changeset.
    streaming: Option<usize>,
    /// A bulk insert left open between the chunks of a stream, restored after the last.
    open_bulk: Option<Bulk>,
}

pub(super) async fn apply(
    pool: &SqlitePool,
    c: &Changeset,
    author: &Author,
    stream: Option<&mut InsertStream>,
) -> Result<Applied> {
    let at = now_stamp();
    // IMMEDIATE: take the write lock now, so that a second writer waits (busy timeout) instead
    // of failing when its read turns into a write.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut w = Writer {
        state: WriteState::new(c, author, at),
        streaming: stream.as_ref().map(|s| s.expected_rows),
        open_bulk: None,
    };
    apply_steps(&mut w, &mut tx, c, stream).await?;
    tx.commit().await?;
    Ok(w.state.applied)
}

impl Writer<'_> {
    /// Writes prepared rows of one kind with their versions and change-log entries. A big
    /// batch opens the bulk path ([`Bulk`]); the caller closes it.
    async fn write_prepared(&mut self, tx: &mut Transaction<'static, Sqlite>, p: Prepared) -> Result<()> {
        let Prepared {
            kind,
            ids,
            mut rows,
            features,
            rect,
            total,
            affected,
        } = p;
        let s = spec(kind);
        self.state.affected.extend(affected);
        // A big batch: the table's secondary indexes and R-tree trigger are set aside and
        // rebuilt once at the end, inside this transaction (see [`Bulk`]). A stream keeps its
        // bulk insert open from the first big chunk to the last.
        if self.open_bulk.is_none() && total >= BULK_ROWS {
            let expected = self.streaming.unwrap_or(0).max(total);
            self.open_bulk = Bulk::suspend(tx, s.table, expected).await?;
        }
        // A record retired earlier and now imported again continues its history: its next
        // version, in force from now (not from its own date: that version was known then).
        let continued = history_versions(tx, s.table, ids.iter().map(String::as_str)).await?;
        let mut columns: Vec<&str> = s.columns.to_vec();
        columns.extend(["version", "valid_from", "in_force_from"]);
        let review = super::accounts::reviewed(kind).then(|| self.state.review_state());
        if review.is_some() {
            columns.push("review");
        }
        for ((v, id), feature) in rows.iter_mut().zip(ids).zip(features) {
            let last = continued.get(&id).copied();
            let in_force_now = self.state.changes.inserts_in_force_now;
            if let Some(next) = push_version_columns(v, last, &self.state.at, in_force_now, review.as_deref()) {
                self.state.applied.versions.push((kind, id.clone(), next));
            }
            self.state.inserted(s.table, id, feature);
        }
        insert_many(tx, s.table, &columns, rows).await?;
        self.flush_log(tx).await?;
        extend_extent(tx, s.table, rect, &self.state.at).await
    }

    /// Reads the stored version of a record for a correction, refusing a stale one.
    async fn current(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        kind: RecordKind,
        id: &str,
        based_on: Option<u64>,
    ) -> Result<AnyRecord> {
        let s = spec(kind);
        let sql = format!("SELECT version, {} FROM {} WHERE id = ?", s.columns.join(", "), s.table);
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
    async fn keep_history(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        kind: RecordKind,
        id: &str,
        how: &str,
    ) -> Result<()> {
        let s = spec(kind);
        let cols = s.columns.join(", ");
        let sql = format!(
            "INSERT INTO {t}_history ({cols}, version, valid_from, in_force_from, valid_to, ended_by, reason) \
             SELECT {cols}, version, valid_from, in_force_from, ?, ?, ? FROM {t} WHERE id = ?",
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
    type Tx = Transaction<'static, Sqlite>;

    fn affected(&mut self) -> &mut BTreeSet<String> {
        &mut self.state.affected
    }

    async fn set_meta(&mut self, tx: &mut Self::Tx, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO demine_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
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
                "UPDATE {} SET review = ?, review_reason = ? WHERE id = ?",
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
                "INSERT INTO submissions (client_id, username, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
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
                sqlx::Error::Database(db) if db.message().contains("UNIQUE") => StoreError::DuplicateSubmission {
                    client_id: sub.client_id.clone(),
                },
                _ => StoreError::Sql(e),
            })?;
        }
        for k in &c.conflicts {
            sqlx::query(
                "INSERT INTO conflicts (kind, record_id, based_on, stored_version, proposed, username, organisation, created_at)                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
                "UPDATE conflicts SET status = 'resolved', resolution = ? WHERE fid = ? AND status = 'open'",
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

    /// The records of `stream`, chunk by chunk, until its `Commit`. A blocking thread turns
    /// each chunk into rows ([`Prepared`]) while the chunk before it is written: the two
    /// share the import's time instead of adding up.
    async fn insert_stream(&mut self, tx: &mut Self::Tx, stream: &mut InsertStream) -> Result<()> {
        let (_, closed) = tokio::sync::mpsc::channel(1);
        let mut chunks = std::mem::replace(&mut stream.chunks, closed);
        let (prepared_tx, mut prepared_rx) = tokio::sync::mpsc::channel::<Result<Option<Vec<Prepared>>>>(1);
        let preparer = tokio::task::spawn_blocking(move || {
            while let Some(message) = chunks.blocking_recv() {
                let prepared = match message {
                    StreamChunk::Records(records) => prepare_chunk(records).map(Some),
                    StreamChunk::Commit => Ok(None),
                };
                let last = !matches!(prepared, Ok(Some(_)));
                if prepared_tx.blocking_send(prepared).is_err() || last {
                    return;
                }
            }
        });
        let written = async {
            loop {
                match prepared_rx.recv().await {
                    Some(Ok(Some(kinds))) => {
                        for p in kinds {
                            self.write_prepared(tx, p).await?;
                        }
                    }
                    Some(Ok(None)) => break,
                    Some(Err(e)) => return Err(e),
                    None => {
                        return Err(StoreError::Refused(
                            "the import stopped before its last record; nothing was written".into(),
                        ))
                    }
                }
            }
            if let Some(bulk) = self.open_bulk.take() {
                bulk.restore(tx).await?;
            }
            Ok(())
        }
        .await;
        // On a failed write the preparer sees its channel closed and stops.
        drop(prepared_rx);
        let _ = preparer.await;
        written
    }

    async fn insert<T: Columns>(&mut self, tx: &mut Self::Tx, records: &[T]) -> Result<()> {
        // In chunks, each with its change-log entries: a million finds never sit in memory
        // three times (records, rows, log).
        for chunk in records.chunks(PREPARED_ROWS) {
            let mut prepared = prepare(chunk)?;
            prepared.total = records.len();
            self.write_prepared(tx, prepared).await?;
        }
        match self.open_bulk.take() {
            Some(bulk) if self.streaming.is_some() => self.open_bulk = Some(bulk),
            Some(bulk) => bulk.restore(tx).await?,
            None => {}
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
            None => {
                let last = sqlx::query("SELECT fid, hash FROM change_log ORDER BY fid DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await?;
                match last {
                    Some(r) => (
                        r.try_get::<i64, _>("fid")?,
                        r.try_get::<Option<String>, _>("hash")?.unwrap_or_default(),
                    ),
                    None => (0, String::new()),
                }
            }
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
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET ", s.table));
        {
            let mut set = qb.separated(", ");
            for (col, v) in s.columns.iter().zip(r.record.values()?) {
                set.push(format!("{col} = "));
                match v {
                    Val::Text(t) => set.push_bind_unseparated(t),
                    Val::Real(x) => set.push_bind_unseparated(x),
                    Val::Int(i) => set.push_bind_unseparated(i),
                    Val::Blob(b) => set.push_bind_unseparated(b),
                };
            }
            set.push("version = version + 1");
            set.push("valid_from = ");
            set.push_bind_unseparated(self.state.at.clone());
            set.push("in_force_from = ");
            set.push_bind_unseparated(self.state.at.clone());
            if super::accounts::reviewed(kind) {
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
        extend_extent(tx, s.table, r.record.rect(), &self.state.at).await?;
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
                sqlx::query("DELETE FROM released_land WHERE hazard_id = ?")
                    .bind(&r.id)
                    .execute(&mut **tx)
                    .await?;
                self.state.retired_hazards.insert(r.id.clone());
            }
            RecordKind::Activities => {
                sqlx::query("DELETE FROM released_land WHERE activity_id = ?")
                    .bind(&r.id)
                    .execute(&mut **tx)
                    .await?;
                if let Some(h) = before.hazard_id() {
                    self.state.affected.insert(h.to_string());
                }
            }
            _ => {}
        }
        sqlx::query(&format!("DELETE FROM {} WHERE id = ?", s.table))
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
            let old = sqlx::query("SELECT fid, geom, layer, id, attributes FROM context_features WHERE layer = ?")
                .bind(layer)
                .fetch_all(&mut **tx)
                .await?;
            for row in &old {
                let fid: i64 = row.get("fid");
                let before = context_feature(row).map(|f| context_json(&f)).unwrap_or_default();
                self.state
                    .entry("delete", "context_features", Some(&fid.to_string()), Some(before), None);
            }
            sqlx::query("DELETE FROM context_features WHERE layer = ?")
                .bind(layer)
                .execute(&mut **tx)
                .await?;
        }
        let inserted = self.state.context_rows()?;
        insert_many(tx, "context_features", &CONTEXT_FEATURE_COLUMNS, inserted.rows).await?;
        extend_extent(tx, "context_features", inserted.rect, &self.state.at).await
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
        extend_extent(tx, "risk_cells", cell_rows.rect, &self.state.at).await?;
        // Many hazards per statement (one statement each costs a round trip to SQLite).
        for chunk in hazard_risks.chunks(2_000) {
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "UPDATE hazards SET risk_expected_share = v.column2, risk_p_any = v.column3 FROM (",
            );
            q.push_values(chunk, |mut b, h| {
                b.push_bind(&h.hazard_id)
                    .push_bind(h.expected_contaminated_share)
                    .push_bind(h.p_any);
            });
            q.push(") AS v WHERE hazards.id = v.column1");
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
        // 500 ids per statement: well under SQLite's limit on bound parameters.
        for chunk in stored_ids.chunks(500) {
            let hazards = read_kind(tx, RecordKind::Hazards, "id", chunk).await?;
            let activities = read_kind(tx, RecordKind::Activities, "hazard_id", chunk).await?;
            to_account.add_stored(hazards, activities);
        }
        let (hazards, release) = to_account.account();
        for chunk in hazards.iter().zip(&release).collect::<Vec<_>>().chunks(1_000) {
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "UPDATE hazards SET area_m2 = v.column2, cancelled_m2 = v.column3, reduced_m2 = v.column4, \
                 cleared_m2 = v.column5, remaining_m2 = v.column6, status = v.column7 FROM (",
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
            q.push(") AS v WHERE hazards.id = v.column1");
            q.build().execute(&mut **tx).await?;
            let mut del = sqlx::QueryBuilder::<Sqlite>::new("DELETE FROM released_land WHERE hazard_id IN (");
            let mut sep = del.separated(", ");
            for (h, _) in chunk {
                sep.push_bind(h.id.clone());
            }
            del.push(")");
            del.build().execute(&mut **tx).await?;
        }
        let released = released_rows(&hazards, &release)?;
        insert_many(tx, "released_land", &RELEASED_COLUMNS, released.rows).await?;
        extend_extent(tx, "released_land", released.rect, &self.state.at).await?;
        self.state.recomputed(hazards, release);
        Ok(())
    }
}

/// Records per prepared batch: a million finds never sit in memory three times (records,
/// rows, change log).
const PREPARED_ROWS: usize = 20_000;

/// Rows of one kind made from its records, ready to write: everything that does not need
/// the transaction (values, geometry blobs, the change log's GeoJSON), so that it can be made
/// on another thread while the batch before it is written.
struct Prepared {
    kind: RecordKind,
    ids: Vec<String>,
    /// The values of the kind's [`Spec::columns`], per record.
    rows: Vec<Vec<Val>>,
    /// Each record as the change log keeps it.
    features: Vec<String>,
    rect: Option<Rect<f64>>,
    /// How many records of this kind the whole insert holds (the bulk path's threshold).
    total: usize,
    /// Hazards whose computed figures the records change.
    affected: Vec<String>,
}

fn prepare<T: Columns>(records: &[T]) -> Result<Prepared> {
    let kind = records.first().map_or(RecordKind::Finds, Columns::kind);
    let mut p = Prepared {
        kind,
        ids: Vec::with_capacity(records.len()),
        rows: Vec::with_capacity(records.len()),
        features: Vec::with_capacity(records.len()),
        rect: None,
        total: records.len(),
        affected: Vec::new(),
    };
    for r in records {
        p.ids.push(r.id().to_string());
        p.rows.push(r.values()?);
        p.features.push(r.json());
        p.rect = union_rect(p.rect, r.rect());
    }
    Ok(p)
}

/// A chunk of a stream as prepared batches, in the order a changeset inserts its kinds.
fn prepare_chunk(records: Vec<AnyRecord>) -> Result<Vec<Prepared>> {
    let mut part = Changeset::default();
    for r in records {
        part.push_insert(r);
    }
    let mut prepared = Vec::new();
    let mut add = |p: Prepared| {
        if !p.ids.is_empty() {
            prepared.push(p);
        }
    };
    add(prepare(&part.organisations)?);
    add(prepare(&part.teams)?);
    let mut hazards = prepare(&part.hazards)?;
    hazards.affected = part.hazards.iter().map(|h| h.id.clone()).collect();
    add(hazards);
    let mut activities = prepare(&part.activities)?;
    activities.affected = part.activities.iter().map(|a| a.hazard_id.clone()).collect();
    add(activities);
    add(prepare(&part.finds)?);
    add(prepare(&part.accidents)?);
    add(prepare(&part.daily_progress)?);
    add(prepare(&part.qa_inspections)?);
    Ok(prepared)
}

/// From this many records in one insert, the bulk path ([`Bulk`]).
pub(crate) const BULK_ROWS: usize = 5_000;

/// The page cache of the writing connection during a bulk insert (KiB): the table, its unique
/// index and the change log being appended stay in memory instead of spilling page by page.
const BULK_CACHE_KIB: i64 = 262_144;
const CACHE_KIB: i64 = 65_536;

/// A bulk insert into one table, inside the changeset's transaction. Maintaining a GeoPackage
/// R-tree row by row (its trigger: one R-tree insertion, a statement journal page and four SQL
/// function calls per row) and secondary indexes on random keys dominated a million-find
/// import. So for a big batch the table's R-tree insert trigger is dropped, and so are its
/// secondary indexes when the batch is at least as big as the table (rebuilding them sorted
/// then costs less than maintaining them); after the rows are in, the new rows' boxes go into
/// the R-tree — written packed when it was empty ([`super::rtree::pack`]), else in one statement
/// in spatial order — and the indexes and trigger are created again
/// from their own stored SQL. SQLite DDL is transactional: a failure anywhere rolls the whole
/// changeset back, dropped trigger and indexes included, and no other connection ever sees the
/// table without them (WAL readers see the last commit). Unique constraints (the id) and
/// foreign keys are not touched: they are checked row by row as before.
struct Bulk {
    table: &'static str,
    /// The largest fid before the insert: the new rows are those above it (AUTOINCREMENT).
    fid_before: i64,
    /// Whether the R-tree insert trigger was dropped (the table has an R-tree).
    rtree: bool,
    /// The `CREATE` statements of what was dropped, in order.
    recreate: Vec<String>,
}

impl Bulk {
    async fn suspend(tx: &mut Transaction<'_, Sqlite>, table: &'static str, rows: usize) -> Result<Option<Self>> {
        let trigger = format!("rtree_{table}_geom_insert");
        let fid_before: i64 = sqlx::query_scalar(&format!("SELECT coalesce(max(fid), 0) FROM {table}"))
            .fetch_one(&mut **tx)
            .await?;
        let existing: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut **tx)
            .await?;
        let indexes = existing <= rows as i64;
        let objects: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?1 AND sql IS NOT NULL \
             AND ((type = 'index' AND ?2) OR (type = 'trigger' AND name = ?3)) ORDER BY type, name",
        )
        .bind(table)
        .bind(indexes)
        .bind(&trigger)
        .fetch_all(&mut **tx)
        .await?;
        if objects.is_empty() {
            return Ok(None);
        }
        let mut bulk = Bulk {
            table,
            fid_before,
            rtree: false,
            recreate: Vec::new(),
        };
        for (kind, name, sql) in objects {
            let drop = if kind == "trigger" {
                bulk.rtree = true;
                format!("DROP TRIGGER \"{name}\"")
            } else {
                format!("DROP INDEX \"{name}\"")
            };
            sqlx::query(&drop).execute(&mut **tx).await?;
            bulk.recreate.push(sql);
        }
        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
            .execute(&mut **tx)
            .await?;
        Ok(Some(bulk))
    }

    async fn restore(self, tx: &mut Transaction<'_, Sqlite>) -> Result<()> {
        let t = self.table;
        if self.rtree && !super::rtree::pack(tx, t, self.fid_before).await? {
            // As the trigger would have, for the new rows only; in strips of latitude, then
            // longitude, so that consecutive insertions touch the same R-tree nodes.
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO rtree_{t}_geom \
                 SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM {t} \
                 WHERE fid > ? AND geom NOT NULL AND NOT ST_IsEmpty(geom) \
                 ORDER BY CAST(ST_MinY(geom) * 20 AS INTEGER), ST_MinX(geom)"
            ))
            .bind(self.fid_before)
            .execute(&mut **tx)
            .await?;
        }
        for sql in &self.recreate {
            sqlx::query(sql)
                .execute(&mut **tx)
                .await
                .map_err(|e| constraint(e, t))?;
        }
        sqlx::query(&format!("PRAGMA cache_size = -{CACHE_KIB}"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Records of `kind` whose `column` is one of `values`, read inside the transaction.
async fn read_kind(
    tx: &mut Transaction<'_, Sqlite>,
    kind: RecordKind,
    column: &str,
    values: &[String],
) -> Result<Vec<AnyRecord>> {
    let s = spec(kind);
    let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!(
        "SELECT {} FROM {} WHERE {column} IN (",
        s.columns.join(", "),
        s.table
    ));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(") ORDER BY fid");
    let rows = qb.build().fetch_all(&mut **tx).await?;
    rows.iter().map(|r| decode(kind, r)).collect()
}

/// The last version in `<table>_history` of each of `ids` that has one.
async fn history_versions<'a>(
    tx: &mut Transaction<'_, Sqlite>,
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
    let ids: Vec<&str> = ids.collect();
    for chunk in ids.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!(
            "SELECT id, max(version) AS v FROM {table}_history WHERE id IN ("
        ));
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(id.to_string());
        }
        qb.push(") GROUP BY id");
        for row in qb.build().fetch_all(&mut **tx).await? {
            out.insert(row.try_get("id")?, row.try_get::<i64, _>("v")?.max(1) as u64);
        }
    }
    Ok(out)
}

/// One change-log entry outside a changeset (accounts), chained like the others.
pub(crate) async fn log_standalone(
    tx: &mut Transaction<'static, Sqlite>,
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
        streaming: None,
        open_bulk: None,
    };
    w.state.entry(action, entity, Some(id), before, after);
    w.flush_log(tx).await
}

/// Chains entries written before the log was hash-chained (registries from before demine's
/// migration 0005), once: from then on every entry is covered by `demine audit verify`.
pub(super) async fn seal_unhashed_log(pool: &SqlitePool) -> Result<()> {
    // Entries from before the chain are the oldest ones: when the first is hashed, all are
    // (one indexed row, not a scan of a million).
    let first: Option<Option<String>> = sqlx::query_scalar("SELECT hash FROM change_log ORDER BY fid LIMIT 1")
        .fetch_optional(pool)
        .await?;
    if !matches!(first, Some(None)) {
        return Ok(());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("DROP TRIGGER IF EXISTS change_log_no_update")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(
        "SELECT fid, at, actor, organisation, request_id, action, entity, entity_id, batch, before, after, reason, \
         prev_hash, hash FROM change_log ORDER BY fid",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut prev = String::new();
    for row in &rows {
        let mut e = log_entry(row)?;
        if let Some(h) = &e.hash {
            prev = h.clone();
            continue;
        }
        e.prev_hash = Some(prev.clone());
        let h = entry_hash(&prev, &e);
        sqlx::query("UPDATE change_log SET prev_hash = ?, hash = ? WHERE fid = ?")
            .bind(&prev)
            .bind(&h)
            .bind(e.seq)
            .execute(&mut *tx)
            .await?;
        prev = h;
    }
    sqlx::query(
        "CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log \
         BEGIN SELECT RAISE(ABORT, 'change_log is append-only: entries cannot be changed'); END",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
