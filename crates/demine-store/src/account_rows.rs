//! Accounts, tokens, submissions and conflicts decoded from a row of either backend: the tables
//! are the same in the GeoPackage and in PostgreSQL, and only [`Cells`] differs.

use crate::gpkg::codec::Cells;
use crate::{Conflict, Result, StoreError, Submission, TokenRecord, UserRecord};

/// A damaged row of `table`, named by its key.
fn corrupt(table: &'static str, key: &str) -> impl Fn(String) -> StoreError {
    let key = key.to_string();
    move |why| StoreError::Corrupt {
        table,
        id: key.clone(),
        why,
    }
}

pub(crate) fn user(r: &impl Cells) -> Result<UserRecord> {
    let username = r.req_text("username").map_err(corrupt("users", "?"))?;
    let bad = corrupt("users", &username);
    Ok(UserRecord {
        password_hash: r.req_text("password_hash").map_err(&bad)?,
        role: r.req_text("role").map_err(&bad)?,
        organisation: r.opt_text("organisation"),
        assigned: serde_json::from_str(&r.req_text("assigned").map_err(&bad)?).unwrap_or_default(),
        disabled: r.flag("disabled").map_err(&bad)?,
        failed_logins: r.req_int("failed_logins").map_err(&bad)?.max(0) as u32,
        locked_until: r.opt_text("locked_until"),
        created_at: r.req_text("created_at").map_err(&bad)?,
        username,
    })
}

pub(crate) fn token(r: &impl Cells) -> Result<TokenRecord> {
    let bad = corrupt("tokens", "(a token)");
    Ok(TokenRecord {
        token_hash: r.req_text("token_hash").map_err(&bad)?,
        username: r.req_text("username").map_err(&bad)?,
        created_at: r.req_text("created_at").map_err(&bad)?,
        expires_at: r.req_text("expires_at").map_err(&bad)?,
        revoked_at: r.opt_text("revoked_at"),
    })
}

pub(crate) fn submission(r: &impl Cells) -> Result<Submission> {
    let client_id = r.req_text("client_id").map_err(corrupt("submissions", "?"))?;
    let bad = corrupt("submissions", &client_id);
    Ok(Submission {
        username: r.req_text("username").map_err(&bad)?,
        body_hash: r.req_text("body_hash").map_err(&bad)?,
        status: r.req_int("status").map_err(&bad)?.clamp(0, 999) as u16,
        response: r.req_text("response").map_err(&bad)?,
        created_at: r.req_text("created_at").map_err(&bad)?,
        client_id,
    })
}

pub(crate) fn conflict(r: &impl Cells) -> Result<Conflict> {
    let fid = r.req_int("fid").map_err(corrupt("conflicts", "?"))?;
    let key = fid.to_string();
    let bad = corrupt("conflicts", &key);
    let kind = r.req_text("kind").map_err(&bad)?;
    Ok(Conflict {
        fid,
        kind: kind
            .parse()
            .map_err(|e: demine_core::UnknownValue| bad(format!("kind: {e}")))?,
        record_id: r.req_text("record_id").map_err(&bad)?,
        based_on: r.req_int("based_on").map_err(&bad)?.max(0) as u64,
        stored_version: r.req_int("stored_version").map_err(&bad)?.max(0) as u64,
        proposed: serde_json::from_str(&r.req_text("proposed").map_err(&bad)?).unwrap_or(serde_json::Value::Null),
        username: r.req_text("username").map_err(&bad)?,
        organisation: r.opt_text("organisation"),
        created_at: r.req_text("created_at").map_err(&bad)?,
        status: r.req_text("status").map_err(&bad)?,
        resolution: r.opt_text("resolution"),
    })
}
