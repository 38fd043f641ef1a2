//! # demine-app
//!
//! demine's use cases, over the registry: import (validated, all or nothing, dry run, upsert),
//! correct (amend, retire), release figures, reports, the risk map, priorities, plans and
//! forecasts, field work (lanes, daily progress), QA, residual risk, certificates, and the demo.
//! The CLI (`demine`) and the HTTP server (`demine-server`) both call these functions; the server
//! never calls the CLI, and the CLI uses `demine-server` only to start it (`demine serve`).
//!
//! Every use case takes an [`Actor`] (who asks, with which role, for which organisations) and
//! returns domain values or an [`AppError`]: a typed refusal whose message names the file or
//! request, the record, the field and the problem, and says what to do. A refused write leaves
//! the registry unchanged.
//!
//! **Owns:** the wiring of files (demine-io) → validation (demine-core) → engines → store, the
//! rules of use (what a certificate needs, what a QA lot is, which registry may be created by
//! whom), the JSON shapes the CLI and the API share.
//!
//! **Must never:** speak SQL (only demine-store does), parse command lines or HTTP, print, or
//! exit. Long work reports progress through a [`Progress`] sink.

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod demo;
pub mod error;
pub mod export;
pub mod features;
pub mod field;
pub mod import;
pub mod import_stream;
pub mod plan;
pub mod priority;
pub mod progress;
pub mod registry;
pub mod release;
pub mod report;
pub mod risk;
pub mod shared;
pub mod show;
pub mod strategy;
pub mod text;
pub mod upkeep;
pub mod util;

pub use actor::{Actor, Role};
pub use demine_core::{RecordKind, UnknownValue};
pub use demine_store::{Accounts, Repository};
pub use error::{AppError, Refusal};
pub use progress::{NoProgress, Progress};
pub use registry::{Location, Registry};

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;
