//! The tamper-evident audit log: every change is an entry of a hash chain (each entry's hash
//! covers the previous entry's hash and its own fields, see `demine_store::entry_hash`).
//! `verify` walks the chain and names the first entry that does not hold; a checkpoint is the
//! chain's head signed with an Ed25519 key kept outside the registry, so that rewriting the whole
//! chain, or cutting entries off its end, is detected too.

use crate::actor::Act;
use crate::{Actor, AppError, AppResult, Progress, Registry, Repository};
use demine_store::{entry_hash, LogQuery};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Entries read per page while walking the chain.
const PAGE: u32 = 20_000;

/// The first entry of the chain that does not hold, and why.
#[derive(Debug, Clone, Serialize)]
pub struct BadEntry {
    /// Its sequence number (`demine log` shows it).
    pub seq: i64,
    pub problem: String,
}

/// What `demine audit verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub entries: u64,
    /// The last entry's sequence number and hash (the head of the chain).
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    pub first_bad: Option<BadEntry>,
    /// With a checkpoint: whether its signature and head hold for this log.
    pub checkpoint: Option<CheckpointCheck>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none() && self.checkpoint.as_ref().is_none_or(|c| c.problem.is_none())
    }
}

/// A checkpoint checked against the log.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointCheck {
    pub seq: i64,
    pub public_key: String,
    pub problem: Option<String>,
}

/// A signed head of the chain: keep it outside the registry (another machine, paper, an e-mail
/// to the authority). Later, `demine audit verify --checkpoint FILE` proves that the entries up to
/// it are the ones that were there when it was signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub registry: String,
    pub seq: i64,
    pub hash: String,
    pub entries: u64,
    pub signed_at: String,
    pub algorithm: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Signature of [`Checkpoint::message`], hex.
    pub signature: String,
}

const FORMAT: &str = "demine-audit-checkpoint-1";

impl Checkpoint {
    /// What is signed: everything that identifies the head.
    fn message(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            self.format, self.seq, self.hash, self.entries, self.signed_at
        )
    }
}

/// Walks the whole chain, oldest first.
pub async fn verify(reg: &Registry, actor: &Actor, checkpoint: Option<&Checkpoint>) -> AppResult<Verification> {
    actor.require(Act::Administer)?;
    let mut v = Verification {
        entries: 0,
        head_seq: None,
        head_hash: None,
        first_bad: None,
        checkpoint: None,
    };
    let mut prev = String::new();
    let mut prev_seq: Option<i64> = None;
    let mut at_checkpoint: Option<String> = None;
    loop {
        let page = reg
            .store
            .change_log(&LogQuery {
                limit: Some(PAGE),
                after_seq: prev_seq,
                oldest_first: true,
                ..LogQuery::default()
            })
            .await?;
        let last_page = page.len() < PAGE as usize;
        for e in page {
            v.entries += 1;
            if v.first_bad.is_none() {
                let bad = |problem: String| Some(BadEntry { seq: e.seq, problem });
                if e.prev_hash.as_deref() != Some(prev.as_str()) {
                    v.first_bad = bad(match prev_seq {
                        Some(p) => format!(
                            "it does not follow entry {p}: an entry between them was deleted, or entries were reordered"
                        ),
                        None => "it is not the first entry of the chain: earlier entries were deleted".into(),
                    });
                } else if e.hash.as_deref() != Some(entry_hash(&prev, &e).as_str()) {
                    v.first_bad = bad("its content does not match its hash: the entry was altered".into());
                }
            }
            if checkpoint.is_some_and(|c| c.seq == e.seq) {
                at_checkpoint = e.hash.clone();
            }
            prev = e.hash.clone().unwrap_or_default();
            prev_seq = Some(e.seq);
        }
        if last_page {
            break;
        }
    }
    v.head_seq = prev_seq;
    v.head_hash = prev_seq.map(|_| prev.clone());
    if let Some(c) = checkpoint {
        let problem = match check_signature(c) {
            Err(p) => Some(p),
            Ok(()) => match at_checkpoint {
                Some(h) if h == c.hash => None,
                Some(_) => Some(format!(
                    "entry {} is not the one the checkpoint signed: the log up to it was rewritten",
                    c.seq
                )),
                None if prev_seq.is_some_and(|s| s < c.seq) || prev_seq.is_none() => Some(format!(
                    "the log ends at entry {} but the checkpoint signed entry {}: entries at its end were deleted",
                    prev_seq.unwrap_or(0),
                    c.seq
                )),
                None => Some(format!("entry {} of the checkpoint is missing: it was deleted", c.seq)),
            },
        };
        v.checkpoint = Some(CheckpointCheck {
            seq: c.seq,
            public_key: c.public_key.clone(),
            problem,
        });
    }
    Ok(v)
}

fn check_signature(c: &Checkpoint) -> Result<(), String> {
    if c.format != FORMAT || c.algorithm != "ed25519" {
        return Err(format!(
            "the checkpoint's format is {} / {}, expected {FORMAT} / ed25519",
            c.format, c.algorithm
        ));
    }
    let key_bytes: [u8; 32] = hex::decode(&c.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the checkpoint's public_key is not a 32-byte hex Ed25519 key")?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("the checkpoint's public_key: {e}"))?;
    let sig_bytes: [u8; 64] = hex::decode(&c.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the checkpoint's signature is not 64 bytes of hex")?;
    key.verify(c.message().as_bytes(), &Signature::from_bytes(&sig_bytes))
        .map_err(|_| "the checkpoint's signature does not match its content: it was altered".to_string())
}

/// Reads a checkpoint file, naming it in errors.
pub fn read_checkpoint(path: &Path) -> AppResult<Checkpoint> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::refused(format!("{}: cannot read the checkpoint: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        AppError::refused(format!(
            "{}: not a demine audit checkpoint ({e}); `demine audit checkpoint` writes one",
            path.display()
        ))
    })
}

/// The signing key at `path` (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes), made
/// with mode 0600 if there is none yet. Returns the key and whether it was created.
pub fn signing_key(path: &Path) -> AppResult<(SigningKey, bool)> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| AppError::refused(format!("{}: cannot read the signing key: {e}", path.display())))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            AppError::refused(format!(
                "{}: not an Ed25519 private key in PKCS#8 PEM ({e})",
                path.display()
            ))
        })?;
        return Ok((key, false));
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(Default::default())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding the signing key: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::refused(format!("{}: cannot create the key's folder: {e}", dir.display())))?;
    }
    write_private(path, pem.as_bytes())?;
    Ok((key, true))
}

fn write_private(path: &Path, bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| AppError::refused(format!("{}: cannot create the signing key: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| AppError::refused(format!("{}: cannot write the signing key: {e}", path.display())))
}

/// `demine audit checkpoint`: verifies the chain, then signs its head.
pub async fn checkpoint(reg: &Registry, actor: &Actor, key: &SigningKey) -> AppResult<Checkpoint> {
    let v = verify(reg, actor, None).await?;
    if let Some(bad) = &v.first_bad {
        return Err(AppError::refused(format!(
            "the audit log does not hold at entry {}: {}; a checkpoint would sign a broken chain",
            bad.seq, bad.problem
        )));
    }
    let (Some(seq), Some(hash)) = (v.head_seq, v.head_hash) else {
        return Err(AppError::refused(
            "the audit log is empty: there is nothing to sign yet",
        ));
    };
    let mut c = Checkpoint {
        format: FORMAT.into(),
        registry: reg.location.describe(),
        seq,
        hash,
        entries: v.entries,
        signed_at: demine_store::now_stamp(),
        algorithm: "ed25519".into(),
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: String::new(),
    };
    c.signature = hex::encode(key.sign(c.message().as_bytes()).to_bytes());
    Ok(c)
}

/// `demine backup FILE`: a consistent snapshot of the registry, taken while a server runs.
pub async fn backup(reg: &Registry, actor: &Actor, to: &Path) -> AppResult<u64> {
    actor.require(Act::Administer)?;
    if to.exists() {
        return Err(AppError::refused(format!(
            "{}: the file exists; give a new file name (a backup never overwrites)",
            to.display()
        )));
    }
    reg.store
        .snapshot_to(to)
        .await
        .map_err(|e| AppError::refused(format!("{}: cannot write the backup: {e}", to.display())))?;
    Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
}

/// What `demine restore` did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub from: String,
    pub to: String,
    pub audit_entries: u64,
}

/// `demine restore FILE`: checks that FILE is a registry whose audit log holds, then puts it in
/// place of the registry at `to` (the old file is kept beside it as `.before-restore`). The
/// server must be stopped: a running server keeps the old file open.
pub async fn restore(from: &Path, to: &crate::Location, actor: &Actor) -> AppResult<Restored> {
    actor.require(Act::Administer)?;
    // Infallible without the `postgres` feature.
    #[allow(clippy::infallible_destructuring_match)]
    let target = match to {
        crate::Location::GeoPackage(p) => p,
        #[cfg(feature = "postgres")]
        crate::Location::Postgres(_) => {
            return Err(AppError::refused(format!(
                "{}: `demine restore` into a PostgreSQL registry is not implemented yet; restore the database with pg_restore",
                to.describe()
            )))
        }
    };
    let source = crate::Location::GeoPackage(from.to_path_buf());
    let reg = Registry::open(&source).await?;
    let v = verify(&reg, actor, None).await?;
    reg.close().await?;
    if let Some(bad) = v.first_bad {
        return Err(AppError::refused(format!(
            "{}: its audit log does not hold at entry {}: {}; not restoring it",
            from.display(),
            bad.seq,
            bad.problem
        )));
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staged = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| AppError::refused(format!("{}: cannot write there: {e}", dir.display())))?;
    std::fs::copy(from, staged.path())
        .map_err(|e| AppError::refused(format!("{}: cannot copy it: {e}", from.display())))?;
    if target.exists() {
        // The old registry stays beside the new one, with its write-ahead log if any.
        let kept = target.with_extension("gpkg.before-restore");
        for suffix in ["", "-wal", "-shm"] {
            let side = |p: &Path| {
                let mut s = p.as_os_str().to_owned();
                s.push(suffix);
                std::path::PathBuf::from(s)
            };
            if side(target).exists() {
                std::fs::rename(side(target), side(&kept))
                    .map_err(|e| AppError::refused(format!("{}: cannot move it aside: {e}", side(target).display())))?;
            }
        }
    }
    staged
        .persist(target)
        .map_err(|e| AppError::refused(format!("{}: cannot put the backup in place: {e}", target.display())))?;
    Ok(Restored {
        from: from.display().to_string(),
        to: target.display().to_string(),
        audit_entries: v.entries,
    })
}

/// What `demine migrate` moved, and what it checked on the copy.
#[derive(Debug, Clone, Serialize)]
pub struct Migrated {
    pub from: String,
    pub to: String,
    /// Rows copied per table.
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
    /// The audit chain of the copy, verified after the move.
    pub audit_entries: u64,
    pub audit_head_hash: Option<String>,
    /// Released area of the copy (m², geodesic), equal to the source's.
    pub released_m2: f64,
    pub remaining_m2: f64,
}

/// `demine migrate --from A --to B`: copies the registry at `from` into a new, empty registry
/// at `to` (GeoPackage ⇄ PostgreSQL), row for row, in one transaction on the target; then checks
/// the copy — its audit chain verifies with the same head as the source's, and its land-release
/// figures equal the source's. Any difference is an error (the copy is kept for inspection).
pub async fn migrate(
    from: &crate::Location,
    to: &crate::Location,
    actor: &Actor,
    progress: &dyn Progress,
) -> AppResult<Migrated> {
    actor.require(Act::Administer)?;
    if from.describe() == to.describe() {
        return Err(AppError::refused(format!(
            "--from and --to are the same registry ({}); give a new, empty target",
            from.describe()
        )));
    }
    let source = Registry::open(from).await?;
    let before = verify(&source, actor, None).await?;
    if let Some(bad) = &before.first_bad {
        return Err(AppError::refused(format!(
            "{}: the audit chain does not verify (entry {}: {}); a registry is moved only when its log holds — run `demine audit verify` there first",
            source.name(),
            bad.seq,
            bad.problem
        )));
    }
    let target = Registry::open_or_create(to).await?;
    progress.stage(&format!("copying {} → {}", source.name(), target.name()));
    let mut current = String::new();
    let report = demine_store::transfer::copy_registry(&source.store, &target.store, &mut |table, n| {
        if table != current {
            current = table.to_string();
        }
        progress.advance(n, n);
    })
    .await
    .map_err(|e| AppError::refused(format!("{} → {}: {e}", source.name(), target.name())))?;
    progress.finish();
    progress.stage("checking the copy: audit chain and land release");
    let after = verify(&target, actor, None).await?;
    if !after.ok() || after.head_hash != before.head_hash || after.entries != before.entries {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{}: the copy's audit chain differs from the source's ({} entries, head {:?}; source {} entries, head {:?})",
            target.name(),
            after.entries,
            after.head_hash,
            before.entries,
            before.head_hash
        )));
    }
    let req = crate::release::ReleaseRequest::default();
    let a = crate::release::release(&source, actor, &req).await?;
    let b = crate::release::release(&target, actor, &req).await?;
    let (ja, jb) = (crate::release::release_json(&a), crate::release::release_json(&b));
    if ja != jb {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{}: the copy's land-release figures differ from the source's; the copy is kept for inspection",
            target.name()
        )));
    }
    progress.finish();
    let released_m2 = b.release.totals.released_m2();
    let remaining_m2 = b.release.totals.remaining_m2;
    let out = Migrated {
        from: source.name(),
        to: target.name(),
        rows: report.rows(),
        tables: report.tables,
        audit_entries: after.entries,
        audit_head_hash: after.head_hash,
        released_m2,
        remaining_m2,
    };
    source.close().await?;
    target.close().await?;
    Ok(out)
}
