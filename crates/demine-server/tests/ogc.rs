//! OGC API – Features and vector tiles over real HTTP: a server on a loopback port over a
//! registry built with demine-app's own use cases, asked as GIS clients ask.

mod support;

use base64::Engine;
use demine_app::accounts::{add_user, NewUser};
use demine_app::registry::Registry;
use demine_app::{Actor, Role};
use geozero::mvt::{Message, Tile};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(&k.to_ascii_lowercase()).map(String::as_str)
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
async fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers.get("transfer-encoding").is_some_and(|t| t == "chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Reply { status, headers, body }
}

fn basic(user: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:correct horse battery"))
    )
}

fn square(id: &str, class: &str, org: &str, lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Feature", "properties": {"id": id, "class": class, "organisation": org, "recorded_date": "2024-03-01"},
           "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]}})
}

struct Server {
    addr: SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

async fn start() -> Server {
    let (loc, dir) = support::new_location("ogc.gpkg").await;
    let admin = Actor::local("test");
    // Five hazards of organisation alpha in a row along 30°E, one of beta further east.
    let mut features: Vec<Value> = (0..5)
        .map(|i| {
            square(
                &format!("A{i}"),
                if i % 2 == 0 { "SHA" } else { "CHA" },
                "alpha",
                30.0 + f64::from(i) * 0.1,
                10.0,
                0.01,
            )
        })
        .collect();
    features.push(square("B1", "CHA", "beta", 30.2, 10.02, 0.01));
    let fc = json!({"type": "FeatureCollection", "features": features});
    let opts = demine_app::import::ImportOptions::default();
    demine_app::import::import_bytes(
        &loc,
        &admin,
        demine_app::RecordKind::Organisations,
        std::path::Path::new("organisations.csv"),
        b"id,name\nalpha,Alpha demining\nbeta,Beta clearance\n",
        &opts,
    )
    .await
    .unwrap();
    demine_app::import::import_bytes(
        &loc,
        &admin,
        demine_app::RecordKind::Hazards,
        std::path::Path::new("hazards.geojson"),
        fc.to_string().as_bytes(),
        &opts,
    )
    .await
    .unwrap();
    let reg = Registry::open(&loc).await.unwrap();
    for (name, role, org) in [
        ("ada", Role::Admin, None),
        ("pat", Role::Planner, Some("alpha")),
        ("vic", Role::Viewer, None),
    ] {
        add_user(
            &reg,
            &admin,
            &NewUser {
                username: name.into(),
                role,
                organisation: org.map(str::to_string),
                assigned: vec![],
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    }
    reg.close().await.unwrap();
    let app = demine_server::router(demine_server::AppState::new(support::serving_registry(&loc).await));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    Server { addr, _dir: dir }
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn link<'a>(v: &'a Value, rel: &str) -> Option<&'a str> {
    v["links"].as_array()?.iter().find(|l| l["rel"] == rel)?["href"].as_str()
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogc_api_features_and_tiles() {
    let s = start().await;
    let a = s.addr;
    let ada = basic("ada");
    let pat = basic("pat");
    let get = |path: &str, auth: &str| {
        let (path, auth) = (path.to_string(), auth.to_string());
        async move { http(a, "GET", &path, &[("Authorization", &auth), ("Accept", "*/*")], b"").await }
    };

    // Landing page, conformance and the API are public; JSON for */*.
    let r = http(a, "GET", "/ogc/", &[("Accept", "*/*")], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let landing = r.json();
    let desc = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    let r = http(a, "GET", "/ogc/api", &[], b"").await;
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.oai.openapi+json;version=3.0")
    );
    let api = r.json();
    assert_eq!(api["openapi"], "3.0.3");
    let langs = &api["components"]["parameters"]["filter-lang"]["schema"]["enum"];
    assert!(
        langs.as_array().unwrap().contains(&json!("cql-text")),
        "GDAL needs cql-text: {langs}"
    );
    assert!(api["paths"]["/collections/hazards/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "class"));
    let r = http(a, "GET", "/ogc", &[("Accept", "text/html")], b"").await;
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let conf = http(a, "GET", "/ogc/conformance", &[], b"").await.json();
    assert!(conf["conformsTo"]
        .as_array()
        .unwrap()
        .contains(&json!("http://www.opengis.net/spec/cql2/1.0/conf/cql2-text")));

    // Data needs credentials (deny by default), and the challenge names Basic.
    let r = http(a, "GET", "/ogc/collections", &[], b"").await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().contains("Basic"));
    // A donor (viewer) reads aggregates only: no records.
    assert_eq!(get("/ogc/collections/hazards/items", &basic("vic")).await.status, 403);

    let cs = get("/ogc/collections", &ada).await.json();
    let names: Vec<&str> = cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for want in [
        "hazards",
        "activities",
        "finds",
        "accidents",
        "released_land",
        "risk_cells",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let pat_cs = get("/ogc/collections", &pat).await.json();
    let hz = pat_cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hazards")
        .unwrap();
    assert_eq!(hz["itemCount"], 5, "an operator counts only their own hazards");
    assert!(hz["extent"]["spatial"]["bbox"][0][0].as_f64().unwrap() >= 30.0);

    // Paging: limit, numberMatched, next links to the end, prev.
    let mut url = "/ogc/collections/hazards/items?limit=2".to_string();
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    loop {
        let r = get(&url, &ada).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some("application/geo+json"));
        let v = r.json();
        assert_eq!(v["numberMatched"], 6);
        assert!(v["numberReturned"].as_u64().unwrap() <= 2);
        assert!(link(&v, "self").is_some());
        if pages == 1 {
            assert!(link(&v, "prev").is_some(), "page 2 has a prev link");
        }
        seen.extend(ids(&v));
        pages += 1;
        match link(&v, "next") {
            Some(n) => url = path_of(n),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 6);
    // A limit above the maximum is clamped, not refused; a malformed one is a 400 naming it.
    assert_eq!(
        get("/ogc/collections/hazards/items?limit=999999", &ada).await.status,
        200
    );
    let r = get("/ogc/collections/hazards/items?limit=unlimited", &ada).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["parameter"], "limit");
    assert_eq!(get("/ogc/collections/hazards/items?ooga=booga", &ada).await.status, 400);

    // bbox: exact intersection.
    let v = get("/ogc/collections/hazards/items?bbox=30.095,9.99,30.205,10.005", &ada)
        .await
        .json();
    assert_eq!(ids(&v), ["A1", "A2"].iter().map(|s| s.to_string()).collect());

    // CQL2 text, JSON, GDAL's dialect, Part 1 equality.
    let v = get(
        "/ogc/collections/hazards/items?filter=class%20%3D%20%27CHA%27&limit=100",
        &ada,
    )
    .await
    .json();
    assert_eq!(ids(&v), ["A1", "A3", "B1"].iter().map(|s| s.to_string()).collect());
    let j = r#"{"op":"and","args":[{"op":"=","args":[{"property":"class"},"SHA"]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[30.15,9.9,30.5,10.1]}]}]}"#;
    let q = serde_urlencoded::to_string([("filter", j), ("filter-lang", "cql2-json")]).unwrap();
    let v = get(&format!("/ogc/collections/hazards/items?{q}"), &ada).await.json();
    assert_eq!(ids(&v), ["A2", "A4"].iter().map(|s| s.to_string()).collect());
    let q = serde_urlencoded::to_string([
        ("filter", "(id ILIKE 'a%') AND (recorded_date > '2024-01-03T')"),
        ("filter-lang", "cql-text"),
    ])
    .unwrap();
    let v = get(&format!("/ogc/collections/hazards/items?{q}"), &ada).await.json();
    assert_eq!(v["numberMatched"], 5);
    let v = get("/ogc/collections/hazards/items?class=SHA", &ada).await.json();
    assert_eq!(v["numberMatched"], 3);
    let r = get("/ogc/collections/hazards/items?filter=colour%3D%27red%27", &ada).await;
    assert_eq!(r.status, 400);
    let p = r.json();
    assert!(p["detail"].as_str().unwrap().contains("'colour'"), "{p}");
    assert!(p["queryables"]
        .as_str()
        .unwrap()
        .ends_with("/ogc/collections/hazards/queryables"));
    let r = get("/ogc/collections/hazards/items?filter=class%20%3D", &ada).await;
    assert_eq!(r.status, 400, "a malformed filter is a 400");
    let q = get("/ogc/collections/hazards/queryables", &ada).await.json();
    assert_eq!(q["properties"]["remaining_m2"]["type"], "number");
    assert_eq!(q["additionalProperties"], false);

    // CRS: EPSG:3857 and UTM out, Content-Crs, EPSG:4326 in latitude-first order, and back.
    let r = get(
        "/ogc/collections/hazards/items/A0?crs=http://www.opengis.net/def/crs/EPSG/0/3857",
        &ada,
    )
    .await;
    assert_eq!(
        r.header("content-crs"),
        Some("<http://www.opengis.net/def/crs/EPSG/0/3857>")
    );
    let x = r.json()["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap();
    assert!((x - 3_339_584.723_798).abs() < 1e-3, "{x}");
    let v = get(
        "/ogc/collections/hazards/items/A0?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
        &ada,
    )
    .await
    .json();
    assert_eq!(v["geometry"]["coordinates"][0][0][0], json!([10.0, 30.0]));
    let v = get(
        "/ogc/collections/hazards/items/A0?crs=http://www.opengis.net/def/crs/EPSG/0/32636",
        &ada,
    )
    .await
    .json();
    let e = v["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap();
    assert!(e > 100_000.0 && e < 900_000.0, "UTM easting {e}");
    let q = serde_urlencoded::to_string([
        ("bbox", "9.99,30.095,10.005,30.205"),
        ("bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"),
    ])
    .unwrap();
    let v = get(&format!("/ogc/collections/hazards/items?{q}"), &ada).await.json();
    assert_eq!(
        ids(&v),
        ["A1", "A2"].iter().map(|s| s.to_string()).collect(),
        "bbox-crs 4326 is lat,lon"
    );
    assert_eq!(
        get("/ogc/collections/hazards/items?crs=EPSG:2154", &ada).await.status,
        400
    );

    // Organisation isolation: beta's hazard is invisible to alpha's planner everywhere.
    assert_eq!(get("/ogc/collections/hazards/items/B1", &pat).await.status, 404);
    assert_eq!(get("/ogc/collections/hazards/items/B1", &ada).await.status, 200);
    let v = get("/ogc/collections/hazards/items?limit=100", &pat).await.json();
    assert_eq!(v["numberMatched"], 5);
    assert!(!ids(&v).contains("B1"));
    let v = get("/ogc/collections/hazards/items?filter=id%3D%27B1%27", &pat)
        .await
        .json();
    assert_eq!(v["numberMatched"], 0);
    let v = get("/ogc/collections/hazards/items?bbox=30.2,10.02,30.21,10.03", &pat)
        .await
        .json();
    assert!(!ids(&v).contains("B1"));
    assert_eq!(
        get("/ogc/collections/risk_cells", &pat).await.status,
        404,
        "the risk map is the authority's"
    );

    // Tiles: B1 and A2 share a zoom-12 tile; alpha's planner gets A2 only.
    let z = 12u8;
    let n = f64::from(1u32 << z);
    let x = ((30.205 + 180.0) / 360.0 * n) as u32;
    let lat = 10.015f64.to_radians();
    let y = ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
    let tile = |auth: String, inm: Option<String>| async move {
        let mut h = vec![("Authorization", auth.clone())];
        if let Some(e) = inm {
            h.push(("If-None-Match", e));
        }
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        http(a, "GET", &format!("/tiles/hazards/{z}/{x}/{y}.pbf"), &h, b"").await
    };
    let r = tile(ada.clone(), None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/vnd.mapbox-vector-tile"));
    let t = Tile::decode(&r.body[..]).unwrap();
    let layer = &t.layers[0];
    assert_eq!(layer.name, "hazards");
    let tile_ids = |l: &geozero::mvt::tile::Layer| -> BTreeSet<String> {
        l.features
            .iter()
            .map(|f| {
                let k = l.keys.iter().position(|k| k == "id").unwrap() as u32;
                let i = f.tags.chunks(2).find(|c| c[0] == k).unwrap()[1];
                l.values[i as usize].string_value.clone().unwrap()
            })
            .collect()
    };
    assert!(
        tile_ids(layer).contains("B1") && tile_ids(layer).contains("A2"),
        "{:?}",
        tile_ids(layer)
    );
    assert!(layer.keys.iter().any(|k| k == "remaining_m2") && layer.keys.iter().any(|k| k == "status"));
    let tile_etag = r.header("etag").unwrap().to_string();
    assert_eq!(tile(ada.clone(), Some(tile_etag.clone())).await.status, 304);
    let r = tile(pat.clone(), None).await;
    let t = Tile::decode(&r.body[..]).unwrap();
    assert!(
        !tile_ids(&t.layers[0]).contains("B1"),
        "another organisation's hazard in a tile"
    );
    assert_eq!(
        http(a, "GET", "/tiles/hazards/3/0/0.mvt", &[("Authorization", &ada)], b"")
            .await
            .status,
        204
    );
    let tj = get("/tiles/hazards/metadata.json", &ada).await.json();
    assert_eq!(tj["vector_layers"][0]["id"], "hazards");
    assert_eq!(get("/tiles/hazards.json", &ada).await.status, 200);
    assert_eq!(get("/tiles/hazards/40/0/0.mvt", &ada).await.status, 400);

    // Part 4: OPTIONS, create (201 + Location), ETag, replace with If-Match, stale → 412, delete.
    let r = http(
        a,
        "OPTIONS",
        "/ogc/collections/hazards/items",
        &[("Authorization", &pat)],
        b"",
    )
    .await;
    assert!(r.header("allow").unwrap().contains("POST"));
    let r = http(
        a,
        "OPTIONS",
        "/ogc/collections/hazards/items/unknown_id",
        &[("Authorization", &pat)],
        b"",
    )
    .await;
    assert!(r.header("allow").unwrap().contains("PUT"));
    let r = http(
        a,
        "OPTIONS",
        "/ogc/collections/released_land/items",
        &[("Authorization", &pat)],
        b"",
    )
    .await;
    assert!(
        !r.header("allow").unwrap().contains("POST"),
        "computed layers are not edited"
    );
    let sha_matched = |who: String| async move {
        get("/ogc/collections/hazards/items?filter=class%3D%27SHA%27&limit=1", &who)
            .await
            .json()["numberMatched"]
            .as_u64()
            .unwrap()
    };
    let sha_before = sha_matched(pat.clone()).await;
    let mut new = square("N1", "SHA", "alpha", 30.7, 10.0, 0.01);
    new["properties"].as_object_mut().unwrap().remove("id");
    let body = new.to_string();
    let r = http(
        a,
        "POST",
        "/ogc/collections/hazards/items",
        &[("Authorization", &pat), ("Content-Type", "application/geo+json")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let loc = r.header("location").unwrap().to_string();
    assert!(loc.contains("/items/"));
    assert_eq!(
        sha_matched(pat.clone()).await,
        sha_before + 1,
        "a count asked before a write is not given again after it"
    );
    let item = path_of(&loc);
    let r = get(&item, &pat).await;
    assert_eq!(r.status, 200);
    let etag = r.header("etag").unwrap().to_string();
    let mut f = r.json();
    f["properties"]["name"] = json!("North field");
    let body = f.to_string();
    let put = |etag: String| {
        let (item, pat, body) = (item.clone(), pat.clone(), body.clone());
        async move {
            http(
                a,
                "PUT",
                &item,
                &[
                    ("Authorization", &pat),
                    ("Content-Type", "application/geo+json"),
                    ("If-Match", &etag),
                ],
                body.as_bytes(),
            )
            .await
        }
    };
    let r = put(etag.clone()).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_ne!(r.header("etag").unwrap(), etag);
    assert_eq!(get(&item, &pat).await.json()["properties"]["name"], "North field");
    assert_eq!(put(etag.clone()).await.status, 412, "an edit of a replaced version");
    // Invalid writes are refused with the import's validation (an open ring).
    let bad = json!({"type": "Feature", "properties": {"class": "SHA"}, "geometry": {"type": "Polygon", "coordinates": [[[30.8, 10.0], [30.9, 10.0], [30.9, 10.1]]]}});
    let r = http(
        a,
        "POST",
        "/ogc/collections/hazards/items",
        &[("Authorization", &pat)],
        bad.to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    // Another organisation's hazard cannot be replaced or deleted: it does not exist for them.
    let r = http(
        a,
        "DELETE",
        "/ogc/collections/hazards/items/B1",
        &[("Authorization", &pat)],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    let r = http(a, "DELETE", &item, &[("Authorization", &pat)], b"").await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(get(&item, &pat).await.status, 404);
    // The registry changed: the cached tile is remade (its ETag changes).
    assert_ne!(etag_of_tile(&ada, a, z, x, y).await, tile_etag);
}

async fn etag_of_tile(auth: &str, a: SocketAddr, z: u8, x: u32, y: u32) -> String {
    let r = http(
        a,
        "GET",
        &format!("/tiles/hazards/{z}/{x}/{y}.mvt"),
        &[("Authorization", auth)],
        b"",
    )
    .await;
    r.header("etag").unwrap().to_string()
}
