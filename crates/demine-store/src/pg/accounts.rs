//! Accounts, tokens, submissions and conflicts in PostgreSQL (plain tables, as in the GeoPackage).

use super::write::{begin_write, log_standalone};
use super::PgStore;
use crate::gpkg::codec::Cells;
use crate::{Accounts, Author, Conflict, Result, StoreError, Submission, TokenRecord, UserRecord};
use sqlx::postgres::PgRow;
use sqlx::Row;

const USER_COLUMNS: &str =
    "username, password_hash, role, organisation, assigned, disabled, failed_logins, locked_until, created_at";

fn user(r: &PgRow) -> Result<UserRecord> {
    let assigned: String = r.try_get("assigned")?;
    Ok(UserRecord {
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get("role")?,
        organisation: r.opt_text("organisation"),
        assigned: serde_json::from_str(&assigned).unwrap_or_default(),
        disabled: r.try_get::<bool, _>("disabled")?,
        failed_logins: r.try_get::<i64, _>("failed_logins")?.max(0) as u32,
        locked_until: r.opt_text("locked_until"),
        created_at: r.try_get("created_at")?,
    })
}

fn conflict(r: &PgRow) -> Result<Conflict> {
    let kind: String = r.try_get("kind")?;
    let proposed: String = r.try_get("proposed")?;
    Ok(Conflict {
        fid: r.try_get("fid")?,
        kind: kind
            .parse()
            .map_err(|e: demine_core::UnknownValue| StoreError::Corrupt {
                table: "conflicts",
                id: kind.clone(),
                why: e.to_string(),
            })?,
        record_id: r.try_get("record_id")?,
        based_on: r.try_get::<i64, _>("based_on")?.max(0) as u64,
        stored_version: r.try_get::<i64, _>("stored_version")?.max(0) as u64,
        proposed: serde_json::from_str(&proposed).unwrap_or(serde_json::Value::Null),
        username: r.try_get("username")?,
        organisation: r.opt_text("organisation"),
        created_at: r.try_get("created_at")?,
        status: r.try_get("status")?,
        resolution: r.opt_text("resolution"),
    })
}

impl Accounts for PgStore {
    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let read = async {
            let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(user).transpose()
        };
        match &self.watch {
            Some(w) => w.user(username, read).await,
            None => read.await,
        }
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    async fn save_user(&self, u: &UserRecord, author: &Author) -> Result<()> {
        // The account change goes to the audit chain, so it takes the write lock.
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO users (username, password_hash, role, organisation, assigned, disabled, failed_logins, locked_until, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, \
             role = excluded.role, organisation = excluded.organisation, assigned = excluded.assigned, \
             disabled = excluded.disabled, failed_logins = excluded.failed_logins, locked_until = excluded.locked_until",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(&u.role)
        .bind(&u.organisation)
        .bind(serde_json::to_string(&u.assigned).unwrap_or_else(|_| "[]".into()))
        .bind(u.disabled)
        .bind(i64::from(u.failed_logins))
        .bind(&u.locked_until)
        .bind(&u.created_at)
        .execute(&mut *tx)
        .await?;
        // Never its password hash.
        let after = serde_json::to_string(u).unwrap_or_default();
        log_standalone(&mut tx, author, "account", "users", &u.username, None, Some(after)).await?;
        tx.commit().await?;
        self.forget_kept();
        Ok(())
    }

    async fn login_attempt(
        &self,
        username: &str,
        ok: bool,
        failures_to_lock: u32,
        lock_until: &str,
    ) -> Result<Option<UserRecord>> {
        // One statement: concurrent attempts each count (the row is locked by the UPDATE).
        let row = if ok {
            sqlx::query(&format!(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1 RETURNING {USER_COLUMNS}"
            ))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
        } else {
            sqlx::query(&format!(
                "UPDATE users SET failed_logins = failed_logins + 1, \
                 locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
                 WHERE username = $3 RETURNING {USER_COLUMNS}"
            ))
            .bind(i64::from(failures_to_lock))
            .bind(lock_until)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
        };
        self.forget_kept();
        row.as_ref().map(user).transpose()
    }

    async fn save_token(&self, t: &TokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, username, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&t.token_hash)
        .bind(&t.username)
        .bind(&t.created_at)
        .bind(&t.expires_at)
        .bind(&t.revoked_at)
        .execute(&self.pool)
        .await?;
        self.forget_kept();
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let read = async {
            let row = sqlx::query(
                "SELECT token_hash, username, created_at, expires_at, revoked_at FROM tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(match row {
                None => None,
                Some(r) => Some(TokenRecord {
                    token_hash: r.try_get("token_hash")?,
                    username: r.try_get("username")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.opt_text("revoked_at"),
                }),
            })
        };
        match &self.watch {
            Some(w) => w.token(token_hash, read).await,
            None => read.await,
        }
    }

    async fn revoke_tokens(&self, username: &str, token_hash: Option<&str>, at: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL \
             AND ($3::text IS NULL OR token_hash = $3)",
        )
        .bind(at)
        .bind(username)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        self.forget_kept();
        Ok(done.rows_affected())
    }

    async fn submission(&self, client_id: &str) -> Result<Option<Submission>> {
        let row = sqlx::query(
            "SELECT client_id, username, body_hash, status, response, created_at FROM submissions WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => None,
            Some(r) => Some(Submission {
                client_id: r.try_get("client_id")?,
                username: r.try_get("username")?,
                body_hash: r.try_get("body_hash")?,
                status: r.try_get::<i64, _>("status")?.clamp(0, 999) as u16,
                response: r.try_get("response")?,
                created_at: r.try_get("created_at")?,
            }),
        })
    }

    async fn conflicts(&self, open_only: bool) -> Result<Vec<Conflict>> {
        let rows = sqlx::query(
            "SELECT fid, kind, record_id, based_on, stored_version, proposed, username, organisation, created_at, \
             status, resolution FROM conflicts WHERE (NOT $1 OR status = 'open') ORDER BY fid",
        )
        .bind(open_only)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(conflict).collect()
    }
}
