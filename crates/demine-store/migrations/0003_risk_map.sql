-- Risk map: H3 hexagons with the modelled probability of contamination (demine risk build),
-- and each hazard's summary of it. Derived data: rewritten as a whole by every build.
CREATE TABLE risk_cells (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POLYGON NOT NULL,
  cell TEXT NOT NULL UNIQUE,
  resolution INTEGER NOT NULL,
  risk DOUBLE NOT NULL CHECK (risk >= 0 AND risk <= 1),
  label INTEGER,
  items INTEGER NOT NULL DEFAULT 0
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('risk_cells', 'features', 'risk_cells', 'Contamination risk on H3 cells (demine risk build)', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('risk_cells', 'geom', 'POLYGON', 4326, 0, 0);

ALTER TABLE hazards ADD COLUMN risk_expected_share DOUBLE;
ALTER TABLE hazards ADD COLUMN risk_p_any DOUBLE;
