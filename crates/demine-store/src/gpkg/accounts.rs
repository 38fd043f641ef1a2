//! Accounts, tokens, submissions and conflicts in the GeoPackage (plain SQLite tables).

use super::GeoPackageStore;
use crate::account_rows;
use crate::{Accounts, Author, Conflict, Result, Submission, TokenRecord, UserRecord};
use demine_core::RecordKind;

impl Accounts for GeoPackageStore {
    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_rows::user).transpose()
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY username")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(account_rows::user).collect()
    }

    async fn save_user(&self, u: &UserRecord, author: &Author) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO users (username, password_hash, role, organisation, assigned, disabled, failed_logins, locked_until, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, \
             role = excluded.role, organisation = excluded.organisation, assigned = excluded.assigned, \
             disabled = excluded.disabled, failed_logins = excluded.failed_logins, locked_until = excluded.locked_until",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(&u.role)
        .bind(&u.organisation)
        .bind(serde_json::to_string(&u.assigned).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(u.disabled))
        .bind(i64::from(u.failed_logins))
        .bind(&u.locked_until)
        .bind(&u.created_at)
        .execute(&mut *tx)
        .await?;
        // The account change goes to the audit chain (never its password hash).
        let after = serde_json::to_string(u).unwrap_or_default();
        super::write::log_standalone(&mut tx, author, "account", "users", &u.username, None, Some(after)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login_attempt(
        &self,
        username: &str,
        ok: bool,
        failures_to_lock: u32,
        lock_until: &str,
    ) -> Result<Option<UserRecord>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if ok {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?")
                .bind(username)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE users SET failed_logins = failed_logins + 1, \
                 locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE username = ?",
            )
            .bind(i64::from(failures_to_lock))
            .bind(lock_until)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query("SELECT * FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(account_rows::user).transpose()
    }

    async fn save_token(&self, t: &TokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, username, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.username)
        .bind(&t.created_at)
        .bind(&t.expires_at)
        .bind(&t.revoked_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_rows::token).transpose()
    }

    async fn revoke_tokens(&self, username: &str, token_hash: Option<&str>, at: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL AND (? IS NULL OR token_hash = ?)",
        )
        .bind(at)
        .bind(username)
        .bind(token_hash)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn submission(&self, client_id: &str) -> Result<Option<Submission>> {
        let row = sqlx::query("SELECT * FROM submissions WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_rows::submission).transpose()
    }

    async fn conflicts(&self, open_only: bool) -> Result<Vec<Conflict>> {
        let rows = sqlx::query("SELECT * FROM conflicts WHERE (? = 0 OR status = 'open') ORDER BY fid")
            .bind(i64::from(open_only))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(account_rows::conflict).collect()
    }
}

/// The kinds whose records carry a review state.
pub(crate) fn reviewed(kind: RecordKind) -> bool {
    !matches!(kind, RecordKind::Organisations | RecordKind::Teams)
}
