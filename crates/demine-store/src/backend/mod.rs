//! What the GeoPackage (`gpkg/`) and PostgreSQL (`pg/`) backends share: the steps of a read or
//! a write that do not depend on the SQL dialect. Each backend keeps its own SQL and calls these
//! with the values it read, so that a rule (which hazards a write accounts, how the change log
//! is chained, how a row becomes an entry) is written once.

pub(crate) mod features;
pub(crate) mod read;
pub(crate) mod write;
