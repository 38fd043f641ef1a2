-- Context layers for risk mapping (roads, rivers, settlements, land cover, lines of contact):
-- one feature table, the layer named in a column, any geometry type.
CREATE TABLE context_features (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom GEOMETRY NOT NULL,
  layer TEXT NOT NULL,
  id TEXT,
  attributes TEXT
);
CREATE INDEX context_features_layer ON context_features(layer);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('context_features', 'features', 'context_features',
  'Context layers (demine import layer NAME FILE): roads, settlements, land cover, lines of contact', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('context_features', 'geom', 'GEOMETRY', 4326, 0, 0);
