//! Accounts of the shared registry: users with a role and an organisation, argon2id password
//! hashes, bearer tokens (stored as SHA-256 hashes), lockout after repeated failures.

use crate::actor::Act;
use crate::{Actor, AppError, AppResult, Registry, Role};
use demine_store::{Accounts, Repository, TokenRecord, UserRecord};
use sha2::{Digest, Sha256};

/// Failed logins in a row that lock an account.
pub const FAILURES_TO_LOCK: u32 = 5;
/// How long a lock lasts, minutes.
pub const LOCK_MINUTES: i64 = 15;
/// How long a token lasts, hours.
pub const TOKEN_HOURS: i64 = 12;

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub organisation: Option<String>,
    /// QA inspectors: the organisations they inspect.
    pub assigned: Vec<String>,
    pub password: String,
}

fn check_username(u: &str) -> AppResult<()> {
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AppError::refused(format!(
            "username '{u}': use 3–64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

fn check_password(p: &str) -> AppResult<()> {
    if p.chars().count() < 10 {
        return Err(AppError::refused(
            "the password is too short: use at least 10 characters (a passphrase is best)",
        ));
    }
    Ok(())
}

fn hash_password(p: &str) -> AppResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(p.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing the password: {e}")))
}

fn verify_password(p: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| argon2::Argon2::default().verify_password(p.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A password hash that no password matches, verified against when the user does not exist,
/// so that a wrong username takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never given").unwrap_or_default())
}

fn actor_of(u: &UserRecord, request_id: Option<String>) -> AppResult<Actor> {
    let role: Role = u
        .role
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(Actor {
        name: u.username.clone(),
        role,
        organisation: u.organisation.clone(),
        assigned: u.assigned.clone(),
        request_id,
    })
}

/// `demine user add`: a new account (the actor must be an administrator).
pub async fn add_user(reg: &Registry, actor: &Actor, n: &NewUser) -> AppResult<UserRecord> {
    actor.require(Act::Administer)?;
    check_username(&n.username)?;
    check_password(&n.password)?;
    if reg.store.user(&n.username).await?.is_some() {
        return Err(AppError::refused(format!(
            "user '{}' already exists; `demine user passwd` changes a password",
            n.username
        )));
    }
    let needs_org = matches!(n.role, Role::Planner | Role::TeamLeader);
    if needs_org && n.organisation.is_none() {
        return Err(AppError::refused(format!(
            "a {} works for an organisation: give --org ORG",
            n.role.as_str()
        )));
    }
    if n.role == Role::QaInspector && n.assigned.is_empty() && n.organisation.is_none() {
        return Err(AppError::refused(
            "a QA inspector inspects some organisations' work: give --assigned ORG,... (or --org)",
        ));
    }
    let orgs = reg.store.ids(demine_core::RecordKind::Organisations).await?;
    for o in n.organisation.iter().chain(&n.assigned) {
        if !orgs.contains(o) {
            return Err(AppError::refused(format!(
                "organisation '{o}' is not in the registry; import it first (`demine import organisations FILE`)"
            )));
        }
    }
    let u = UserRecord {
        username: n.username.clone(),
        password_hash: hash_password(&n.password)?,
        role: n.role.as_str().to_string(),
        organisation: n.organisation.clone(),
        assigned: n.assigned.clone(),
        disabled: false,
        failed_logins: 0,
        locked_until: None,
        created_at: demine_store::now_stamp(),
    };
    reg.store.save_user(&u, &actor.author()).await?;
    Ok(u)
}

pub async fn list_users(reg: &Registry, actor: &Actor) -> AppResult<Vec<UserRecord>> {
    actor.require(Act::Administer)?;
    Ok(reg.store.users().await?)
}

async fn existing(reg: &Registry, username: &str) -> AppResult<UserRecord> {
    reg.store
        .user(username)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user '{username}'")))
}

/// Disables (or enables) an account; its tokens are revoked.
pub async fn set_disabled(reg: &Registry, actor: &Actor, username: &str, disabled: bool) -> AppResult<UserRecord> {
    actor.require(Act::Administer)?;
    let mut u = existing(reg, username).await?;
    u.disabled = disabled;
    reg.store.save_user(&u, &actor.author()).await?;
    if disabled {
        reg.store
            .revoke_tokens(username, None, &demine_store::now_stamp())
            .await?;
    }
    Ok(u)
}

/// A new password; every token of the account is revoked.
pub async fn set_password(reg: &Registry, actor: &Actor, username: &str, password: &str) -> AppResult<()> {
    if actor.name != username {
        actor.require(Act::Administer)?;
    }
    check_password(password)?;
    let mut u = existing(reg, username).await?;
    u.password_hash = hash_password(password)?;
    u.failed_logins = 0;
    u.locked_until = None;
    reg.store.save_user(&u, &actor.author()).await?;
    reg.store
        .revoke_tokens(username, None, &demine_store::now_stamp())
        .await?;
    Ok(())
}

const WRONG: &str = "wrong username or password";

/// Checks a username and password; counts failures and locks the account after
/// [`FAILURES_TO_LOCK`]. The message never says which of the two was wrong.
pub async fn check_credentials(
    reg: &Registry,
    username: &str,
    password: &str,
    request_id: Option<String>,
) -> AppResult<Actor> {
    let now = chrono::Utc::now();
    let Some(u) = reg.store.user(username).await? else {
        verify_password(password, decoy_hash());
        return Err(AppError::Unauthorized(WRONG.into()));
    };
    if let Some(until) = &u.locked_until {
        if until.as_str() > demine_store::now_stamp().as_str() {
            return Err(AppError::Unauthorized(format!(
                "the account is locked after {FAILURES_TO_LOCK} failed logins until {until}; an administrator can unlock it with `demine user passwd`"
            )));
        }
    }
    let ok = verify_password(password, &u.password_hash) && !u.disabled;
    let lock_until =
        (now + chrono::Duration::minutes(LOCK_MINUTES)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    reg.store
        .login_attempt(username, ok, FAILURES_TO_LOCK, &lock_until)
        .await?;
    if !ok {
        return Err(AppError::Unauthorized(WRONG.into()));
    }
    actor_of(&u, request_id)
}

/// Remembers HTTP Basic credentials already verified, so that a GIS client sending them on every
/// request costs one account lookup, not one argon2 verification. An entry holds only while the
/// account's password hash is unchanged and the account is enabled and unlocked.
#[derive(Default)]
pub struct BasicCache {
    verified: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl BasicCache {
    const MAX_ENTRIES: usize = 10_000;
}

/// HTTP Basic: [`check_credentials`], with verified credentials remembered in `cache`.
pub async fn check_basic(
    reg: &Registry,
    cache: &BasicCache,
    username: &str,
    password: &str,
    request_id: Option<String>,
) -> AppResult<Actor> {
    let key = hex::encode(Sha256::digest(format!("{username}\u{0}{password}").as_bytes()));
    let remembered = cache
        .verified
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    if let Some(hash) = remembered {
        if let Some(u) = reg.store.user(username).await? {
            let locked = u
                .locked_until
                .as_deref()
                .is_some_and(|t| t > demine_store::now_stamp().as_str());
            if u.password_hash == hash && !u.disabled && !locked {
                return actor_of(&u, request_id);
            }
        }
    }
    let actor = check_credentials(reg, username, password, request_id).await?;
    if let Some(u) = reg.store.user(username).await? {
        let mut map = cache.verified.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= BasicCache::MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, u.password_hash);
    }
    Ok(actor)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A bearer token and when it expires.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: String,
}

/// `POST /api/v1/auth/token`: a token for a username and password.
pub async fn login(
    reg: &Registry,
    username: &str,
    password: &str,
    request_id: Option<String>,
) -> AppResult<IssuedToken> {
    let actor = check_credentials(reg, username, password, request_id).await?;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = chrono::Utc::now();
    let expires_at = (now + chrono::Duration::hours(TOKEN_HOURS)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    reg.store
        .save_token(&TokenRecord {
            token_hash: token_hash(&token),
            username: actor.name,
            created_at: demine_store::now_stamp(),
            expires_at: expires_at.clone(),
            revoked_at: None,
        })
        .await?;
    Ok(IssuedToken { token, expires_at })
}

/// The actor a bearer token stands for: refused when unknown, expired, revoked, or its account
/// disabled.
pub async fn authenticate(reg: &Registry, token: &str, request_id: Option<String>) -> AppResult<Actor> {
    let bad = || AppError::Unauthorized("the token is not valid: log in again".into());
    let t = reg.store.token(&token_hash(token)).await?.ok_or_else(bad)?;
    if t.revoked_at.is_some() || t.expires_at.as_str() <= demine_store::now_stamp().as_str() {
        return Err(bad());
    }
    let u = reg.store.user(&t.username).await?.ok_or_else(bad)?;
    if u.disabled {
        return Err(bad());
    }
    actor_of(&u, request_id)
}

/// Revokes a token (its holder logs out), or all of a user's tokens (an administrator).
pub async fn revoke(reg: &Registry, actor: &Actor, token: Option<&str>, username: Option<&str>) -> AppResult<u64> {
    let user = username.unwrap_or(&actor.name);
    if user != actor.name {
        actor.require(Act::Administer)?;
    }
    let hash = token.map(token_hash);
    Ok(reg
        .store
        .revoke_tokens(user, hash.as_deref(), &demine_store::now_stamp())
        .await?)
}
