//! Mapbox vector tiles (`/tiles/{layer}/{z}/{x}/{y}.mvt`, `.pbf` too) and TileJSON
//! (`/tiles/{layer}.json`, `/tiles/{layer}/tilejson.json`, and `/tiles/{layer}/metadata.json`
//! where GDAL's MVT driver looks).
//!
//! A tile is made from the features whose boxes meet the tile and a buffer of 64/4096, read
//! through `demine_app::features::in_box` in the caller's organisations; geometries go to tile
//! coordinates (4096 per tile), are simplified by half a tile unit (Douglas–Peucker), clipped to
//! the buffered tile (`geo`'s boolean operations for polygons and lines), oriented as MVT wants,
//! and encoded with geozero. Below [`OVERVIEW_BELOW_ZOOM`], hazards, activities and released
//! land too small to see are dots (see [`encode`]). Tiles are kept in a [`Memo`] by registry, layer,
//! z/x/y and the caller's organisation scope until the registry changes; the ETag is a hash of
//! the generation and the bytes, so `If-None-Match` gives 304.

use super::{bad_param, base_url};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::memo::Memo;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use demine_app::features::{self as uc, Collection};
use demine_app::features::{FeatureRow, FieldType, Layer};
use demine_app::registry::Bbox;
use geo::{BooleanOps, BoundingRect, MapCoords, Orient, Simplify};
use geozero::mvt::{tile, Message, TagsBuilder, TileValue};
use geozero::ToMvt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Tile coordinate units per tile side.
pub const EXTENT: u32 = 4096;
/// Buffer around a tile, in tile units (as martin and PostGIS default to).
const BUFFER: f64 = 64.0;
pub const MAX_ZOOM: u8 = 22;
/// Below this zoom a tile leaves out names and carries areas in whole m²: tens of thousands of
/// hazards share a zoom-6 tile of the national demo, where a name cannot be read and the names
/// and the areas' doubles made up about half of its 5.5 MB. GIS clients get every field from
/// this zoom on, and always from `/ogc`.
pub const OVERVIEW_BELOW_ZOOM: u8 = 10;

/// Tiles kept per server until the registry changes (a tile's body and ETag).
static TILES: Memo<(Bytes, String)> = Memo::bounded(20_000);

/// The longitude/latitude box of tile z/x/y (Web Mercator quad), widened by `buffer` tile units.
pub fn tile_bbox(z: u8, x: u32, y: u32, buffer: f64) -> Bbox {
    let n = f64::from(1u32 << z);
    let b = buffer / f64::from(EXTENT);
    let lon = |t: f64| t / n * 360.0 - 180.0;
    let lat = |t: f64| {
        let m = std::f64::consts::PI * (1.0 - 2.0 * t / n);
        m.sinh().atan().to_degrees()
    };
    Bbox {
        min_lon: lon(f64::from(x) - b).max(-180.0),
        max_lon: lon(f64::from(x) + 1.0 + b).min(180.0),
        min_lat: lat(f64::from(y) + 1.0 + b).max(-85.051_128_78),
        max_lat: lat(f64::from(y) - b).min(85.051_128_78),
    }
}

/// Tile coordinates (y down, 0..4096 inside the tile) of a longitude/latitude.
fn to_tile(z: u8, x: u32, y: u32) -> impl Fn(geo::Coord<f64>) -> geo::Coord<f64> {
    let scale = f64::from(1u32 << z) * f64::from(EXTENT);
    let (ox, oy) = (f64::from(x) * f64::from(EXTENT), f64::from(y) * f64::from(EXTENT));
    move |c: geo::Coord<f64>| {
        let lat = c.y.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        let gx = (c.x + 180.0) / 360.0 * scale;
        let gy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * scale;
        geo::coord! {x: gx - ox, y: gy - oy}
    }
}

/// A feature's geometry in tile units, simplified and clipped to the buffered tile; `None`
/// when nothing of it is left.
fn tile_geometry(
    g: &geo::Geometry<f64>,
    project: &impl Fn(geo::Coord<f64>) -> geo::Coord<f64>,
) -> Option<geo::Geometry<f64>> {
    use geo::Geometry as G;
    let lo = -BUFFER;
    let hi = f64::from(EXTENT) + BUFFER;
    let clip = geo::Rect::new(geo::coord! {x: lo, y: lo}, geo::coord! {x: hi, y: hi}).to_polygon();
    let inside = |c: &geo::Coord<f64>| c.x >= lo && c.x <= hi && c.y >= lo && c.y <= hi;
    let g = g.map_coords(project);
    let polygons = |m: geo::MultiPolygon<f64>| -> Option<geo::Geometry<f64>> {
        let m = m.simplify(0.5);
        let r = m.bounding_rect()?;
        if r.width() < 0.5 && r.height() < 0.5 {
            return None; // smaller than a pixel at this zoom
        }
        let fully = r.min().x >= lo && r.max().x <= hi && r.min().y >= lo && r.max().y <= hi;
        let m = if fully {
            m
        } else {
            m.intersection(&geo::MultiPolygon(vec![clip.clone()]))
        };
        let m: geo::MultiPolygon<f64> = m
            .into_iter()
            .filter(|p| p.exterior().0.len() >= 4)
            .collect::<Vec<_>>()
            .into();
        (!m.0.is_empty()).then(|| G::MultiPolygon(m.orient(geo::orient::Direction::Default)))
    };
    let lines = |m: geo::MultiLineString<f64>| -> Option<geo::Geometry<f64>> {
        let m = m.simplify(0.5);
        let m = clip.clip(&m, false);
        let m = geo::MultiLineString(m.into_iter().filter(|l| l.0.len() >= 2).collect::<Vec<_>>());
        (!m.0.is_empty()).then_some(G::MultiLineString(m))
    };
    match g {
        G::Point(p) => inside(&p.0).then_some(G::Point(p)),
        G::MultiPoint(m) => {
            let v: Vec<_> = m.0.into_iter().filter(|p| inside(&p.0)).collect();
            (!v.is_empty()).then(|| G::MultiPoint(v.into()))
        }
        G::Polygon(p) => polygons(geo::MultiPolygon(vec![p])),
        G::MultiPolygon(m) => polygons(m),
        G::Rect(r) => polygons(geo::MultiPolygon(vec![r.to_polygon()])),
        G::Triangle(t) => polygons(geo::MultiPolygon(vec![t.to_polygon()])),
        G::LineString(l) => lines(geo::MultiLineString(vec![l])),
        G::MultiLineString(m) => lines(m),
        G::Line(l) => lines(geo::MultiLineString(vec![l.into()])),
        G::GeometryCollection(_) => None,
    }
}

fn tag_value(v: &Value, ty: FieldType) -> Option<TileValue> {
    match (v, ty) {
        (Value::String(s), _) => Some(TileValue::Str(s.clone())),
        (Value::Number(n), FieldType::Integer) => n.as_i64().map(TileValue::Sint),
        (Value::Number(n), _) => n.as_f64().map(TileValue::Double),
        (Value::Bool(b), _) => Some(TileValue::Bool(b == &true)),
        _ => None,
    }
}

/// Below [`OVERVIEW_BELOW_ZOOM`], a polygon less than this many tile units across (four pixels
/// of a 512-pixel tile) is drawn as a dot. Tens of thousands of such specks make a national
/// zoom-6 tile that a browser spends seconds triangulating, for a shape nobody can make out.
const DOT_BELOW_UNITS: f64 = 32.0;

/// Dots falling in one cell of this many tile units, with the same drawing values, become one
/// dot with a `count`: 16 pixels when a country fills the screen (zoom 5 and below, where
/// 4-pixel cells made 12,000–25,000 dots a tile), 8 pixels at zoom 6, 4 pixels nearer.
fn dot_cell_units(z: u8) -> f64 {
    match z {
        0..=5 => 128.0,
        6 => 64.0,
        _ => 32.0,
    }
}

/// The fields that choose how a layer's dots are drawn and filtered (one dot per cell and values
/// of these); `None` for layers that are never dotted.
fn dot_fields(layer: &Layer) -> Option<&'static [&'static str]> {
    match layer {
        Layer::Hazards => Some(&["class", "status"]),
        Layer::ReleasedLand | Layer::Activities => Some(&["outcome"]),
        _ => None,
    }
}

/// The tile-unit centre of a polygon too small to draw at this zoom, from its box alone.
fn speck_centre(
    g: &geo::Geometry<f64>,
    project: &impl Fn(geo::Coord<f64>) -> geo::Coord<f64>,
) -> Option<geo::Coord<f64>> {
    if !matches!(g, geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)) {
        return None;
    }
    let r = g.bounding_rect()?;
    let (a, b) = (project(r.min()), project(r.max()));
    let small = (b.x - a.x).abs() < DOT_BELOW_UNITS && (b.y - a.y).abs() < DOT_BELOW_UNITS;
    small.then(|| geo::coord! {x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0})
}

/// Polygons gathered into one dot.
struct Dot {
    members: Vec<usize>,
    sum_x: f64,
    sum_y: f64,
}

/// Adds the layer's fields of `properties` to a feature as tags (trimmed at overview zooms).
fn push_tags(
    f: &mut tile::Feature,
    tags: &mut TagsBuilder,
    layer: &Layer,
    properties: &serde_json::Map<String, Value>,
    overview: bool,
) {
    for fd in layer.fields() {
        if overview && fd.name == "name" {
            continue;
        }
        let value = properties.get(fd.name).and_then(|v| match v {
            Value::Number(n) if overview && fd.name.ends_with("_m2") => {
                n.as_f64().map(|m2| TileValue::Sint(m2.round() as i64))
            }
            _ => tag_value(v, fd.ty),
        });
        if let Some(v) = value {
            let (k, val) = tags.insert_ref(fd.name, v);
            f.tags.push(k);
            f.tags.push(val);
        }
    }
}

/// The properties of a dot standing for several features: its drawing values, `count`, the
/// sum of each area in m², and the earliest of each date (so that "as of" shows a dot from
/// the day its first member existed).
fn dot_properties(layer: &Layer, group: &[&str], rows: &[&FeatureRow]) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    for name in group {
        if let Some(v) = rows[0].properties.get(*name) {
            p.insert((*name).to_string(), v.clone());
        }
    }
    for fd in layer.fields() {
        let values = rows.iter().filter_map(|r| r.properties.get(fd.name));
        if fd.name.ends_with("_m2") {
            let sum: f64 = values.filter_map(Value::as_f64).sum();
            p.insert(fd.name.to_string(), json!(sum));
        } else if fd.ty == FieldType::Date {
            if let Some(min) = values.filter_map(Value::as_str).min() {
                p.insert(fd.name.to_string(), json!(min));
            }
        }
    }
    p
}

/// Encodes the features of one layer as a tile (empty when nothing is in it).
///
/// Below [`OVERVIEW_BELOW_ZOOM`], the polygons of hazards, activities and released land that are
/// too small to see are dots, one per cell of [`dot_cell_units`] and drawing values; a dot of several
/// carries `count`, summed areas and earliest dates, a dot of one carries that feature's fields.
pub fn encode(layer_name: &str, layer: &Layer, rows: &[FeatureRow], z: u8, x: u32, y: u32) -> Vec<u8> {
    let project = to_tile(z, x, y);
    let overview = z < OVERVIEW_BELOW_ZOOM;
    let dot_group = dot_fields(layer).filter(|_| overview);
    let cell_units = dot_cell_units(z);
    let mut tags = TagsBuilder::new();
    let mut features = Vec::new();
    let mut seen_points = std::collections::HashSet::new();
    let mut dots: std::collections::BTreeMap<(i64, i64, Vec<String>), Dot> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        if let Some(group) = dot_group {
            if let Some(c) = speck_centre(&r.geometry, &project) {
                // A dot belongs to the one tile holding its centre (no buffer): drawn once.
                let inside = (0.0..f64::from(EXTENT)).contains(&c.x) && (0.0..f64::from(EXTENT)).contains(&c.y);
                if inside {
                    let values = group
                        .iter()
                        .map(|g| r.properties.get(*g).and_then(Value::as_str).unwrap_or("").to_string())
                        .collect();
                    let cell = (
                        (c.x / cell_units).floor() as i64,
                        (c.y / cell_units).floor() as i64,
                        values,
                    );
                    let d = dots.entry(cell).or_insert(Dot {
                        members: Vec::new(),
                        sum_x: 0.0,
                        sum_y: 0.0,
                    });
                    d.members.push(i);
                    d.sum_x += c.x;
                    d.sum_y += c.y;
                }
                continue;
            }
        }
        let Some(g) = tile_geometry(&r.geometry, &project) else {
            continue;
        };
        // One point per tile unit is enough (a million finds at zoom 6).
        if let geo::Geometry::Point(p) = &g {
            if !seen_points.insert((p.x().round() as i64, p.y().round() as i64)) {
                continue;
            }
        }
        let Ok(mut f) = g.to_mvt_unscaled() else {
            continue;
        };
        if f.geometry.is_empty() {
            continue;
        }
        f.id = Some(u64::try_from(r.fid).unwrap_or(i as u64));
        push_tags(&mut f, &mut tags, layer, &r.properties, overview);
        features.push(f);
    }
    for ((_, _, _), d) in dots {
        let n = d.members.len() as f64;
        let centre = geo::Point::new(d.sum_x / n, d.sum_y / n);
        let Ok(mut f) = geo::Geometry::Point(centre).to_mvt_unscaled() else {
            continue;
        };
        if let [only] = d.members[..] {
            f.id = Some(u64::try_from(rows[only].fid).unwrap_or(only as u64));
            push_tags(&mut f, &mut tags, layer, &rows[only].properties, overview);
        } else {
            let members: Vec<&FeatureRow> = d.members.iter().map(|&i| &rows[i]).collect();
            let p = dot_properties(layer, dot_group.unwrap_or(&[]), &members);
            push_tags(&mut f, &mut tags, layer, &p, overview);
            let (k, v) = tags.insert_ref("count", TileValue::Sint(members.len() as i64));
            f.tags.push(k);
            f.tags.push(v);
        }
        features.push(f);
    }
    if features.is_empty() {
        return Vec::new();
    }
    let (keys, values) = tags.into_tags();
    let l = tile::Layer {
        version: 2,
        name: layer_name.to_string(),
        features,
        keys,
        values: values.into_iter().map(Into::into).collect(),
        extent: Some(EXTENT),
    };
    geozero::mvt::Tile { layers: vec![l] }.encode_to_vec()
}

/// A strong ETag: the hash of the registry generation and the bytes.
fn strong_etag(body: &[u8], generation: &str) -> String {
    let mut h = Sha256::new();
    h.update(generation.as_bytes());
    h.update(body);
    format!("\"{}\"", &hex::encode(h.finalize())[..32])
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

pub async fn tile(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((layer, z, x, yext)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (ys, _ext) = yext
        .rsplit_once('.')
        .filter(|(_, e)| matches!(*e, "mvt" | "pbf"))
        .ok_or_else(|| ApiError::not_found(format!("no tile '{yext}': tiles end in .mvt or .pbf")))?;
    let z: u8 = z
        .parse()
        .ok()
        .filter(|z| *z <= MAX_ZOOM)
        .ok_or_else(|| bad_param("z", format!("zoom '{z}': give 0 to {MAX_ZOOM}")))?;
    let n = 1u32 << z;
    let x: u32 = x
        .parse()
        .ok()
        .filter(|v| *v < n)
        .ok_or_else(|| bad_param("x", format!("x '{x}': give 0 to {} at zoom {z}", n - 1)))?;
    let y: u32 = ys
        .parse()
        .ok()
        .filter(|v| *v < n)
        .ok_or_else(|| bad_param("y", format!("y '{ys}': give 0 to {} at zoom {z}", n - 1)))?;
    let c = uc::collection(&state.registry, &actor, &layer).await?;
    let kept = kept_tile(&state, &actor, &c, z, x, y).await?;
    let (body, etag) = (&kept.0, &kept.1);
    let mut r = if not_modified(&headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if body.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let mut r = body.clone().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
        );
        r
    };
    if let Ok(h) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, h);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(r)
}

/// The tile `z/x/y` of `c` as `actor` sees it, with its ETag: kept until the registry changes,
/// keyed by the organisations whose rows it holds (callers of the same scope share it).
pub(crate) async fn kept_tile(
    state: &AppState,
    actor: &demine_app::Actor,
    c: &Collection,
    z: u8,
    x: u32,
    y: u32,
) -> ApiResult<std::sync::Arc<(Bytes, String)>> {
    // A tile depends on the caller only through the organisations whose rows it holds.
    let scope = c.layer.organisation_scoped().then(|| actor.scope());
    let key = format!("{}/{z}/{x}/{y}\u{1f}{scope:?}", c.id);
    TILES
        .get_or_make(state, key, || async {
            let rows = uc::in_box(&state.registry, actor, c, tile_bbox(z, x, y, BUFFER)).await?;
            let name = c.id.clone();
            let l = c.layer.clone();
            let body = tokio::task::spawn_blocking(move || encode(&name, &l, &rows, z, x, y))
                .await
                .map_err(|e| demine_app::AppError::Internal(e.into()))?;
            // The generation is in the tag too: after any change a client revalidates to a new
            // tag, even when this tile's bytes came out the same.
            let generation = uc::generation(&state.registry).await?;
            let etag = strong_etag(&body, &generation);
            Ok((Bytes::from(body), etag))
        })
        .await
}

/// The tiles of zoom `z` that meet `b`, as (x, y).
pub(crate) fn tiles_covering(b: &Bbox, z: u8) -> Vec<(u32, u32)> {
    let n = 1u32 << z;
    let column = |lon: f64| (((lon + 180.0) / 360.0 * f64::from(n)).floor().max(0.0) as u32).min(n - 1);
    let row = |lat: f64| {
        let lat = lat.clamp(-85.0511, 85.0511).to_radians();
        let y = (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * f64::from(n);
        (y.floor().max(0.0) as u32).min(n - 1)
    };
    let (x0, x1) = (column(b.min_lon), column(b.max_lon));
    let (y0, y1) = (row(b.max_lat), row(b.min_lat));
    (x0..=x1).flat_map(|x| (y0..=y1).map(move |y| (x, y))).collect()
}

async fn tilejson_of(
    state: &AppState,
    actor: &demine_app::Actor,
    c: &Collection,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(headers);
    let (b, _) = super::features::extent_and_count(state, actor, c).await?;
    let bounds = b.map_or(json!([-180.0, -85.0511, 180.0, 85.0511]), |b| {
        json!([b.min_lon, b.min_lat, b.max_lon, b.max_lat])
    });
    let fields: serde_json::Map<String, Value> = c
        .layer
        .fields()
        .iter()
        .map(|f| {
            let t = match f.ty {
                FieldType::Integer | FieldType::Number => "Number",
                _ => "String",
            };
            (f.name.to_string(), json!(t))
        })
        .collect();
    let v = json!({
        "tilejson": "3.0.0",
        "name": c.id,
        "description": c.description,
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", c.id)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "vector_layers": [{"id": c.id, "description": c.title, "minzoom": 0, "maxzoom": MAX_ZOOM, "fields": fields}],
    });
    Ok(super::json_body(&v, "application/json"))
}

/// `/tiles/{layer}.json`.
pub async fn tilejson_flat(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let layer = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::not_found(format!("no '{file}' under /tiles: try /tiles/LAYER.json")))?;
    let c = uc::collection(&state.registry, &actor, layer).await?;
    tilejson_of(&state, &actor, &c, &headers).await
}

/// `/tiles/{layer}/tilejson.json` and `/tiles/{layer}/metadata.json`.
pub async fn tilejson(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((layer, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !matches!(file.as_str(), "tilejson.json" | "metadata.json") {
        return Err(ApiError::not_found(format!(
            "no '{file}' under /tiles/{layer}: try tilejson.json or metadata.json"
        )));
    }
    let c = uc::collection(&state.registry, &actor, &layer).await?;
    tilejson_of(&state, &actor, &c, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_box_and_projection_agree() {
        let b = tile_bbox(8, 149, 120, 0.0);
        let p = to_tile(8, 149, 120);
        let c = p(geo::coord! {x: b.min_lon, y: b.max_lat});
        assert!(c.x.abs() < 1e-6 && c.y.abs() < 1e-6, "{c:?}");
        let c = p(geo::coord! {x: b.max_lon, y: b.min_lat});
        assert!((c.x - 4096.0).abs() < 1e-6 && (c.y - 4096.0).abs() < 1e-6, "{c:?}");
    }

    #[test]
    fn overview_tiles_leave_out_names_and_round_areas() {
        let b = tile_bbox(6, 38, 21, 0.0);
        let (x0, y0) = ((b.min_lon + b.max_lon) / 2.0, (b.min_lat + b.max_lat) / 2.0);
        let ring = geo::LineString::from(vec![(x0, y0), (x0 + 0.2, y0), (x0 + 0.2, y0 + 0.2), (x0, y0)]);
        let row = FeatureRow {
            fid: 1,
            id: "HZ-1".into(),
            version: 1,
            geometry: geo::Geometry::Polygon(geo::Polygon::new(ring, vec![])),
            properties: serde_json::from_value(json!({
                "id": "HZ-1", "name": "Long field name (SYNTHETIC)", "class": "CHA", "area_m2": 1234.56
            }))
            .unwrap(),
        };
        let decode = |z: u8, x: u32, y: u32| {
            let body = encode("hazards", &Layer::Hazards, std::slice::from_ref(&row), z, x, y);
            let t = geozero::mvt::Tile::decode(&body[..]).unwrap();
            let l = t.layers[0].clone();
            let value = |key: &str| {
                let k = l.keys.iter().position(|k| k == key)? as u32;
                let i = l.features[0].tags.chunks(2).find(|c| c[0] == k)?[1];
                Some(l.values[i as usize].clone())
            };
            (value("name"), value("area_m2"), value("class"))
        };
        let (name, area, class) = decode(6, 38, 21);
        assert!(name.is_none(), "no name at zoom 6");
        assert_eq!(area.and_then(|v| v.sint_value), Some(1235), "whole m² at zoom 6");
        assert_eq!(class.and_then(|v| v.string_value).as_deref(), Some("CHA"));
        let n = 1u32 << OVERVIEW_BELOW_ZOOM;
        let to = to_tile(OVERVIEW_BELOW_ZOOM, 0, 0)(geo::coord! {x: x0 + 0.1, y: y0 + 0.05});
        let (x, y) = ((to.x / 4096.0) as u32, (to.y / 4096.0) as u32);
        assert!(x < n && y < n);
        let (name, area, _) = decode(OVERVIEW_BELOW_ZOOM, x, y);
        assert!(
            name.and_then(|v| v.string_value).is_some(),
            "the name from zoom {OVERVIEW_BELOW_ZOOM}"
        );
        assert_eq!(area.and_then(|v| v.double_value), Some(1234.56));
    }

    /// A square of `side_deg` degrees at (lon, lat), as a hazard row.
    fn hazard(fid: i64, lon: f64, lat: f64, side_deg: f64, class: &str, area_m2: f64, recorded: &str) -> FeatureRow {
        let ring = geo::LineString::from(vec![
            (lon, lat),
            (lon + side_deg, lat),
            (lon + side_deg, lat + side_deg),
            (lon, lat + side_deg),
            (lon, lat),
        ]);
        FeatureRow {
            fid,
            id: format!("HZ-{fid}"),
            version: 1,
            geometry: geo::Geometry::Polygon(geo::Polygon::new(ring, vec![])),
            properties: serde_json::from_value(json!({
                "id": format!("HZ-{fid}"), "class": class, "status": "active",
                "area_m2": area_m2, "recorded_date": recorded
            }))
            .unwrap(),
        }
    }

    #[test]
    fn specks_become_dots_below_the_overview_zoom_with_counts_sums_and_earliest_dates() {
        let (z, x, y) = (6, 38, 21);
        let b = tile_bbox(z, x, y, 0.0);
        let (lon, lat) = ((b.min_lon + b.max_lon) / 2.0, (b.min_lat + b.max_lat) / 2.0);
        // Three 0.003° (~300 m, ~2 tile units) CHAs within one dot cell, an SHA beside them, one
        // large hazard (0.5°, ~360 units) that stays a polygon, and a speck just outside the tile.
        let rows = vec![
            hazard(1, lon, lat, 0.003, "CHA", 1000.0, "2024-05-01"),
            hazard(2, lon + 0.004, lat, 0.003, "CHA", 2000.0, "2023-01-09"),
            hazard(3, lon, lat + 0.004, 0.003, "CHA", 500.5, "2025-02-02"),
            hazard(4, lon + 0.001, lat + 0.001, 0.003, "SHA", 700.0, "2022-03-03"),
            hazard(5, lon - 1.0, lat - 1.0, 0.5, "SHA", 9.0e8, "2021-01-01"),
            hazard(6, b.max_lon + 0.01, lat, 0.003, "CHA", 10.0, "2020-01-01"),
        ];
        let body = encode("hazards", &Layer::Hazards, &rows, z, x, y);
        let l = geozero::mvt::Tile::decode(&body[..]).unwrap().layers.remove(0);
        let get = |f: &tile::Feature, key: &str| {
            let k = l.keys.iter().position(|k| k == key)? as u32;
            let i = f.tags.chunks(2).find(|c| c[0] == k)?[1];
            Some(l.values[i as usize].clone())
        };
        let point = |f: &tile::Feature| f.r#type == Some(tile::GeomType::Point as i32);
        assert_eq!(l.features.len(), 3, "one polygon, a CHA dot and an SHA dot: {l:?}");
        let polygon = l.features.iter().find(|f| !point(f)).unwrap();
        assert_eq!(polygon.id, Some(5));
        let cha = l
            .features
            .iter()
            .find(|f| point(f) && get(f, "class").and_then(|v| v.string_value).as_deref() == Some("CHA"))
            .unwrap();
        assert_eq!(get(cha, "count").and_then(|v| v.sint_value), Some(3));
        assert_eq!(
            get(cha, "area_m2").and_then(|v| v.sint_value),
            Some(3501),
            "summed, whole m²"
        );
        assert_eq!(
            get(cha, "recorded_date").and_then(|v| v.string_value).as_deref(),
            Some("2023-01-09")
        );
        assert_eq!(cha.id, None, "a dot of several is no one feature");
        let sha = l.features.iter().find(|f| point(f) && f.id == Some(4)).unwrap();
        assert_eq!(get(sha, "count"), None, "a dot of one is that feature");
        assert_eq!(get(sha, "area_m2").and_then(|v| v.sint_value), Some(700));
        // From the overview zoom on, every hazard is its polygon.
        let tz = 1u32 << OVERVIEW_BELOW_ZOOM;
        let c = to_tile(OVERVIEW_BELOW_ZOOM, 0, 0)(geo::coord! {x: lon + 0.002, y: lat + 0.002});
        let (tx, ty) = ((c.x / 4096.0) as u32, (c.y / 4096.0) as u32);
        assert!(tx < tz && ty < tz);
        let body = encode("hazards", &Layer::Hazards, &rows[..4], OVERVIEW_BELOW_ZOOM, tx, ty);
        let l = geozero::mvt::Tile::decode(&body[..]).unwrap().layers.remove(0);
        assert!(
            l.features.iter().all(|f| !point(f)),
            "no dots at zoom {OVERVIEW_BELOW_ZOOM}"
        );
        // Finds are points already and never gathered into dots by this rule.
        assert!(dot_fields(&Layer::Finds).is_none());
    }

    #[test]
    fn tiles_covering_a_box_are_those_a_map_asks_for_it() {
        let b = Bbox {
            min_lon: 23.0,
            min_lat: 45.0,
            max_lon: 40.0,
            max_lat: 52.0,
        };
        assert_eq!(tiles_covering(&b, 5), vec![(18, 10), (18, 11), (19, 10), (19, 11)]);
        assert_eq!(tiles_covering(&b, 0), vec![(0, 0)]);
        // Every tile listed meets the box, and the box's corners are in listed tiles.
        for z in 0..=8 {
            let listed = tiles_covering(&b, z);
            for (x, y) in &listed {
                let t = tile_bbox(z, *x, *y, 0.0);
                assert!(
                    t.min_lon <= b.max_lon
                        && t.max_lon >= b.min_lon
                        && t.min_lat <= b.max_lat
                        && t.max_lat >= b.min_lat
                );
            }
            assert_eq!(
                listed.len(),
                listed.iter().collect::<std::collections::HashSet<_>>().len()
            );
        }
    }

    #[test]
    fn polygons_are_clipped_and_oriented() {
        let b = tile_bbox(10, 600, 340, 0.0);
        let (w, e) = (b.min_lon - 1.0, (b.min_lon + b.max_lon) / 2.0);
        let (s, n) = (b.min_lat + 0.01, b.max_lat - 0.01);
        let ring = geo::LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]);
        let g = geo::Geometry::Polygon(geo::Polygon::new(ring, vec![]));
        let t = tile_geometry(&g, &to_tile(10, 600, 340)).unwrap();
        let r = t.bounding_rect().unwrap();
        assert!((r.min().x + BUFFER).abs() < 1e-3, "clipped at the buffer: {r:?}");
        let geo::Geometry::MultiPolygon(m) = t else { panic!() };
        use geo::Area;
        assert!(m.0[0].exterior().signed_area() > 0.0 || m.signed_area() > 0.0);
    }
}
