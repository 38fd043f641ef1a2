-- Indexes on the columns map clients filter by (OGC API - Features queryables), as the
-- GeoPackage's migration 0008: counts and pages of `class = ?`, `status = ?` or one
-- organisation's hazards read the index, not every row with its geometry.
CREATE INDEX IF NOT EXISTS hazards_class ON hazards(class);
CREATE INDEX IF NOT EXISTS hazards_status ON hazards(status);
CREATE INDEX IF NOT EXISTS hazards_recorded_date ON hazards(recorded_date);
CREATE INDEX IF NOT EXISTS finds_category ON finds(category);
CREATE INDEX IF NOT EXISTS finds_date ON finds(date);
