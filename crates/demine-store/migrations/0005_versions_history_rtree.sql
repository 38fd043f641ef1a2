-- Versions, history and corrections (issue 10); spatial indexes; a hash-chained change log.
--
-- Every record carries its version and when that version was written (valid_from). A
-- correction (amend, upsert, retire) moves the version it ends into <table>_history with when
-- it ended (valid_to), how (ended_by: amended | retired) and why (reason). A version written by
-- a correction is in force from the moment it was written (in_force_from); a record as first
-- imported is in force from its own date (hazards: recorded_date; activities: end_date; finds
-- and accidents: date), so that `--as-of D` gives what existed and was known on D.

ALTER TABLE hazards ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE hazards ADD COLUMN valid_from TEXT;
ALTER TABLE hazards ADD COLUMN in_force_from TEXT;
ALTER TABLE activities ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE activities ADD COLUMN valid_from TEXT;
ALTER TABLE activities ADD COLUMN in_force_from TEXT;
ALTER TABLE finds ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE finds ADD COLUMN valid_from TEXT;
ALTER TABLE finds ADD COLUMN in_force_from TEXT;
ALTER TABLE accidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE accidents ADD COLUMN valid_from TEXT;
ALTER TABLE accidents ADD COLUMN in_force_from TEXT;
ALTER TABLE organisations ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE organisations ADD COLUMN valid_from TEXT;
ALTER TABLE organisations ADD COLUMN in_force_from TEXT;
ALTER TABLE teams ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE teams ADD COLUMN valid_from TEXT;
ALTER TABLE teams ADD COLUMN in_force_from TEXT;
ALTER TABLE daily_progress ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE daily_progress ADD COLUMN valid_from TEXT;
ALTER TABLE daily_progress ADD COLUMN in_force_from TEXT;
ALTER TABLE qa_inspections ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE qa_inspections ADD COLUMN valid_from TEXT;
ALTER TABLE qa_inspections ADD COLUMN in_force_from TEXT;
ALTER TABLE hazards ADD COLUMN recorded_date DATE;
ALTER TABLE teams ADD COLUMN start_date DATE;
ALTER TABLE teams ADD COLUMN end_date DATE;
ALTER TABLE teams ADD COLUMN cost_per_day DOUBLE CHECK (cost_per_day IS NULL OR cost_per_day >= 0);

-- The change log says why (reason), for which organisation and in which request, and is
-- hash-chained: hash = SHA-256 of the previous entry's hash and this entry (demine audit verify).
ALTER TABLE change_log ADD COLUMN reason TEXT;
ALTER TABLE change_log ADD COLUMN organisation TEXT;
ALTER TABLE change_log ADD COLUMN request_id TEXT;
ALTER TABLE change_log ADD COLUMN prev_hash TEXT;
ALTER TABLE change_log ADD COLUMN hash TEXT;

CREATE TABLE hazards_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL,
  class TEXT NOT NULL,
  name TEXT,
  reported_status TEXT,
  organisation TEXT,
  land_use TEXT,
  contamination TEXT,
  evidence TEXT,
  blockages TEXT,
  attributes TEXT,
  recorded_date DATE,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX hazards_history_id ON hazards_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('hazards_history', 'features', 'hazards_history', 'Hazards as they were before a correction (amended or retired)', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('hazards_history', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
CREATE TABLE activities_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL,
  hazard_id TEXT NOT NULL,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  organisation TEXT,
  team TEXT,
  method TEXT,
  depth_cm DOUBLE,
  attributes TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX activities_history_id ON activities_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('activities_history', 'features', 'activities_history', 'Activities as they were before a correction', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('activities_history', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
CREATE TABLE finds_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT NOT NULL,
  id TEXT NOT NULL,
  date DATE NOT NULL,
  category TEXT NOT NULL,
  hazard_id TEXT,
  activity_id TEXT,
  depth_cm DOUBLE,
  condition TEXT,
  disposition TEXT,
  attributes TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX finds_history_id ON finds_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('finds_history', 'features', 'finds_history', 'Finds as they were before a correction', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('finds_history', 'geom', 'POINT', 4326, 0, 0);
CREATE TABLE accidents_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT NOT NULL,
  id TEXT NOT NULL,
  date DATE NOT NULL,
  killed INTEGER NOT NULL,
  injured INTEGER NOT NULL,
  hazard_id TEXT,
  attributes TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX accidents_history_id ON accidents_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('accidents_history', 'features', 'accidents_history', 'Accidents as they were before a correction', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('accidents_history', 'geom', 'POINT', 4326, 0, 0);
CREATE TABLE organisations_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX organisations_history_id ON organisations_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('organisations_history', 'attributes', 'organisations_history', 'Organisations as they were before a correction');
CREATE TABLE teams_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL,
  organisation TEXT,
  kind TEXT NOT NULL,
  productivity_m2_per_day DOUBLE NOT NULL,
  base_lon DOUBLE,
  base_lat DOUBLE,
  start_date DATE,
  end_date DATE,
  cost_per_day DOUBLE,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX teams_history_id ON teams_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('teams_history', 'attributes', 'teams_history', 'Teams as they were before a correction');
CREATE TABLE daily_progress_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL,
  date TEXT NOT NULL,
  hazard_id TEXT NOT NULL,
  team TEXT NOT NULL,
  team_kind TEXT NOT NULL,
  hours DOUBLE NOT NULL,
  downtime_hours DOUBLE NOT NULL,
  downtime_reason TEXT,
  finds INTEGER NOT NULL,
  lanes TEXT,
  terrain TEXT,
  area_m2 DOUBLE NOT NULL,
  activity_id TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX daily_progress_history_id ON daily_progress_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('daily_progress_history', 'features', 'daily_progress_history', 'Daily progress reports as they were before a correction', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('daily_progress_history', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
CREATE TABLE qa_inspections_history (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL,
  hazard_id TEXT NOT NULL,
  date TEXT NOT NULL,
  lot_units INTEGER NOT NULL,
  sample_units INTEGER NOT NULL,
  box_m DOUBLE NOT NULL,
  c INTEGER NOT NULL,
  defects INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  detection DOUBLE NOT NULL,
  nonconformities TEXT NOT NULL,
  inspector TEXT,
  version INTEGER NOT NULL,
  valid_from TEXT,
  in_force_from TEXT,
  valid_to TEXT NOT NULL,
  ended_by TEXT NOT NULL CHECK (ended_by IN ('amended', 'retired')),
  reason TEXT
);
CREATE INDEX qa_inspections_history_id ON qa_inspections_history(id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('qa_inspections_history', 'attributes', 'qa_inspections_history', 'QA inspections as they were before a correction');

CREATE INDEX finds_hazard_id ON finds(hazard_id);
CREATE INDEX accidents_hazard_id ON accidents(hazard_id);
CREATE INDEX qa_inspections_hazard_id ON qa_inspections(hazard_id);
CREATE INDEX hazards_organisation ON hazards(organisation);
CREATE INDEX activities_organisation ON activities(organisation);
CREATE INDEX daily_progress_team ON daily_progress(team);

-- GeoPackage RTree Spatial Index extension (spec 1.3, Annex F.3). The triggers call ST_IsEmpty,
-- ST_MinX, ST_MaxX, ST_MinY and ST_MaxY: GDAL and QGIS provide them, and demine registers its
-- own on every connection (demine-store/src/gpkg/functions.rs).
CREATE VIRTUAL TABLE rtree_hazards_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_hazards_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazards WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_hazards_geom_insert AFTER INSERT ON hazards WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_geom_update1 AFTER UPDATE OF geom ON hazards WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_geom_update2 AFTER UPDATE OF geom ON hazards WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_hazards_geom_update3 AFTER UPDATE ON hazards WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_geom_update4 AFTER UPDATE ON hazards WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_hazards_geom_delete AFTER DELETE ON hazards WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_hazards_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('hazards', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_activities_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_activities_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM activities WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_activities_geom_insert AFTER INSERT ON activities WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_activities_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_geom_update1 AFTER UPDATE OF geom ON activities WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_activities_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_geom_update2 AFTER UPDATE OF geom ON activities WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_activities_geom_update3 AFTER UPDATE ON activities WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_activities_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_geom_update4 AFTER UPDATE ON activities WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_activities_geom_delete AFTER DELETE ON activities WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_activities_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('activities', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_finds_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_finds_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM finds WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_finds_geom_insert AFTER INSERT ON finds WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_finds_geom_update1 AFTER UPDATE OF geom ON finds WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_finds_geom_update2 AFTER UPDATE OF geom ON finds WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_finds_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_finds_geom_update3 AFTER UPDATE ON finds WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_finds_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_finds_geom_update4 AFTER UPDATE ON finds WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_finds_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_finds_geom_delete AFTER DELETE ON finds WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_finds_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('finds', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_accidents_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_accidents_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM accidents WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_accidents_geom_insert AFTER INSERT ON accidents WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_accidents_geom_update1 AFTER UPDATE OF geom ON accidents WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_accidents_geom_update2 AFTER UPDATE OF geom ON accidents WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_accidents_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_accidents_geom_update3 AFTER UPDATE ON accidents WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_accidents_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_accidents_geom_update4 AFTER UPDATE ON accidents WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_accidents_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_accidents_geom_delete AFTER DELETE ON accidents WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_accidents_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('accidents', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_released_land_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_released_land_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM released_land WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_released_land_geom_insert AFTER INSERT ON released_land WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_released_land_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_released_land_geom_update1 AFTER UPDATE OF geom ON released_land WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_released_land_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_released_land_geom_update2 AFTER UPDATE OF geom ON released_land WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_released_land_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_released_land_geom_update3 AFTER UPDATE ON released_land WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_released_land_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_released_land_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_released_land_geom_update4 AFTER UPDATE ON released_land WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_released_land_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_released_land_geom_delete AFTER DELETE ON released_land WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_released_land_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('released_land', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_daily_progress_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_daily_progress_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM daily_progress WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_daily_progress_geom_insert AFTER INSERT ON daily_progress WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_daily_progress_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_daily_progress_geom_update1 AFTER UPDATE OF geom ON daily_progress WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_daily_progress_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_daily_progress_geom_update2 AFTER UPDATE OF geom ON daily_progress WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_daily_progress_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_daily_progress_geom_update3 AFTER UPDATE ON daily_progress WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_daily_progress_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_daily_progress_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_daily_progress_geom_update4 AFTER UPDATE ON daily_progress WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_daily_progress_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_daily_progress_geom_delete AFTER DELETE ON daily_progress WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_daily_progress_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('daily_progress', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_context_features_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_context_features_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM context_features WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_context_features_geom_insert AFTER INSERT ON context_features WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_context_features_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_context_features_geom_update1 AFTER UPDATE OF geom ON context_features WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_context_features_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_context_features_geom_update2 AFTER UPDATE OF geom ON context_features WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_context_features_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_context_features_geom_update3 AFTER UPDATE ON context_features WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_context_features_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_context_features_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_context_features_geom_update4 AFTER UPDATE ON context_features WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_context_features_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_context_features_geom_delete AFTER DELETE ON context_features WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_context_features_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('context_features', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_risk_cells_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_risk_cells_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM risk_cells WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_risk_cells_geom_insert AFTER INSERT ON risk_cells WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_risk_cells_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_risk_cells_geom_update1 AFTER UPDATE OF geom ON risk_cells WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_risk_cells_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_risk_cells_geom_update2 AFTER UPDATE OF geom ON risk_cells WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_risk_cells_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_risk_cells_geom_update3 AFTER UPDATE ON risk_cells WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_risk_cells_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_risk_cells_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_risk_cells_geom_update4 AFTER UPDATE ON risk_cells WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_risk_cells_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_risk_cells_geom_delete AFTER DELETE ON risk_cells WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_risk_cells_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('risk_cells', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_hazards_history_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_hazards_history_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazards_history WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_hazards_history_geom_insert AFTER INSERT ON hazards_history WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_hazards_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_history_geom_update1 AFTER UPDATE OF geom ON hazards_history WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_hazards_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_history_geom_update2 AFTER UPDATE OF geom ON hazards_history WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_history_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_hazards_history_geom_update3 AFTER UPDATE ON hazards_history WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_history_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_hazards_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_hazards_history_geom_update4 AFTER UPDATE ON hazards_history WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_hazards_history_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_hazards_history_geom_delete AFTER DELETE ON hazards_history WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_hazards_history_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('hazards_history', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_activities_history_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_activities_history_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM activities_history WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_activities_history_geom_insert AFTER INSERT ON activities_history WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_activities_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_history_geom_update1 AFTER UPDATE OF geom ON activities_history WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO rtree_activities_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_history_geom_update2 AFTER UPDATE OF geom ON activities_history WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_history_geom WHERE id = OLD.fid; END;
CREATE TRIGGER rtree_activities_history_geom_update3 AFTER UPDATE ON activities_history WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_history_geom WHERE id = OLD.fid; INSERT OR REPLACE INTO rtree_activities_history_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER rtree_activities_history_geom_update4 AFTER UPDATE ON activities_history WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM rtree_activities_history_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER rtree_activities_history_geom_delete AFTER DELETE ON activities_history WHEN old.geom NOT NULL
BEGIN DELETE FROM rtree_activities_history_geom WHERE id = OLD.fid; END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
 VALUES ('activities_history', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

