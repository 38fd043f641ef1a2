-- demine registry as a GeoPackage 1.3 (OGC 12-128r18): QGIS and GDAL open this file directly.
PRAGMA application_id = 1196444487; -- 'GPKG'
PRAGMA user_version = 10300;

CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
INSERT INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);

CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);

-- Hazardous areas. The *_m2 and status columns are computed by demine's land-release accounting
-- (never typed in) and refreshed in the same transaction as every change that affects them;
-- they are here so that QGIS can style and label hazards without demine.
CREATE TABLE hazards (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  class TEXT NOT NULL CHECK (class IN ('SHA', 'CHA')),
  name TEXT,
  reported_status TEXT,
  organisation TEXT,
  land_use TEXT,
  contamination TEXT,
  evidence TEXT,
  blockages TEXT,
  attributes TEXT,
  area_m2 DOUBLE,
  cancelled_m2 DOUBLE,
  reduced_m2 DOUBLE,
  cleared_m2 DOUBLE,
  remaining_m2 DOUBLE,
  status TEXT
);

CREATE TABLE activities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  type TEXT NOT NULL CHECK (type IN ('NTS', 'TS', 'clearance', 'BAC', 'EOD')),
  outcome TEXT NOT NULL CHECK (outcome IN ('cancelled', 'reduced', 'cleared')),
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  organisation TEXT,
  team TEXT,
  method TEXT,
  depth_cm DOUBLE,
  attributes TEXT,
  CHECK (end_date >= start_date)
);
CREATE INDEX activities_hazard_id ON activities(hazard_id);

CREATE TABLE finds (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  date DATE NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('AP_mine', 'AT_mine', 'UXO', 'AXO', 'IED', 'submunition', 'other')),
  hazard_id TEXT REFERENCES hazards(id),
  activity_id TEXT REFERENCES activities(id),
  depth_cm DOUBLE,
  condition TEXT,
  disposition TEXT,
  attributes TEXT
);

CREATE TABLE accidents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  date DATE NOT NULL,
  killed INTEGER NOT NULL CHECK (killed >= 0),
  injured INTEGER NOT NULL CHECK (injured >= 0),
  hazard_id TEXT REFERENCES hazards(id),
  attributes TEXT
);

-- Land released, per piece: which activity released it and how. Derived from hazards and
-- activities by the accounting; rewritten with them.
CREATE TABLE released_land (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  activity_id TEXT NOT NULL REFERENCES activities(id),
  outcome TEXT NOT NULL,
  area_m2 DOUBLE NOT NULL
);
CREATE INDEX released_land_hazard_id ON released_land(hazard_id);

CREATE TABLE organisations (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT
);

CREATE TABLE teams (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  organisation TEXT REFERENCES organisations(id),
  kind TEXT NOT NULL CHECK (kind IN ('manual', 'mechanical', 'mdd', 'nts', 'ts')),
  productivity_m2_per_day DOUBLE NOT NULL CHECK (productivity_m2_per_day > 0),
  base_lon DOUBLE,
  base_lat DOUBLE
);

-- Registry facts (e.g. whether it holds SYNTHETIC demo data); not a GeoPackage layer.
CREATE TABLE demine_meta (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);

-- Append-only change log: who, when, what, before/after (GeoJSON features).
CREATE TABLE change_log (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT,
  batch TEXT,
  before TEXT,
  after TEXT
);
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN SELECT RAISE(ABORT, 'change_log is append-only: entries cannot be changed'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN SELECT RAISE(ABORT, 'change_log is append-only: entries cannot be deleted'); END;

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('hazards', 'features', 'hazards', 'Hazardous areas (SHA/CHA) with computed land release', 4326),
 ('activities', 'features', 'activities', 'Land-release activities: the land each released', 4326),
 ('finds', 'features', 'finds', 'Explosive ordnance found', 4326),
 ('accidents', 'features', 'accidents', 'Explosive ordnance accidents', 4326),
 ('released_land', 'features', 'released_land', 'Land released, once, by the earliest activity covering it (computed)', 4326),
 ('organisations', 'attributes', 'organisations', 'Operators and the authority', NULL),
 ('teams', 'attributes', 'teams', 'Teams and assets', NULL),
 ('change_log', 'attributes', 'change_log', 'Append-only log of every change', NULL);

INSERT INTO gpkg_geometry_columns VALUES
 ('hazards', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
 ('activities', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
 ('finds', 'geom', 'POINT', 4326, 0, 0),
 ('accidents', 'geom', 'POINT', 4326, 0, 0),
 ('released_land', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
