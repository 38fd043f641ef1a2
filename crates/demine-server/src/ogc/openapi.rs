//! The OpenAPI **3.0** document of `/ogc` (conformance class oas30), built by hand: utoipa emits
//! 3.1 only, and OGC clients read 3.0. One concrete path per collection (GDAL and QGIS read
//! parameters from `/collections/{id}/items` literally), local `$ref`s only (ogctests runs
//! offline), the legacy `cql-text` in the `filter-lang` enum (GDAL pushes `-where` down only
//! when it sees it), and one query parameter per queryable.

use demine_app::features::FieldType;
use demine_app::features::{Collection, MAX_ITEMS};
use serde_json::{json, Value};

fn param_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

fn field_schema(f: &demine_app::features::Field) -> Value {
    let mut s = match f.ty {
        FieldType::String => json!({"type": "string"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Date => json!({"type": "string", "format": "date"}),
    };
    if !f.values.is_empty() {
        s["enum"] = json!(f.values);
    }
    s
}

fn items_get(c: &Collection) -> Value {
    let mut params: Vec<Value> = [
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "datetime",
        "crs",
        "filter",
        "filter-lang",
        "filter-crs",
        "f",
    ]
    .iter()
    .map(|p| param_ref(p))
    .collect();
    for f in c.layer.fields() {
        params.push(json!({
            "name": f.name, "in": "query", "required": false, "style": "form", "explode": false,
            "description": format!("{} (equality)", f.title), "schema": field_schema(f),
        }));
    }
    json!({
        "summary": format!("Features of {}", c.title),
        "operationId": format!("get_{}_items", c.id),
        "tags": ["Data"],
        "parameters": params,
        "responses": {
            "200": {"description": "A page of features", "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/featureCollectionGeoJSON"}}}},
            "400": {"$ref": "#/components/responses/InvalidParameter"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"$ref": "#/components/responses/NotFound"}
        }
    })
}

/// The document, for the collections the caller sees (all of them for an anonymous reader of
/// `/ogc/api`: record collections exist for everyone; only their contents are scoped).
pub fn document(base: &str, collections: &[Collection]) -> Value {
    let mut paths = serde_json::Map::new();
    let simple = |summary: &str, op: &str, schema: &str| {
        json!({"get": {"summary": summary, "operationId": op, "tags": ["Capabilities"],
            "parameters": [param_ref("f")],
            "responses": {"200": {"description": summary, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
                          "400": {"$ref": "#/components/responses/InvalidParameter"}}}})
    };
    paths.insert("/".into(), simple("Landing page", "getLandingPage", "landingPage"));
    paths.insert(
        "/conformance".into(),
        simple("Conformance classes", "getConformance", "confClasses"),
    );
    paths.insert(
        "/api".into(),
        json!({"get": {"summary": "This document", "operationId": "getApi", "tags": ["Capabilities"],
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}}}}),
    );
    paths.insert(
        "/collections".into(),
        simple("Collections", "getCollections", "collections"),
    );
    for c in collections {
        let id = &c.id;
        paths.insert(
            format!("/collections/{id}"),
            json!({"get": {"summary": c.title, "operationId": format!("describe_{id}"), "tags": ["Capabilities"],
                "parameters": [param_ref("f")],
                "responses": {"200": {"description": "The collection", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/collectionInfo"}}}},
                              "404": {"$ref": "#/components/responses/NotFound"}}}}),
        );
        let mut items = serde_json::Map::new();
        items.insert("get".into(), items_get(c));
        let mut item = serde_json::Map::new();
        item.insert(
            "get".into(),
            json!({"summary": format!("One feature of {}", c.title), "operationId": format!("get_{id}_feature"), "tags": ["Data"],
                "parameters": [param_ref("featureId"), param_ref("crs"), param_ref("f")],
                "responses": {"200": {"description": "The feature", "headers": {"ETag": {"schema": {"type": "string"}}},
                                      "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}},
                              "404": {"$ref": "#/components/responses/NotFound"}}}),
        );
        if demine_app::features::record_kind(&c.layer).is_some() {
            items.insert(
                "post".into(),
                json!({"summary": format!("Create a feature of {} (validated as an import)", c.title),
                    "operationId": format!("create_{id}"), "tags": ["Transactions"],
                    "parameters": [param_ref("Content-Crs")],
                    "requestBody": {"required": true, "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}},
                    "responses": {"201": {"description": "Created", "headers": {"Location": {"schema": {"type": "string"}}}},
                                  "400": {"$ref": "#/components/responses/InvalidParameter"},
                                  "422": {"description": "Refused: every problem listed"}}}),
            );
            item.insert(
                "put".into(),
                json!({"summary": "Replace a feature (an amendment, validated as an import)", "operationId": format!("replace_{id}"), "tags": ["Transactions"],
                    "parameters": [param_ref("featureId"), param_ref("If-Match"), param_ref("Content-Crs")],
                    "requestBody": {"required": true, "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}},
                    "responses": {"204": {"description": "Replaced", "headers": {"ETag": {"schema": {"type": "string"}}}},
                                  "404": {"$ref": "#/components/responses/NotFound"},
                                  "412": {"description": "If-Match names a replaced version: the edit is kept as a conflict for review"},
                                  "422": {"description": "Refused: every problem listed"}}}),
            );
            item.insert(
                "patch".into(),
                json!({"summary": "Update some properties or the geometry", "operationId": format!("update_{id}"), "tags": ["Transactions"],
                    "parameters": [param_ref("featureId"), param_ref("If-Match"), param_ref("Content-Crs")],
                    "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}}},
                    "responses": {"204": {"description": "Updated"}, "404": {"$ref": "#/components/responses/NotFound"},
                                  "412": {"description": "Stale If-Match"}, "422": {"description": "Refused"}}}),
            );
            item.insert(
                "delete".into(),
                json!({"summary": "Retire a feature (kept in its history)", "operationId": format!("delete_{id}"), "tags": ["Transactions"],
                    "parameters": [param_ref("featureId"), param_ref("If-Match")],
                    "responses": {"204": {"description": "Retired"}, "404": {"$ref": "#/components/responses/NotFound"},
                                  "412": {"description": "Stale If-Match"}}}),
            );
        }
        paths.insert(format!("/collections/{id}/items"), Value::Object(items));
        paths.insert(format!("/collections/{id}/items/{{featureId}}"), Value::Object(item));
        paths.insert(
            format!("/collections/{id}/queryables"),
            json!({"get": {"summary": format!("Queryables of {}", c.title), "operationId": format!("queryables_{id}"), "tags": ["Capabilities"],
                "responses": {"200": {"description": "JSON Schema of the properties filters may use",
                    "content": {"application/schema+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}},
                    "404": {"$ref": "#/components/responses/NotFound"}}}}),
        );
    }
    let link = json!({"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}}});
    let links = json!({"type": "array", "items": {"$ref": "#/components/schemas/link"}});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "demine OGC API - Features",
            "description": "Hazards, activities, finds, accidents, released land, the risk map and context layers of a mine action registry. Another organisation's records are invisible. Vector tiles are at /tiles/{layer}/{z}/{x}/{y}.mvt (TileJSON at /tiles/{layer}.json).",
            "version": env!("CARGO_PKG_VERSION"),
            "contact": {"name": "demine"},
            "license": {"name": "Apache-2.0"}
        },
        "servers": [{"url": base}],
        "security": [{"basic": []}, {"bearer": []}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}, {"name": "Transactions"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}, "bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "limit": {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                          "description": format!("At most this many features (larger values are clamped to {MAX_ITEMS})."),
                          "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS, "default": 10}},
                "offset": {"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
                           "description": "Skip this many features (the `next` links use a faster cursor).",
                           "schema": {"type": "integer", "minimum": 0, "default": 0}},
                "bbox": {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                         "description": "minx,miny,maxx,maxy in bbox-crs (CRS84 by default): features whose geometry meets the box.",
                         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                "bbox-crs": {"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
                             "schema": {"type": "string", "format": "uri"}},
                "crs": {"name": "crs", "in": "query", "required": false, "style": "form", "explode": false,
                        "schema": {"type": "string", "format": "uri"}},
                "datetime": {"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                             "description": "A date or interval (start/end, `..` open) on the feature's own date.",
                             "schema": {"type": "string"}},
                "filter": {"name": "filter", "in": "query", "required": false, "style": "form", "explode": false,
                           "description": "A CQL2 filter over the collection's queryables.", "schema": {"type": "string"}},
                "filter-lang": {"name": "filter-lang", "in": "query", "required": false, "style": "form", "explode": false,
                                "schema": {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text"}},
                "filter-crs": {"name": "filter-crs", "in": "query", "required": false, "style": "form", "explode": false,
                               "schema": {"type": "string", "format": "uri"}},
                "f": {"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
                      "schema": {"type": "string", "enum": ["json", "html"]}},
                "featureId": {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}},
                "If-Match": {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}},
                "Content-Crs": {"name": "Content-Crs", "in": "header", "required": false, "schema": {"type": "string"}}
            },
            "responses": {
                "InvalidParameter": {"description": "A parameter is malformed or unknown (problem details naming it)",
                                     "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}}},
                "NotFound": {"description": "No such collection or feature you may see",
                             "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}}},
                "Unauthorized": {"description": "Log in (HTTP Basic or Bearer)"}
            },
            "schemas": {
                "exception": {"type": "object", "required": ["title"], "properties": {
                    "code": {"type": "string"}, "title": {"type": "string"}, "detail": {"type": "string"}, "status": {"type": "integer"}}},
                "link": link,
                "landingPage": {"type": "object", "required": ["links"], "properties": {
                    "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
                "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
                    "conformsTo": {"type": "array", "items": {"type": "string"}}}},
                "collections": {"type": "object", "required": ["links", "collections"], "properties": {
                    "links": links, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collectionInfo"}}}},
                "collectionInfo": {"type": "object", "required": ["id", "links"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                    "links": links, "extent": {"type": "object"}, "itemType": {"type": "string"},
                    "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"}}},
                "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                    "links": links, "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0}}},
                "featureGeoJSON": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": {"type": "object", "nullable": true},
                    "properties": {"type": "object", "nullable": true},
                    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "links": links}}
            }
        }
    })
}
