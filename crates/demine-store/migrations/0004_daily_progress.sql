-- Field work (issue 6): daily progress reports and post-clearance inspections.
-- Each progress report also becomes a clearance activity (activity_id), so land release is
-- computed by the same accounting as every other activity; this table keeps what only the
-- report knows (team, hours, downtime, lanes, terrain) for productivity statistics.
CREATE TABLE daily_progress (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  date TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  team TEXT NOT NULL,
  team_kind TEXT NOT NULL,
  hours DOUBLE NOT NULL CHECK (hours > 0 AND hours <= 24),
  downtime_hours DOUBLE NOT NULL DEFAULT 0 CHECK (downtime_hours >= 0),
  downtime_reason TEXT,
  finds INTEGER NOT NULL DEFAULT 0 CHECK (finds >= 0),
  lanes TEXT,
  terrain TEXT,
  area_m2 DOUBLE NOT NULL CHECK (area_m2 >= 0),
  activity_id TEXT REFERENCES activities(id)
);
CREATE INDEX daily_progress_hazard ON daily_progress(hazard_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('daily_progress', 'features', 'daily_progress', 'Daily progress reports: land worked per team and day', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('daily_progress', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

-- Post-clearance inspections: a non-spatial attributes table (GeoPackage 'attributes').
CREATE TABLE qa_inspections (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  date TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  lot_units INTEGER NOT NULL CHECK (lot_units >= 1),
  sample_units INTEGER NOT NULL CHECK (sample_units >= 1 AND sample_units <= lot_units),
  box_m DOUBLE NOT NULL CHECK (box_m > 0),
  c INTEGER NOT NULL CHECK (c >= 0),
  defects INTEGER NOT NULL CHECK (defects >= 0),
  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
  detection DOUBLE NOT NULL CHECK (detection >= 0 AND detection <= 1),
  nonconformities TEXT NOT NULL DEFAULT '[]',
  inspector TEXT
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
 ('qa_inspections', 'attributes', 'qa_inspections', 'Post-clearance inspections (sampling, defects, accepted)');
