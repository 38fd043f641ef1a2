//! Accounts, tokens, submissions and conflicts in PostgreSQL (plain tables, as in the GeoPackage).

use super::write::{begin_write, log_standalone};
use super::PgStore;
use crate::account_rows;
use crate::{Accounts, Author, Conflict, Result, Submission, TokenRecord, UserRecord};

const USER_COLUMNS: &str =
    "username, password_hash, role, organisation, assigned, disabled, failed_logins, locked_until, created_at";

impl Accounts for PgStore {
    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let read = async {
            let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(account_rows::user).transpose()
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
        rows.iter().map(account_rows::user).collect()
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
        row.as_ref().map(account_rows::user).transpose()
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
            row.as_ref().map(account_rows::token).transpose()
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
        row.as_ref().map(account_rows::submission).transpose()
    }

    async fn conflicts(&self, open_only: bool) -> Result<Vec<Conflict>> {
        let rows = sqlx::query(
            "SELECT fid, kind, record_id, based_on, stored_version, proposed, username, organisation, created_at, \
             status, resolution FROM conflicts WHERE (NOT $1 OR status = 'open') ORDER BY fid",
        )
        .bind(open_only)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_rows::conflict).collect()
    }
}
