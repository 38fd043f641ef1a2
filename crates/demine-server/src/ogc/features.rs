//! The `/ogc` handlers: landing page, conformance, API, collections, queryables, items, one
//! item, and Part 4 writes.

use super::crs::{Crs, CRS84};
use super::{bad_param, base_url, html_body, html_text, json_body, wants_html};
use crate::api::records::{etag, if_match};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::memo::{caller_key, Memo};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use demine_app::features::{self as uc, Collection, FilterError, ItemsRequest};
use demine_app::features::{FeatureRow, FieldType, Filter};
use demine_app::registry::Bbox;
use demine_app::{Actor, AppError};
use serde::ser::{SerializeMap, SerializeTuple, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The conformance classes demine implements (and nothing it does not).
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
];

/// Query parameters as pairs (a malformed query string is a 400).
fn pairs(q: &Option<String>) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

/// Only `allowed` parameters (ogctests: an unknown parameter is a 400).
fn only(p: &[(String, String)], allowed: &[&str]) -> ApiResult<()> {
    for (k, _) in p {
        if !allowed.contains(&k.as_str()) {
            return Err(bad_param(
                k,
                format!(
                    "unknown query parameter '{k}'; this resource takes {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn format_param(p: &[(String, String)]) -> ApiResult<Option<&str>> {
    match get(p, "f") {
        None => Ok(None),
        Some(f @ ("json" | "html" | "geojson")) => Ok(Some(f)),
        Some(other) => Err(bad_param("f", format!("f '{other}': use json or html"))),
    }
}

fn link(rel: &str, ty: &str, href: String, title: &str) -> Value {
    json!({"rel": rel, "type": ty, "title": title, "href": href})
}

fn respond(headers: &HeaderMap, f: Option<&str>, title: &str, v: &Value, ty: &'static str) -> Response {
    if wants_html(headers, f) {
        html_body(title, v)
    } else {
        json_body(v, ty)
    }
}

pub async fn landing(headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let b = format!("{}/ogc", base_url(&headers));
    let v = json!({
        "title": "demine mine-action registry",
        "description": "OGC API - Features: hazards, activities, finds, accidents, released land, the risk map and context layers. Vector tiles at /tiles.",
        "links": [
            link("self", JSON, b.clone(), "This document"),
            link("alternate", "text/html", format!("{b}?f=html"), "This document as HTML"),
            link("service-desc", OPENAPI, format!("{b}/api"), "The API definition (OpenAPI 3.0)"),
            link("service-doc", "text/html", format!("{b}/api?f=html"), "The API documentation"),
            link("conformance", JSON, format!("{b}/conformance"), "Conformance classes"),
            link("data", JSON, format!("{b}/collections"), "Collections"),
        ]
    });
    Ok(respond(&headers, f, "demine OGC API - Features", &v, JSON))
}

pub async fn conformance(headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let v = json!({"conformsTo": CONFORMANCE});
    Ok(respond(&headers, f, "Conformance", &v, JSON))
}

pub async fn api(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let collections = uc::catalogue(&state.registry).await?;
    let doc = super::openapi::document(&format!("{}/ogc", base_url(&headers)), &collections);
    Ok(respond(
        &headers,
        f,
        "demine OGC API - Features: API definition",
        &doc,
        OPENAPI,
    ))
}

fn bbox_json(b: Option<Bbox>) -> Value {
    match b {
        Some(b) => json!([[b.min_lon, b.min_lat, b.max_lon, b.max_lat]]),
        None => json!([[-180.0, -90.0, 180.0, 90.0]]),
    }
}

/// The box and the number of the features of `c` the actor sees, kept until the registry
/// changes: a million finds take seconds to bound and count, and every collection list and
/// TileJSON asks.
pub async fn extent_and_count(
    state: &AppState,
    actor: &Actor,
    c: &Collection,
) -> ApiResult<(Option<demine_app::registry::Bbox>, u64)> {
    static EXTENT_AND_COUNT: Memo<(Option<demine_app::registry::Bbox>, u64)> = Memo::new();
    // The figures depend on the caller only through the organisations it sees (callers of one
    // scope share them, as tiles do); the right to read is checked before anything kept is given.
    actor.require(demine_app::actor::Act::Read)?;
    let scope = c.layer.organisation_scoped().then(|| actor.scope());
    let key = format!("{}\u{1f}{scope:?}", c.id);
    let kept = EXTENT_AND_COUNT
        .get_or_make(state, key, || async {
            let extent = uc::extent(&state.registry, actor, c).await?;
            let count = uc::count(&state.registry, actor, c).await?;
            Ok((extent, count))
        })
        .await?;
    Ok(*kept)
}

/// How many features match a request's filter and box, kept until the registry changes: a
/// client paging through a filter asks the same count on every page, and counting reads every
/// matching row while a page reads `limit` of them.
async fn number_matched(state: &AppState, actor: &Actor, c: &Collection, r: &ItemsRequest) -> ApiResult<u64> {
    static NUMBER_MATCHED: Memo<u64> = Memo::new();
    // The filter's debug form spells every operator, property and literal (and the box every
    // coordinate), so two requests share a key only when they match the same features.
    let key = format!(
        "{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}",
        caller_key(actor),
        c.id,
        r.bbox,
        r.filter
    );
    let kept = NUMBER_MATCHED
        .get_or_make(state, key, || async {
            Ok(uc::number_matched(&state.registry, actor, c, r).await?)
        })
        .await?;
    Ok(*kept)
}

async fn collection_json(
    state: &AppState,
    actor: &Actor,
    c: &Collection,
    base: &str,
    full_crs: bool,
) -> ApiResult<Value> {
    let u = format!("{base}/collections/{}", c.id);
    let (extent, count) = extent_and_count(state, actor, c).await?;
    let crs: Value = if full_crs {
        json!(Crs::all_uris())
    } else {
        json!([CRS84, "#/crs"])
    };
    Ok(json!({
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "extent": {"spatial": {"bbox": bbox_json(extent), "crs": CRS84}},
        "crs": crs, "storageCrs": CRS84, "itemCount": count,
        "links": [
            link("self", JSON, u.clone(), "This collection"),
            link("items", GEOJSON, format!("{u}/items"), "Its features"),
            link("http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", format!("{u}/queryables"), "Queryables"),
            link("queryables", JSON, format!("{u}/queryables"), "Queryables"),
            link("tiles", "application/vnd.mapbox-vector-tile", format!("{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", base.trim_end_matches("/ogc"), c.id), "Vector tiles"),
        ]
    }))
}

pub async fn collections(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let base = format!("{}/ogc", base_url(&headers));
    let mut cs = Vec::new();
    for c in uc::collections(&state.registry, &actor).await? {
        cs.push(collection_json(&state, &actor, &c, &base, false).await?);
    }
    let v = json!({
        "links": [link("self", JSON, format!("{base}/collections"), "Collections")],
        "crs": Crs::all_uris(),
        "collections": cs,
    });
    Ok(respond(&headers, f, "Collections", &v, JSON))
}

async fn find(state: &AppState, actor: &Actor, cid: &str) -> ApiResult<Collection> {
    Ok(uc::collection(&state.registry, actor, cid).await?)
}

fn queryables_link_header(base: &str, cid: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "<{base}/collections/{cid}/queryables>; rel=\"http://www.opengis.net/def/rel/ogc/1.0/queryables\"; type=\"application/schema+json\""
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub async fn collection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(cid): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let c = find(&state, &actor, &cid).await?;
    let base = format!("{}/ogc", base_url(&headers));
    let v = collection_json(&state, &actor, &c, &base, true).await?;
    let mut r = respond(&headers, f, &c.title, &v, JSON);
    r.headers_mut()
        .insert(header::LINK, queryables_link_header(&base, &cid));
    Ok(r)
}

pub async fn queryables(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(cid): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["f"])?;
    let f = format_param(&p)?;
    let c = find(&state, &actor, &cid).await?;
    let base = format!("{}/ogc", base_url(&headers));
    let mut props = Map::new();
    let geometry = match c.layer {
        demine_app::features::Layer::Finds | demine_app::features::Layer::Accidents => ("Point", "geometry-point"),
        demine_app::features::Layer::RiskCells => ("Polygon", "geometry-polygon"),
        demine_app::features::Layer::Context(_) => ("Geometry", "geometry-any"),
        _ => ("MultiPolygon", "geometry-multipolygon"),
    };
    props.insert(
        "geometry".into(),
        json!({"$ref": format!("https://geojson.org/schema/{}.json", geometry.0), "format": geometry.1, "x-ogc-role": "primary-geometry"}),
    );
    for fd in c.layer.fields() {
        let mut s = match fd.ty {
            FieldType::String => json!({"type": "string"}),
            FieldType::Integer => json!({"type": "integer"}),
            FieldType::Number => json!({"type": "number"}),
            FieldType::Date => json!({"type": "string", "format": "date"}),
        };
        s["title"] = json!(fd.title);
        if !fd.values.is_empty() {
            s["enum"] = json!(fd.values);
        }
        if fd.name == "id" {
            s["x-ogc-role"] = json!("id");
        }
        props.insert(fd.name.into(), s);
    }
    let v = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/collections/{cid}/queryables"),
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": false,
        // The pre-Part-3 form GDAL 3.6–3.12 reads.
        "queryables": c.layer.fields().iter().map(|f| json!({"id": f.name})).collect::<Vec<_>>(),
    });
    let schema = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/schema+json"));
    Ok(respond(
        &headers,
        f,
        "Queryables",
        &v,
        if schema { "application/schema+json" } else { JSON },
    ))
}

/// The CRS a parameter names (`None`: not given); an unsupported one is a 400.
fn crs_param(p: &[(String, String)], name: &str) -> ApiResult<Option<Crs>> {
    match get(p, name) {
        None => Ok(None),
        Some(s) => Crs::parse(s).map(Some).ok_or_else(|| {
            bad_param(
                name,
                format!("{name} '{s}' is not supported: use CRS84, EPSG:4326, EPSG:3857 or a WGS 84 / UTM zone (EPSG:326xx, 327xx), as http://www.opengis.net/def/crs/... URIs"),
            )
        }),
    }
}

/// `bbox` in `crs` as a longitude/latitude box (corners and edge points of projected boxes).
fn parse_bbox(s: &str, crs: Crs) -> ApiResult<Bbox> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad_param("bbox", format!("bbox '{s}': give 4 (or 6) comma-separated numbers")))?;
    let (x0, y0, x1, y1) = match v.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => return Err(bad_param("bbox", format!("bbox '{s}': give 4 (or 6) numbers"))),
    };
    if v.iter().any(|x| !x.is_finite()) {
        return Err(bad_param("bbox", format!("bbox '{s}': numbers must be finite")));
    }
    if crs == Crs::Crs84 || crs == Crs::Epsg4326 {
        let (lon0, lat0) = crs.to_lon_lat(x0, y0).unwrap_or((x0, y0));
        let (lon1, lat1) = crs.to_lon_lat(x1, y1).unwrap_or((x1, y1));
        if lat0 > lat1 {
            return Err(bad_param(
                "bbox",
                format!("bbox '{s}': the lower latitude is above the upper"),
            ));
        }
        // A box across the antimeridian (minLon > maxLon) is read as the whole width.
        let (min_lon, max_lon) = if lon0 <= lon1 { (lon0, lon1) } else { (-180.0, 180.0) };
        return Ok(Bbox {
            min_lon,
            min_lat: lat0,
            max_lon,
            max_lat: lat1,
        });
    }
    if x0 > x1 || y0 > y1 {
        return Err(bad_param("bbox", format!("bbox '{s}': give min before max")));
    }
    let mut b = Bbox {
        min_lon: f64::INFINITY,
        min_lat: f64::INFINITY,
        max_lon: f64::NEG_INFINITY,
        max_lat: f64::NEG_INFINITY,
    };
    for i in 0..=8 {
        let t = f64::from(i) / 8.0;
        for (x, y) in [
            (x0 + t * (x1 - x0), y0),
            (x0 + t * (x1 - x0), y1),
            (x0, y0 + t * (y1 - y0)),
            (x1, y0 + t * (y1 - y0)),
        ] {
            let (lon, lat) = crs
                .to_lon_lat(x, y)
                .ok_or_else(|| bad_param("bbox", format!("bbox '{s}' is outside the bbox-crs")))?;
            b.min_lon = b.min_lon.min(lon);
            b.max_lon = b.max_lon.max(lon);
            b.min_lat = b.min_lat.min(lat);
            b.max_lat = b.max_lat.max(lat);
        }
    }
    Ok(b)
}

fn filter_error(e: FilterError, parameter: &str, base: &str, cid: &str) -> ApiError {
    let url = format!("{base}/collections/{cid}/queryables");
    match e {
        FilterError::UnknownProperty(p) => bad_param(
            parameter,
            format!("{parameter}: unknown property '{p}' in collection {cid}; its queryables are listed at {url}"),
        )
        .with("property", Value::from(p))
        .with("queryables", Value::from(url)),
        FilterError::Invalid(m) => bad_param(parameter, format!("{parameter}: {m}")),
    }
}

const ITEMS_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "after",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "f",
];

/// A geometry as GeoJSON in `crs` (its axis order), written straight from its coordinates: a
/// page of national-size polygons would otherwise first build a tree of small values, one
/// array per coordinate, and spend most of its time allocating and freeing them.
pub(crate) struct GeoJson<'a>(pub &'a geo::Geometry<f64>, pub Crs);

/// A position in `crs`.
struct Position(geo::Coord<f64>, Crs);

impl Serialize for Position {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (x, y) = self.1.from_lon_lat(self.0.x, self.0.y);
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&x)?;
        t.serialize_element(&y)?;
        t.end()
    }
}

/// The positions of a line (or of a multipoint).
struct Positions<'a>(&'a [geo::Coord<f64>], Crs);

impl Serialize for Positions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| Position(*c, self.1)))
    }
}

/// The rings of a polygon, exterior first.
struct Rings<'a>(&'a geo::Polygon<f64>, Crs);

impl Serialize for Rings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rings = std::iter::once(self.0.exterior()).chain(self.0.interiors());
        s.collect_seq(rings.map(|l| Positions(&l.0, self.1)))
    }
}

/// `{"type": ty, key: value}`.
fn typed<S: Serializer>(s: S, ty: &str, key: &str, value: &impl Serialize) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(2))?;
    m.serialize_entry("type", ty)?;
    m.serialize_entry(key, value)?;
    m.end()
}

impl Serialize for GeoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use geo::Geometry as G;
        let crs = self.1;
        match self.0 {
            G::Point(p) => typed(s, "Point", "coordinates", &Position(p.0, crs)),
            G::MultiPoint(m) => {
                let cs: Vec<geo::Coord<f64>> = m.0.iter().map(|p| p.0).collect();
                typed(s, "MultiPoint", "coordinates", &Positions(&cs, crs))
            }
            G::LineString(l) => typed(s, "LineString", "coordinates", &Positions(&l.0, crs)),
            G::Line(l) => typed(s, "LineString", "coordinates", &Positions(&[l.start, l.end], crs)),
            G::MultiLineString(m) => {
                let lines: Vec<Positions> = m.0.iter().map(|l| Positions(&l.0, crs)).collect();
                typed(s, "MultiLineString", "coordinates", &lines)
            }
            G::Polygon(p) => typed(s, "Polygon", "coordinates", &Rings(p, crs)),
            G::Rect(r) => typed(s, "Polygon", "coordinates", &Rings(&r.to_polygon(), crs)),
            G::Triangle(t) => typed(s, "Polygon", "coordinates", &Rings(&t.to_polygon(), crs)),
            G::MultiPolygon(m) => {
                let polygons: Vec<Rings> = m.0.iter().map(|p| Rings(p, crs)).collect();
                typed(s, "MultiPolygon", "coordinates", &polygons)
            }
            G::GeometryCollection(c) => {
                let parts: Vec<GeoJson> = c.0.iter().map(|g| GeoJson(g, crs)).collect();
                typed(s, "GeometryCollection", "geometries", &parts)
            }
        }
    }
}

/// A feature as GeoJSON in `crs`.
struct FeatureJson<'a>(&'a FeatureRow, Crs);

impl Serialize for FeatureJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("type", "Feature")?;
        m.serialize_entry("id", &self.0.id)?;
        m.serialize_entry("geometry", &GeoJson(&self.0.geometry, self.1))?;
        m.serialize_entry("properties", &self.0.properties)?;
        m.end()
    }
}

fn feature_json(f: &FeatureRow, crs: Crs) -> Value {
    serde_json::to_value(FeatureJson(f, crs)).unwrap_or(Value::Null)
}

/// A page of features, its fields in the order OGC API – Features lists them.
#[derive(Serialize)]
struct FeaturePage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<FeatureJson<'a>>,
    #[serde(rename = "numberMatched")]
    number_matched: u64,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    #[serde(rename = "timeStamp")]
    time_stamp: String,
    links: &'a [Value],
}

fn content_crs(crs: Crs) -> HeaderValue {
    HeaderValue::from_str(&format!("<{}>", crs.uri())).unwrap_or_else(|_| HeaderValue::from_static("<>"))
}

/// A URL with these query pairs (commas percent-encoded: ogctests splits `Link` on them).
fn with_query(path: &str, p: &[(String, String)]) -> String {
    if p.is_empty() {
        return path.to_string();
    }
    format!("{path}?{}", serde_urlencoded::to_string(p).unwrap_or_default())
}

pub async fn items(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(cid): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(&q)?;
    let c = find(&state, &actor, &cid).await?;
    let base = format!("{}/ogc", base_url(&headers));
    for (k, _) in &p {
        if !ITEMS_PARAMS.contains(&k.as_str()) && c.layer.field(k).is_none() {
            return Err(bad_param(
                k,
                format!(
                    "unknown query parameter '{k}'; items take {} and the queryables of {cid} ({base}/collections/{cid}/queryables)",
                    ITEMS_PARAMS.join(", ")
                ),
            ));
        }
    }
    let f = format_param(&p)?;
    let limit = match get(&p, "limit") {
        None => 10,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) => n.clamp(1, uc::MAX_ITEMS as i64) as u64,
            Err(_) => {
                return Err(bad_param(
                    "limit",
                    format!("limit '{s}': give a whole number from 1 to {}", uc::MAX_ITEMS),
                ))
            }
        },
    };
    let offset = match get(&p, "offset") {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad_param("offset", format!("offset '{s}': give a whole number ≥ 0")))?,
        ),
    };
    let after = match get(&p, "after") {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| bad_param("after", format!("after '{s}': give the cursor of a next link")))?,
        ),
    };
    let crs = crs_param(&p, "crs")?.unwrap_or(Crs::Crs84);
    let bbox_crs = crs_param(&p, "bbox-crs")?.unwrap_or(Crs::Crs84);
    let bbox = get(&p, "bbox").map(|s| parse_bbox(s, bbox_crs)).transpose()?;
    let mut filters: Vec<Filter> = Vec::new();
    if let Some(text) = get(&p, "filter") {
        let lang = get(&p, "filter-lang").unwrap_or("cql2-text");
        let filter_crs = crs_param(&p, "filter-crs")?.unwrap_or(Crs::Crs84);
        tracing::info!(collection = %cid, filter = %text, filter_lang = %lang, "ogc filter");
        let to_ll = move |x: f64, y: f64| filter_crs.to_lon_lat(x, y);
        filters
            .push(uc::parse_filter(&c.layer, text, lang, &to_ll).map_err(|e| filter_error(e, "filter", &base, &cid))?);
    } else if get(&p, "filter-lang").is_some_and(|l| !matches!(l, "cql2-text" | "cql2-json" | "cql-text")) {
        return Err(bad_param("filter-lang", "filter-lang: use cql2-text or cql2-json"));
    }
    if let Some(dt) = get(&p, "datetime") {
        if let Some(f) = uc::datetime_filter(&c.layer, dt).map_err(|e| filter_error(e, "datetime", &base, &cid))? {
            filters.push(f);
        }
    }
    for (k, v) in &p {
        if !ITEMS_PARAMS.contains(&k.as_str()) {
            filters.push(uc::equality_filter(&c.layer, k, v).map_err(|e| filter_error(e, k, &base, &cid))?);
        }
    }
    if let Some(b) = &bbox {
        tracing::info!(collection = %cid, bbox = ?[b.min_lon, b.min_lat, b.max_lon, b.max_lat], "ogc bbox");
    }
    let filter = match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Filter::And(filters)),
    };
    let req = ItemsRequest {
        bbox,
        filter,
        after,
        offset,
        limit,
    };
    let is_html = wants_html(&headers, f);
    let ty = if is_html { "text/html" } else { GEOJSON };
    let page = PageRequest {
        state: &state,
        actor: &actor,
        collection: &c,
        request: &req,
        pairs: &p,
        base: &base,
        ty,
    };
    let (body, link_header) = if is_html {
        let d = page.data().await?;
        let v = serde_json::to_value(d.json(crs)).unwrap_or(Value::Null);
        (Bytes::from(html_text(&c.title, &v)), link_header(&d.links))
    } else if limit <= KEEP_PAGES_UP_TO && keep_pages() {
        // A page asked again before the registry changes (a map panning back, many users on
        // one region, a client paging a filter again) is given as it was made.
        static PAGES: Memo<(Bytes, String)> = Memo::bounded(256);
        let key = format!(
            "{}\u{1f}{base}\u{1f}{cid}\u{1f}{}",
            caller_key(&actor),
            q.as_deref().unwrap_or("")
        );
        let kept = PAGES
            .get_or_make(&state, key, || async {
                let d = page.data().await?;
                Ok((Bytes::from(json_text(&d.json(crs))?), link_header(&d.links)))
            })
            .await?;
        kept.as_ref().clone()
    } else {
        let d = page.data().await?;
        (Bytes::from(json_text(&d.json(crs))?), link_header(&d.links))
    };
    let mut r = (StatusCode::OK, body).into_response();
    let content_type = if is_html { "text/html; charset=utf-8" } else { GEOJSON };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(h) = HeaderValue::from_str(&link_header) {
        r.headers_mut().insert(header::LINK, h);
    }
    r.headers_mut().insert("content-crs", content_crs(crs));
    Ok(r)
}

/// Pages of at most this many features are kept until the registry changes (256 of them: at
/// most a few hundred MB of national-size polygons).
const KEEP_PAGES_UP_TO: u64 = 1_000;

/// Whether pages are kept: yes, unless `DEMINE_KEEP_PAGES=0` (a server short of memory, or a
/// benchmark that measures making every page).
fn keep_pages() -> bool {
    static KEEP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEP.get_or_init(|| std::env::var("DEMINE_KEEP_PAGES").map_or(true, |v| v.trim() != "0"))
}

/// What a page of items is made from.
struct PageRequest<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    collection: &'a Collection,
    request: &'a ItemsRequest,
    /// The request's query pairs (kept in the links).
    pairs: &'a [(String, String)],
    base: &'a str,
    /// The media type of the page's own links.
    ty: &'static str,
}

/// A page of items and its links.
struct PageData {
    features: Vec<FeatureRow>,
    number_matched: u64,
    links: Vec<Value>,
}

impl PageRequest<'_> {
    async fn data(&self) -> ApiResult<PageData> {
        let (c, req, ty) = (self.collection, self.request, self.ty);
        let number_matched = number_matched(self.state, self.actor, c, req).await?;
        let page = uc::items(&self.state.registry, self.actor, c, req).await?;
        let start = req.offset.unwrap_or(0);
        let path = format!("{}/collections/{}/items", self.base, c.id);
        let keep: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "offset" | "after" | "limit"))
            .cloned()
            .collect();
        let page_url = |off: u64, after: Option<i64>| {
            let mut v = keep.clone();
            v.push(("limit".into(), req.limit.to_string()));
            if off > 0 {
                v.push(("offset".into(), off.to_string()));
            }
            if let Some(a) = after {
                v.push(("after".into(), a.to_string()));
            }
            with_query(&path, &v)
        };
        let mut links = vec![link("self", ty, with_query(&path, self.pairs), "This page")];
        if page.more {
            let next_after = page.features.last().map(|r| r.fid);
            links.push(link("next", ty, page_url(start + req.limit, next_after), "Next page"));
        }
        if start > 0 {
            links.push(link(
                "prev",
                ty,
                page_url(start.saturating_sub(req.limit), None),
                "Previous page",
            ));
        }
        links.push(link(
            "collection",
            JSON,
            format!("{}/collections/{}", self.base, c.id),
            "The collection",
        ));
        Ok(PageData {
            features: page.features,
            number_matched,
            links,
        })
    }
}

impl PageData {
    fn json(&self, crs: Crs) -> FeaturePage<'_> {
        FeaturePage {
            kind: "FeatureCollection",
            features: self.features.iter().map(|r| FeatureJson(r, crs)).collect(),
            number_matched: self.number_matched,
            number_returned: self.features.len(),
            time_stamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            links: &self.links,
        }
    }
}

/// JSON text of a page, straight from its features (no tree of values).
fn json_text(page: &FeaturePage) -> ApiResult<Vec<u8>> {
    // A page that cannot be written is a defect: its cause goes to the log, not to the client.
    serde_json::to_vec(page).map_err(|e| ApiError::from(demine_app::AppError::Internal(anyhow::Error::from(e))))
}

/// The `Link` header of a page's links.
fn link_header(links: &[Value]) -> String {
    links
        .iter()
        .filter_map(|l| {
            Some(format!(
                "<{}>; rel=\"{}\"; type=\"{}\"",
                l["href"].as_str()?,
                l["rel"].as_str()?,
                l["type"].as_str()?
            ))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn item(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((cid, fid)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(&q)?;
    only(&p, &["crs", "f"])?;
    let f = format_param(&p)?;
    let crs = crs_param(&p, "crs")?.unwrap_or(Crs::Crs84);
    let c = find(&state, &actor, &cid).await?;
    let row = uc::item(&state.registry, &actor, &c, &fid).await?;
    let base = format!("{}/ogc", base_url(&headers));
    let mut v = feature_json(&row, crs);
    let href = format!("{base}/collections/{cid}/items/{}", encode_segment(&row.id));
    v["links"] = json!([
        link("self", GEOJSON, href, "This feature"),
        link(
            "collection",
            JSON,
            format!("{base}/collections/{cid}"),
            "The collection"
        ),
    ]);
    let mut r = respond(&headers, f, &row.id, &v, GEOJSON);
    r.headers_mut().insert(header::ETAG, etag(row.version));
    r.headers_mut().insert("content-crs", content_crs(crs));
    Ok(r)
}

fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body of a write as JSON, its geometry brought to longitude/latitude from `Content-Crs`.
fn write_body(headers: &HeaderMap, body: &Bytes) -> ApiResult<Value> {
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("request body: not JSON: {e}")))?;
    let crs = match headers.get("content-crs").and_then(|h| h.to_str().ok()) {
        None => Crs::Crs84,
        Some(s) => Crs::parse(s).ok_or_else(|| {
            bad_param(
                "Content-Crs",
                format!("Content-Crs '{s}' is not supported: use CRS84, EPSG:4326, EPSG:3857 or UTM"),
            )
        })?,
    };
    if crs != Crs::Crs84 {
        if let Some(coords) = v.get_mut("geometry").and_then(|g| g.get_mut("coordinates")) {
            to_lon_lat(coords, crs)?;
        }
    }
    Ok(v)
}

fn to_lon_lat(v: &mut Value, crs: Crs) -> ApiResult<()> {
    let Value::Array(a) = v else { return Ok(()) };
    if a.len() >= 2 && a.iter().all(Value::is_number) {
        let (x, y) = (a[0].as_f64().unwrap_or(f64::NAN), a[1].as_f64().unwrap_or(f64::NAN));
        let (lon, lat) = crs
            .to_lon_lat(x, y)
            .ok_or_else(|| bad_param("Content-Crs", format!("coordinate ({x}, {y}) is outside {}", crs.uri())))?;
        a[0] = json!(lon);
        a[1] = json!(lat);
        return Ok(());
    }
    for x in a {
        to_lon_lat(x, crs)?;
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let c = find(&state, &actor, &cid).await?;
    let v = write_body(&headers, &body)?;
    let id = uc::create(&state.registry, &actor, &c, &v).await?;
    let base = format!("{}/ogc", base_url(&headers));
    let location = format!("{base}/collections/{cid}/items/{}", encode_segment(&id));
    let mut r = StatusCode::CREATED.into_response();
    if let Ok(h) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, h);
    }
    Ok(r)
}

/// A stale `If-Match` is 412 (Part 4), and the edit is kept as a conflict for review.
fn stale_is_412(e: AppError) -> ApiError {
    match e {
        AppError::Conflict(m) => ApiError::new(StatusCode::PRECONDITION_FAILED, "Stale version", m),
        other => other.into(),
    }
}

async fn write_feature(
    state: &AppState,
    actor: &Actor,
    cid: &str,
    fid: &str,
    headers: &HeaderMap,
    feature: &Value,
) -> ApiResult<Response> {
    let c = find(state, actor, cid).await?;
    let based_on = if_match(headers)?;
    let version = uc::replace(&state.registry, actor, &c, fid, feature, based_on)
        .await
        .map_err(stale_is_412)?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    Ok(r)
}

pub async fn replace(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((cid, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let v = write_body(&headers, &body)?;
    write_feature(&state, &actor, &cid, &fid, &headers, &v).await
}

pub async fn update(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((cid, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    // A merge patch: `{"properties": {…}}` and/or `{"geometry": …}`, applied as an amendment.
    let v = write_body(&headers, &body)?;
    write_feature(&state, &actor, &cid, &fid, &headers, &v).await
}

pub async fn delete(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((cid, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let c = find(&state, &actor, &cid).await?;
    let based_on = if_match(&headers)?;
    uc::delete(&state.registry, &actor, &c, &fid, based_on).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn allow(methods: &'static str) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(methods));
    r
}

pub async fn options_items(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(cid): Path<String>,
) -> ApiResult<Response> {
    let c = find(&state, &actor, &cid).await?;
    Ok(allow(if uc::may_write(&actor, &c) {
        "GET, HEAD, POST, OPTIONS"
    } else {
        "GET, HEAD, OPTIONS"
    }))
}

/// Answers for any feature id (QGIS probes `unknown_id` on empty collections): what the caller
/// may do in the collection, which says nothing about whether the feature exists.
pub async fn options_item(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((cid, _fid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let c = find(&state, &actor, &cid).await?;
    Ok(allow(if uc::may_write(&actor, &c) {
        "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
    } else {
        "GET, HEAD, OPTIONS"
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_in_4326_is_lat_first() {
        let b = parse_bbox("10,30,11,31", Crs::Epsg4326).unwrap();
        assert_eq!((b.min_lon, b.min_lat, b.max_lon, b.max_lat), (30.0, 10.0, 31.0, 11.0));
        assert!(parse_bbox("1,2,3", Crs::Crs84).is_err());
        assert!(parse_bbox("a,b,c,d", Crs::Crs84).is_err());
        assert!(parse_bbox("0,5,1,4", Crs::Crs84).is_err());
        let (x0, y0) = Crs::WebMercator.from_lon_lat(30.0, 50.0);
        let (x1, y1) = Crs::WebMercator.from_lon_lat(31.0, 51.0);
        let b = parse_bbox(&format!("{x0},{y0},{x1},{y1}"), Crs::WebMercator).unwrap();
        assert!((b.min_lon - 30.0).abs() < 1e-9 && (b.max_lat - 51.0).abs() < 1e-9);
    }

    #[test]
    fn html_only_when_preferred() {
        let mut h = HeaderMap::new();
        assert!(!wants_html(&h, None));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(!wants_html(&h, None));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(wants_html(&h, None));
        assert!(!wants_html(&h, Some("json")));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/geo+json, application/json"),
        );
        assert!(!wants_html(&h, None));
    }
}
