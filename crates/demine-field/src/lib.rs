//! # demine-field
//!
//! Field execution and quality, as plain values in and out:
//!
//! - [`lanes`]: clearance lanes (boustrophedon strips of width w clipped to the site, in working
//!   order from the access point; `auto` heading) and grids of search boxes for dog teams and
//!   technical-survey sampling;
//! - [`plane`]: the local metric plane they are laid out in (azimuthal equidistant, WGS84);
//! - [`qa`]: post-clearance inspection sampling plans from the exact hypergeometric operating
//!   characteristic (IMAS 09.20's intent), and the reverse "what does this budget guarantee";
//! - [`sample`]: seeded sample units drawn from the lot;
//! - [`residual`]: Bayesian residual risk (Poisson items, per-method detection, finds and QA);
//! - [`coverage`]: which methods worked which part of a hazard;
//! - [`progress`]: daily progress checks (outside the task, faster than possible, future dates,
//!   land already cleared) and productivity per team kind and terrain.
//!
//! **Must never depend on:** the store or SQL, file formats, the CLI, or an async runtime. The
//! use cases of `demine-app` read the registry and files, call these functions and write what
//! they return.
//! Everything random takes a seed.

pub mod coverage;
pub mod lanes;
pub mod plane;
pub mod progress;
pub mod qa;
pub mod residual;
pub mod sample;
