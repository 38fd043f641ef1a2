//! Typed refusals: what the CLI turns into exit codes and the server into problem details.

use demine_store::StoreError;

/// Input or a request refused, with every located problem and what to do. Nothing was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Refusal {
    /// One line per problem, each naming the file or request, the record, the field and the
    /// problem (e.g. `h.geojson: record 2, id 'H2', field `class`: 'XHA' is not one of …`).
    pub problems: Vec<String>,
    /// Notes that came with the problems (repairs, tolerated oddities), located the same way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What to do, and that nothing was written (e.g. `nothing was written: the registry
    /// demine.gpkg is unchanged. Mend the file and import it again`).
    pub hint: Option<String>,
    /// Structured detail for machine readers (the import's problems with index, id, field).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl Refusal {
    /// One problem.
    pub fn one(problem: impl Into<String>) -> Refusal {
        Refusal {
            problems: vec![problem.into()],
            ..Refusal::default()
        }
    }
    /// With what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Refusal {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for p in &self.problems {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{p}")?;
        }
        if let Some(h) = &self.hint {
            if !first {
                writeln!(f)?;
            }
            write!(f, "{h}")?;
        }
        Ok(())
    }
}

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input or a rule that does not hold: nothing was written. CLI exit 2, HTTP 400/422.
    #[error("{0}")]
    Refused(Box<Refusal>),
    /// No such record, or one the actor may not see (never told apart). CLI exit 2, HTTP 404.
    #[error("{0}")]
    NotFound(String),
    /// The change was based on a version the registry no longer holds. CLI exit 2, HTTP 409.
    #[error("{0}")]
    Stale(String),
    /// Not logged in, or the credentials are wrong, expired or revoked. HTTP 401.
    #[error("{0}")]
    Unauthorized(String),
    /// The same submission id came with another body. HTTP 409.
    #[error("{0}")]
    Conflict(String),
    /// The actor's role does not allow this. CLI exit 2, HTTP 403.
    #[error("{0}")]
    Forbidden(String),
    /// Not the user's input: the disk, the database, a bug. CLI exit 1, HTTP 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The error with `f` applied to every text it tells the user (problems, notes, hint and the
    /// strings of its detail); internal errors as they are.
    pub fn map_text(self, f: &dyn Fn(&str) -> String) -> AppError {
        fn map_value(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
            match v {
                serde_json::Value::String(s) => *s = f(s),
                serde_json::Value::Array(a) => a.iter_mut().for_each(|v| map_value(v, f)),
                serde_json::Value::Object(o) => o.values_mut().for_each(|v| map_value(v, f)),
                _ => {}
            }
        }
        match self {
            AppError::Refused(mut r) => {
                r.problems = r.problems.iter().map(|p| f(p)).collect();
                r.notes = r.notes.iter().map(|p| f(p)).collect();
                r.hint = r.hint.as_deref().map(f);
                map_value(&mut r.detail, f);
                AppError::Refused(r)
            }
            AppError::NotFound(s) => AppError::NotFound(f(&s)),
            AppError::Stale(s) => AppError::Stale(f(&s)),
            AppError::Unauthorized(s) => AppError::Unauthorized(f(&s)),
            AppError::Conflict(s) => AppError::Conflict(f(&s)),
            AppError::Forbidden(s) => AppError::Forbidden(f(&s)),
            AppError::Internal(e) => AppError::Internal(e),
        }
    }

    /// A refusal with one located problem.
    pub fn refused(problem: impl Into<String>) -> AppError {
        AppError::Refused(Box::new(Refusal::one(problem)))
    }

    /// Adds what to do (refusals only).
    pub fn with_hint(self, hint: impl Into<String>) -> AppError {
        match self {
            AppError::Refused(r) => AppError::Refused(Box::new(r.hint(hint))),
            other => other,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound { .. } => AppError::NotFound(e.to_string()),
            StoreError::Stale { .. } => AppError::Stale(e.to_string()),
            StoreError::DuplicateSubmission { .. } => AppError::Conflict(e.to_string()),
            StoreError::Refused(_) | StoreError::Missing { .. } | StoreError::NotARegistry { .. } => {
                AppError::refused(e.to_string())
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> AppError {
        AppError::Internal(e.into())
    }
}

impl From<demine_io::FileError> for AppError {
    fn from(e: demine_io::FileError) -> AppError {
        match e {
            demine_io::FileError::Write { .. } => AppError::Internal(anyhow::Error::new(e)),
            other => AppError::refused(other.to_string()),
        }
    }
}

/// `Err(msg)` of a checking function → a refusal.
pub trait OrRefuse<T> {
    fn or_refuse(self) -> Result<T, AppError>;
}

impl<T, E: std::fmt::Display> OrRefuse<T> for Result<T, E> {
    fn or_refuse(self) -> Result<T, AppError> {
        self.map_err(|e| AppError::refused(e.to_string()))
    }
}
