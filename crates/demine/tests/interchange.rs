//! Issue 15, interchange: GDAL's ogr2ogr writes the same hazards, activities and finds into
//! every format and coordinate system operators send; demine imports each and must give the
//! GeoJSON import's land-release figures (within 0.01 %), its attributes (Cyrillic included)
//! and its positions (within 1 m). demine's exports must read back in ogrinfo. Bad inputs give
//! located errors and leave the registry unchanged.
//!
//! Needs Debian's gdal-bin (ogr2ogr, ogrinfo); without it the tests say so and pass.

mod common;

use common::Scratch;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const KINDS: [&str; 3] = ["hazards", "activities", "finds"];

fn data(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/interchange/{kind}.geojson"))
}

fn have_gdal() -> bool {
    let ok = Command::new("ogr2ogr")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        // The suite proper (scripts/test.sh) installs GDAL first: there a missing ogr2ogr fails.
        assert!(
            std::env::var_os("CI").is_none(),
            "ogr2ogr (Debian gdal-bin) is not installed: run scripts/install-test-deps.sh"
        );
        eprintln!("SKIPPED: ogr2ogr (Debian gdal-bin) is not installed");
    }
    ok
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr").args(args).output().expect("ogr2ogr");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn zip_files(zip: &Path, files: &[PathBuf]) {
    let list: Vec<String> = files.iter().map(|f| format!("{:?}", f.to_str().unwrap())).collect();
    let script = format!(
        "import zipfile,os\nz=zipfile.ZipFile({:?},'w',zipfile.ZIP_DEFLATED)\nfor f in [{}]:\n    z.write(f, os.path.basename(f))\nz.close()",
        zip.to_str().unwrap(),
        list.join(",")
    );
    let out = Command::new("python3").arg("-c").arg(script).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Release figures and per-record attributes and positions of a registry.
struct Snapshot {
    release: Value,
    records: Vec<(String, String, Value, Value)>,
}

fn snapshot(s: &Scratch) -> Snapshot {
    let release = s.ok_json(&["release", "--json"]);
    let mut records = Vec::new();
    for kind in KINDS {
        let p = s.dir.path().join(format!("snap-{kind}.geojson"));
        let (code, _, err) = s.run(&["export", kind, p.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for f in v["features"].as_array().unwrap() {
            let mut props = f["properties"].clone();
            // Kept by the registry, not by the source.
            if let Some(o) = props.as_object_mut() {
                o.remove("recorded_date");
                o.remove("status");
            }
            records.push((
                kind.to_string(),
                f["id"].as_str().unwrap().to_string(),
                props,
                f["geometry"].clone(),
            ));
        }
    }
    records.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Snapshot { release, records }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

/// Every vertex within `metres` of the reference's.
fn same_positions(a: &Value, b: &Value, metres: f64) -> Result<(), String> {
    fn flat(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) => out.push(n.as_f64().unwrap()),
            Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
            _ => {}
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    flat(&a["coordinates"], &mut x);
    flat(&b["coordinates"], &mut y);
    if x.len() != y.len() {
        return Err(format!("{} vs {} coordinates", x.len() / 2, y.len() / 2));
    }
    for (p, q) in x.chunks(2).zip(y.chunks(2)) {
        let dx = (p[0] - q[0]) * 111_320.0 * p[1].to_radians().cos();
        let dy = (p[1] - q[1]) * 110_574.0;
        let d = (dx * dx + dy * dy).sqrt();
        if d > metres {
            return Err(format!("({}, {}) vs ({}, {}): {d:.3} m apart", p[0], p[1], q[0], q[1]));
        }
    }
    Ok(())
}

fn compare(name: &str, reference: &Snapshot, got: &Snapshot, attributes: bool) {
    for key in [
        "hazards",
        "hazard_area_m2",
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "remaining_m2",
    ] {
        let (a, b) = (
            reference.release[key].as_f64().unwrap(),
            got.release[key].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-4), "{name}: {key} {b} vs GeoJSON {a}");
    }
    assert_eq!(reference.records.len(), got.records.len(), "{name}: record counts");
    for (r, g) in reference.records.iter().zip(&got.records) {
        assert_eq!((&r.0, &r.1), (&g.0, &g.1), "{name}: records");
        if attributes {
            assert_eq!(r.2, g.2, "{name}: attributes of {} {}", r.0, r.1);
        } else {
            for k in [
                "id",
                "class",
                "hazard_id",
                "type",
                "outcome",
                "start_date",
                "end_date",
                "date",
                "category",
            ] {
                assert_eq!(r.2.get(k), g.2.get(k), "{name}: {k} of {} {}", r.0, r.1);
            }
        }
        same_positions(&r.3, &g.3, 1.0).unwrap_or_else(|e| panic!("{name}: {} {}: {e}", r.0, r.1));
    }
}

fn import_all(s: &Scratch, files: &[(String, PathBuf)], extra: &[&str]) {
    for (kind, f) in files {
        let mut args = vec!["import", kind.as_str(), f.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 0, "import {kind} {}: {err}", f.display());
    }
}

#[test]
fn every_format_and_crs_gives_the_geojson_figures() {
    if !have_gdal() {
        return;
    }
    let reference = {
        let s = Scratch::new();
        for k in KINDS {
            s.import_ok(k, &data(k));
        }
        snapshot(&s)
    };
    assert!(reference.release["cleared_m2"].as_f64().unwrap() > 0.0);
    let work = tempfile::tempdir().unwrap();
    let w = |n: &str| work.path().join(n);
    // (name, driver and options, extension, attributes expected identical)
    let variants: &[(&str, &[&str], &str, bool)] = &[
        (
            "shp-cp1251",
            &["-f", "ESRI Shapefile", "-lco", "ENCODING=CP1251"],
            "shp",
            true,
        ),
        (
            "shp-utf8",
            &["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"],
            "shp",
            true,
        ),
        ("kml", &["-f", "KML"], "kml", true),
        ("gpkg", &["-f", "GPKG"], "gpkg", true),
        ("fgb", &["-f", "FlatGeobuf"], "fgb", true),
        ("utm36n", &["-f", "GPKG", "-t_srs", "EPSG:32636"], "gpkg", true),
        (
            "pulkovo-gk6",
            &["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:28406"],
            "shp",
            true,
        ),
        (
            "ucs2000-gk7",
            &["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:5565"],
            "shp",
            true,
        ),
        (
            "ucs2000-tm11",
            &["-f", "FlatGeobuf", "-t_srs", "EPSG:6385"],
            "fgb",
            true,
        ),
        (
            "web-mercator",
            &["-f", "FlatGeobuf", "-t_srs", "EPSG:3857"],
            "fgb",
            true,
        ),
    ];
    for (name, opts, ext, attributes) in variants {
        let mut files = Vec::new();
        for k in KINDS {
            let out = w(&format!("{name}-{k}.{ext}"));
            let mut args: Vec<&str> = opts.to_vec();
            args.push(out.to_str().unwrap());
            let src = data(k);
            args.push(src.to_str().unwrap());
            ogr2ogr(&args);
            files.push((k.to_string(), out));
        }
        let s = Scratch::new();
        import_all(&s, &files, &[]);
        compare(name, &reference, &snapshot(&s), *attributes);
    }
    // A zip of a shapefile's parts, and a KMZ.
    {
        let mut files = Vec::new();
        for k in KINDS {
            let stem = w(&format!("shp-cp1251-{k}"));
            let parts: Vec<PathBuf> = ["shp", "shx", "dbf", "prj", "cpg"]
                .iter()
                .map(|e| stem.with_extension(e))
                .collect();
            let z = w(&format!("zipped-{k}.zip"));
            zip_files(&z, &parts);
            files.push((k.to_string(), z));
        }
        let s = Scratch::new();
        import_all(&s, &files, &[]);
        compare("shp-zip", &reference, &snapshot(&s), true);
    }
    {
        let mut files = Vec::new();
        for k in KINDS {
            let kml = w(&format!("kml-{k}.kml"));
            let doc = w(&format!("kmz-{k}/doc.kml"));
            std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
            std::fs::copy(&kml, &doc).unwrap();
            let z = w(&format!("{k}.kmz"));
            zip_files(&z, &[doc]);
            files.push((k.to_string(), z));
        }
        let s = Scratch::new();
        import_all(&s, &files, &[]);
        compare("kmz", &reference, &snapshot(&s), true);
    }
    // GPX: finds as waypoints (GDAL writes the other fields as extensions).
    {
        let gpx = w("finds.gpx");
        ogr2ogr(&[
            "-f",
            "GPX",
            "-dsco",
            "GPX_USE_EXTENSIONS=YES",
            gpx.to_str().unwrap(),
            data("finds").to_str().unwrap(),
        ]);
        let s = Scratch::new();
        s.import_ok("hazards", &data("hazards"));
        s.import_ok("activities", &data("activities"));
        s.import_ok("finds", &gpx);
        compare("gpx", &reference, &snapshot(&s), false);
    }
}

fn ogrinfo(path: &Path) -> String {
    // GDAL opens a zip of a shapefile through its virtual file system.
    let arg = if path.extension().is_some_and(|e| e == "zip") {
        format!("/vsizip/{}", path.display())
    } else {
        path.display().to_string()
    };
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al"])
        .arg(arg)
        .output()
        .expect("ogrinfo");
    assert!(
        out.status.success(),
        "ogrinfo {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn exports_read_back_in_ogrinfo() {
    if !have_gdal() {
        return;
    }
    let s = Scratch::new();
    for k in KINDS {
        s.import_ok(k, &data(k));
    }
    let out = |n: &str| s.dir.path().join(n);
    // (kind, file, extra args, feature count, CRS text, attribute text)
    type ExportCase<'a> = (&'a str, PathBuf, Vec<&'a str>, usize, &'a str, &'a str);
    let cases: Vec<ExportCase> = vec![
        ("hazards", out("h.shp"), vec![], 2, "WGS 84", "Поле біля Ізюма"),
        (
            "hazards",
            out("h1251.shp"),
            vec!["--encoding", "cp1251"],
            2,
            "WGS 84",
            "Лісосмуга",
        ),
        ("hazards", out("h.zip"), vec![], 2, "WGS 84", "Лісосмуга"),
        (
            "hazards",
            out("h-gk.shp"),
            vec!["--crs", "EPSG:28406"],
            2,
            "Pulkovo 1942",
            "Поле біля Ізюма",
        ),
        ("hazards", out("h.kml"), vec![], 2, "WGS 84", "Лісосмуга"),
        ("hazards", out("h.kmz"), vec![], 2, "WGS 84", "Лісосмуга"),
        ("hazards", out("h.fgb"), vec![], 2, "WGS 84", "Лісосмуга"),
        (
            "activities",
            out("a-ucs.fgb"),
            vec!["--crs", "EPSG:6385"],
            2,
            "UCS-2000",
            "clearance",
        ),
        (
            "finds",
            out("f-utm.shp"),
            vec!["--crs", "EPSG:32636"],
            3,
            "UTM zone 36N",
            "AP_mine",
        ),
        ("finds", out("f.gpx"), vec![], 3, "WGS 84", "AT_mine"),
        ("hazards", out("h.gpkg"), vec![], 2, "WGS 84", "Поле біля Ізюма"),
        (
            "finds",
            out("f-utm.gpkg"),
            vec!["--crs", "EPSG:32636"],
            3,
            "UTM zone 36N",
            "AP_mine",
        ),
    ];
    for (kind, file, extra, n, crs, attr) in cases {
        let mut args = vec!["export", kind, file.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 0, "export {}: {err}", file.display());
        let info = ogrinfo(&file);
        let count = info
            .lines()
            .filter_map(|l| l.strip_prefix("Feature Count: "))
            .map(|c| c.trim().parse::<usize>().unwrap())
            .sum::<usize>();
        assert_eq!(count, n, "{}: {info}", file.display());
        assert!(info.contains(crs), "{}: no CRS '{crs}' in {info}", file.display());
        assert!(info.contains(attr), "{}: no '{attr}' in {info}", file.display());
    }
    // A UTM export read back by demine lands where it was.
    let s2 = Scratch::new();
    s2.import_ok("hazards", &data("hazards"));
    s2.import_ok("activities", &data("activities"));
    s2.import_ok("finds", &out("f-utm.shp"));
    let a = snapshot(&s);
    let b = snapshot(&s2);
    compare("utm round trip", &a, &b, true);
    // So does a GeoPackage export, in WGS 84 and in UTM.
    let s3 = Scratch::new();
    s3.import_ok("hazards", &out("h.gpkg"));
    s3.import_ok("activities", &data("activities"));
    s3.import_ok("finds", &out("f-utm.gpkg"));
    compare("gpkg round trip", &a, &snapshot(&s3), true);
    // An export never replaces the registry it reads.
    if s.pg_url.is_none() {
        let before = s.fingerprint();
        let (code, _, err) = s.run(&["export", "hazards", s.db().to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is the registry itself"), "{err}");
        assert_eq!(before, s.fingerprint());
    }
}

/// The venv python with pyarrow and shapely (tests/clients/install-ogc-clients.sh), or `None`
/// outside the suite proper when it cannot be installed.
fn python_with_pyarrow() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("tests/clients/install-ogc-clients.sh"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    match out {
        Some(o) => Some(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pyarrow could not be installed: run tests/clients/install-ogc-clients.sh"
            );
            eprintln!("SKIPPED: pyarrow could not be installed");
            None
        }
    }
}

#[test]
fn geoparquet_exports_read_back_in_pyarrow() {
    let Some(python) = python_with_pyarrow() else {
        return;
    };
    let s = Scratch::new();
    for k in KINDS {
        s.import_ok(k, &data(k));
    }
    // The GeoJSON export is the reference: same records, same coordinates.
    for kind in ["hazards", "finds"] {
        let parquet = s.dir.path().join(format!("{kind}.parquet"));
        let geojson = s.dir.path().join(format!("{kind}.geojson"));
        for f in [&parquet, &geojson] {
            let (code, _, err) = s.run(&["export", kind, f.to_str().unwrap()]);
            assert_eq!(code, 0, "export {}: {err}", f.display());
        }
        let script = r#"
import json, sys
import pyarrow.parquet as pq
import shapely
path, reference = sys.argv[1], json.load(open(sys.argv[2]))
table = pq.read_table(path)
geo = json.loads(table.schema.metadata[b"geo"])
column = geo["columns"][geo["primary_column"]]
rows = table.to_pylist()
features = {f["properties"]["id"]: f for f in reference["features"]}
assert len(rows) == len(features), (len(rows), len(features))
worst = 0.0
written_types = set()
for row in rows:
    f = features[row["id"]]
    got = shapely.from_wkb(row["geometry"])
    written_types.add(got.geom_type)
    want = shapely.geometry.shape(f["geometry"])
    worst = max(worst, got.hausdorff_distance(want))
    for k, v in f["properties"].items():
        if k in row and v is not None and not isinstance(v, (dict, list)):
            assert row[k] == v or str(row[k]) == str(v), (row["id"], k, row[k], v)
assert sorted(written_types) == sorted(column["geometry_types"]), (written_types, column["geometry_types"])
print(json.dumps({"rows": len(rows), "encoding": column["encoding"], "types": column["geometry_types"],
                  "bbox": column["bbox"], "worst_deg": worst, "names": [r.get("name") for r in rows]}))
"#;
        let out = Command::new(&python)
            .args(["-c", script, parquet.to_str().unwrap(), geojson.to_str().unwrap()])
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{kind}.parquet read in pyarrow: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got["encoding"], "WKB", "{got}");
        assert!(
            got["worst_deg"].as_f64().unwrap() < 1e-9,
            "{kind}: positions moved: {got}"
        );
        assert_eq!(got["bbox"].as_array().map(Vec::len), Some(4), "{got}");
        if kind == "hazards" {
            assert_eq!(got["rows"], 2, "{got}");
            assert!(
                got["names"].to_string().contains("Поле біля Ізюма"),
                "Cyrillic kept: {got}"
            );
        } else {
            assert_eq!(got["rows"], 3, "{got}");
            assert_eq!(got["types"], serde_json::json!(["Point"]), "{got}");
        }
    }
    // GeoParquet is WGS 84 here: another CRS is refused, and nothing is written.
    let utm = s.dir.path().join("f-utm.parquet");
    let (code, _, err) = s.run(&["export", "finds", utm.to_str().unwrap(), "--crs", "EPSG:32636"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("OGC:CRS84") && err.contains("f-utm.parquet"), "{err}");
    assert!(!utm.exists());
}

/// GeoParquet written by pyarrow and shapely (as GeoPandas writes it), one layer in UTM 36N
/// with its PROJJSON CRS, Snappy, ZSTD and gzip, and demine's own GeoParquet export, import as
/// the GeoJSON does; a codec demine does not read (Brotli) and a plain Parquet file are refused,
/// naming the file, and leave the registry unchanged.
#[test]
fn geoparquet_from_pyarrow_and_from_an_export_imports_as_the_geojson() {
    let Some(python) = python_with_pyarrow() else {
        return;
    };
    let reference = {
        let s = Scratch::new();
        for k in KINDS {
            s.import_ok(k, &data(k));
        }
        s
    };
    let reference_snapshot = snapshot(&reference);
    let work = tempfile::tempdir().unwrap();
    let w = |n: &str| work.path().join(n);
    let script = r#"
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
import shapely, shapely.ops
from shapely.geometry import shape
from pyproj import CRS, Transformer
source, out, epsg, compression = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
features = json.load(open(source))["features"]
column = {"encoding": "WKB", "geometry_types": sorted({f["geometry"]["type"] for f in features})}
to_crs = None
if epsg != 4326:
    to_crs = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    column["crs"] = CRS.from_epsg(epsg).to_json_dict()
rows = []
for f in features:
    g = shape(f["geometry"])
    if to_crs is not None:
        g = shapely.ops.transform(to_crs.transform, g)
    row = dict(f["properties"])
    row["geometry"] = shapely.to_wkb(g, flavor="iso")
    rows.append(row)
table = pa.Table.from_pylist(rows)
geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
pq.write_table(table, out, compression=compression)
"#;
    let write = |kind: &str, out: &Path, epsg: &str, compression: &str| {
        let o = Command::new(&python)
            .args([
                "-c",
                script,
                data(kind).to_str().unwrap(),
                out.to_str().unwrap(),
                epsg,
                compression,
            ])
            .output()
            .expect("python");
        assert!(
            o.status.success(),
            "pyarrow writing {kind}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    // pyarrow: hazards in UTM 36N, the rest in longitude/latitude; the codecs writers use.
    let from_pyarrow = Scratch::new();
    for (k, compression) in KINDS.iter().zip(["snappy", "zstd", "gzip"]) {
        let f = w(&format!("{k}-pyarrow.parquet"));
        write(k, &f, if *k == "hazards" { "32636" } else { "4326" }, compression);
        from_pyarrow.import_ok(k, &f);
    }
    compare(
        "pyarrow GeoParquet",
        &reference_snapshot,
        &snapshot(&from_pyarrow),
        false,
    );
    // demine's own export reads back with every attribute.
    let round_trip = Scratch::new();
    for k in KINDS {
        let f = w(&format!("{k}-export.parquet"));
        let (code, _, err) = reference.run(&["export", k, f.to_str().unwrap()]);
        assert_eq!(code, 0, "export {k}: {err}");
        round_trip.import_ok(k, &f);
    }
    compare(
        "GeoParquet round trip",
        &reference_snapshot,
        &snapshot(&round_trip),
        true,
    );
    // Refused whole, the file named, the registry unchanged.
    let before = round_trip.fingerprint();
    let brotli = w("finds-brotli.parquet");
    write("finds", &brotli, "4326", "brotli");
    let plain = w("plain.parquet");
    let o = Command::new(&python)
        .args([
            "-c",
            "import sys, pyarrow as pa, pyarrow.parquet as pq; pq.write_table(pa.table({'id': ['F-9'], 'x': [1.0]}), sys.argv[1])",
            plain.to_str().unwrap(),
        ])
        .output()
        .expect("python");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (file, says) in [
        (&brotli, "compressed with Brotli, which demine does not read"),
        (&plain, "without GeoParquet `geo` metadata"),
    ] {
        let (code, _, err) = round_trip.run(&["import", "finds", file.to_str().unwrap()]);
        assert_ne!(code, 0, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name) && err.contains(says), "{err}");
    }
    assert_eq!(before, round_trip.fingerprint());
}

#[test]
fn bad_inputs_are_located_and_leave_the_registry_unchanged() {
    if !have_gdal() {
        return;
    }
    let s = Scratch::new();
    for k in KINDS {
        s.import_ok(k, &data(k));
    }
    let before = s.fingerprint();
    let dir = tempfile::tempdir().unwrap();
    let w = |n: &str| dir.path().join(n);
    let shp = |name: &str, enc: &str| {
        let p = w(&format!("{name}.shp"));
        ogr2ogr(&[
            "-f",
            "ESRI Shapefile",
            "-lco",
            &format!("ENCODING={enc}"),
            p.to_str().unwrap(),
            data("hazards").to_str().unwrap(),
        ]);
        p
    };
    // 1. No .dbf.
    let no_dbf = shp("nodbf", "UTF-8");
    std::fs::remove_file(no_dbf.with_extension("dbf")).unwrap();
    // 2. A .prj no supported CRS matches (Lambert 93).
    let lambert = shp("lambert", "UTF-8");
    std::fs::write(
        lambert.with_extension("prj"),
        r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#,
    )
    .unwrap();
    // 3. CP1251 bytes declared UTF-8.
    let lying = shp("lying", "CP1251");
    std::fs::write(lying.with_extension("cpg"), "UTF-8").unwrap();
    // 4. A KMZ without doc.kml.
    let readme = w("readme.txt");
    std::fs::write(&readme, "no kml here").unwrap();
    let kmz = w("empty.kmz");
    zip_files(&kmz, &[readme]);
    // 5. A truncated FlatGeobuf.
    let fgb = w("whole.fgb");
    ogr2ogr(&[
        "-f",
        "FlatGeobuf",
        fgb.to_str().unwrap(),
        data("finds").to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&fgb).unwrap();
    let cut = w("cut.fgb");
    std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
    // 6. A profile mapping to a field the contract does not have.
    let profile = w("bad.toml");
    std::fs::write(
        &profile,
        "kind = \"hazards\"\n[fields]\nid = \"id\"\nhazard_klass = \"class\"\n",
    )
    .unwrap();
    let cases: Vec<(&str, PathBuf, Vec<String>, &[&str])> = vec![
        ("hazards", no_dbf, vec![], &["nodbf.shp", "no .dbf beside the .shp"]),
        (
            "hazards",
            lambert,
            vec![],
            &["lambert.prj", "RGF93_Lambert_93", "not supported"],
        ),
        (
            "hazards",
            lying.clone(),
            vec![],
            &["lying.dbf", "record 1", "--encoding cp1251"],
        ),
        ("hazards", kmz, vec![], &["empty.kmz", "no doc.kml"]),
        ("finds", cut, vec![], &["cut.fgb", "truncated"]),
        (
            "hazards",
            w("lambert.shp"),
            vec!["--profile".into(), profile.to_str().unwrap().into()],
            &["bad.toml", "line 4", "`hazard_klass`"],
        ),
    ];
    for (kind, file, extra, wanted) in cases {
        let mut args = vec!["import", kind, file.to_str().unwrap()];
        args.extend(extra.iter().map(String::as_str));
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 2, "{}: expected a refusal, got {code}: {err}", file.display());
        for want in wanted {
            assert!(err.contains(want), "{}: '{want}' not in: {err}", file.display());
        }
        assert!(err.contains("unchanged"), "{err}");
    }
    // The CP1251 file with the right encoding imports (into a fresh registry: ids are taken here).
    let fresh = Scratch::new();
    let (code, _, err) = fresh.run(&["import", "hazards", lying.to_str().unwrap(), "--encoding", "cp1251"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(before, s.fingerprint());
}

/// Finds from a Shapefile or a GeoPackage are streamed: read, checked and written a chunk at a
/// time (here one record) in one transaction. The result is the GeoJSON import's; a defect in
/// a later chunk (an id an earlier chunk had, a bad value in the last record) refuses the whole
/// file, names the record and leaves the registry unchanged, though earlier chunks were written.
#[test]
fn streamed_imports_check_the_whole_file_across_chunks() {
    if !have_gdal() {
        return;
    }
    let reference = Scratch::new();
    for k in KINDS {
        reference.import_ok(k, &data(k));
    }
    let want = snapshot(&reference);
    let dir = tempfile::tempdir().unwrap();
    let convert = |source: &Path, name: &str| -> [PathBuf; 2] {
        let shp = dir.path().join(format!("{name}.shp"));
        let gpkg = dir.path().join(format!("{name}.gpkg"));
        ogr2ogr(&["-f", "ESRI Shapefile", shp.to_str().unwrap(), source.to_str().unwrap()]);
        ogr2ogr(&["-f", "GPKG", gpkg.to_str().unwrap(), source.to_str().unwrap()]);
        [shp, gpkg]
    };
    let registry = || {
        let s = Scratch::new();
        s.import_ok("hazards", &data("hazards"));
        s.import_ok("activities", &data("activities"));
        s
    };
    for file in convert(&data("finds"), "finds") {
        let s = registry();
        let out = s.ok_json(&["import", "finds", file.to_str().unwrap(), "--chunk-rows", "1", "--json"]);
        assert_eq!(out["written"], 3, "{}: {out}", file.display());
        compare(&file.display().to_string(), &want, &snapshot(&s), true);
    }
    let finds = std::fs::read_to_string(data("finds")).unwrap();
    let duplicate = dir.path().join("duplicate.geojson");
    std::fs::write(&duplicate, finds.replace("\"id\":\"F3\"", "\"id\":\"F1\"")).unwrap();
    let bad_last = dir.path().join("bad_last.geojson");
    std::fs::write(&bad_last, finds.replace("\"AT_mine\"", "\"banana\"")).unwrap();
    let cases: [(&Path, &str, &[&str]); 2] = [
        (
            &duplicate,
            "duplicate",
            &["record 3", "'F1'", "record 1 of this file has it too"],
        ),
        (&bad_last, "bad_last", &["record 3", "category", "banana"]),
    ];
    for (source, name, wanted) in cases {
        for file in convert(source, name) {
            let s = registry();
            let before = s.fingerprint();
            let (code, _, err) = s.run(&["import", "finds", file.to_str().unwrap(), "--chunk-rows", "1"]);
            assert_eq!(code, 2, "{}: expected a refusal: {err}", file.display());
            for want in wanted.iter().chain(&["unchanged"]) {
                assert!(err.contains(want), "{}: '{want}' not in: {err}", file.display());
            }
            assert!(
                !err.contains("record 2"),
                "{}: only record 3 is wrong: {err}",
                file.display()
            );
            assert_eq!(before, s.fingerprint(), "{}", file.display());
        }
    }
}

#[test]
fn coordinates_not_in_the_declared_crs_name_the_record() {
    let s = Scratch::new();
    let f = s.file(
        "f.csv",
        "id,date,category,lon,lat\nF1,2024-01-01,UXO,6537069.9,5374256.9\nF2,2024-01-01,UXO,33.5,48.5\n",
    );
    let (code, _, err) = s.run(&["import", "finds", f.to_str().unwrap(), "--crs", "EPSG:28406"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("record 2") && err.contains("'F2'") && err.contains("looks like longitude/latitude"),
        "{err}"
    );
    assert!(!err.contains("record 1 "), "{err}");
}

#[test]
fn profiles_map_fields_and_code_lists() {
    let s = Scratch::new();
    let (code, out, err) = s.run(&["profile", "check", "imsma-hazards"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kind hazards"), "{out}");
    let p = s.file(
        "p.toml",
        "kind = \"hazards\"\n[fields]\nid = \"HAZ_ID\"\nclass = \"Type\"\n[values.class]\n\"Suspected Hazardous Area\" = \"SHA\"\n\"Confirmed Hazardous Area\" = \"CHA\"\n[constants]\norganisation = \"ORG-X\"\n",
    );
    let f = s.file(
        "h.csv",
        "HAZ_ID,Type,wkt\nH1,Suspected Hazardous Area,\"POLYGON((33.5 48.5,33.51 48.5,33.51 48.51,33.5 48.5))\"\nH2,Maybe,\"POLYGON((33.6 48.5,33.61 48.5,33.61 48.51,33.6 48.5))\"\n",
    );
    let (code, _, err) = s.run(&[
        "import",
        "hazards",
        f.to_str().unwrap(),
        "--profile",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("record 2") && err.contains("source field `Type` = 'Maybe'") && err.contains("line 5"),
        "{err}"
    );
    let f = s.file(
        "h.csv",
        "HAZ_ID,Type,wkt\nH1,Suspected Hazardous Area,\"POLYGON((33.5 48.5,33.51 48.5,33.51 48.51,33.5 48.5))\"\n",
    );
    let (code, _, err) = s.run(&[
        "import",
        "hazards",
        f.to_str().unwrap(),
        "--profile",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let h = s.ok_json(&["show", "hazards", "H1", "--json"]);
    let text = h.to_string();
    assert!(text.contains("\"SHA\"") && text.contains("ORG-X"), "{text}");
    let bad = s.file("bad.toml", "kind = \"hazards\"\n[fields]\nclas = \"Type\"\n");
    let (code, _, err) = s.run(&["profile", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3") && err.contains("`clas`"), "{err}");
}

#[test]
fn implausible_activities_warn_and_strict_refuses() {
    let s = Scratch::new();
    s.import_ok("hazards", &data("hazards"));
    // A vertex typo: longitude 33.50 written as 3.50 (a simple ring, but thousands of km outside
    // its hazard).
    let typo = s.file(
        "a.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A9","hazard_id":"H1","type":"clearance","outcome":"cleared","start_date":"2024-03-01","end_date":"2024-03-02"},"geometry":{"type":"Polygon","coordinates":[[[33.50,48.50],[33.51,48.50],[33.51,48.505],[3.50,48.505],[33.50,48.50]]]}}]}"#,
    );
    let before = s.fingerprint();
    let (code, _, err) = s.run(&["import", "activities", typo.to_str().unwrap(), "--strict"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("record 1") && err.contains("'A9'") && err.contains("--strict"),
        "{err}"
    );
    assert_eq!(before, s.fingerprint());
    let (code, _, err) = s.run(&["import", "activities", typo.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning") && err.contains("'A9'"), "{err}");
}

/// A spreadsheet in much of Europe (Ukraine's among them) saves CSV with semicolons, decimal
/// commas and dates as DD.MM.YYYY, or with commas and the decimal commas quoted: such a file
/// imports as its comma twin, field for field.
#[test]
fn semicolon_spreadsheet_csv_imports_as_the_comma_file() {
    let comma = "id,date,category,lon,lat,depth_cm\nF1,2024-01-02,AP_mine,32.0015,50.0015,12.5\nF2,2024-01-03,UXO,32.5,50.25,120\n";
    let semicolon =
        "id;date;category;lon;lat;depth_cm\nF1;02.01.2024;AP_mine;32,0015;50,0015;12,5\nF2;3.1.2024 0:00;UXO;32,5;50,25;120\n";
    let finds_of = |name: &str, content: &str| {
        let s = Scratch::new();
        s.import_ok("finds", &s.file(name, content));
        ["F1", "F2"].map(|id| {
            let v = s.ok_json(&["show", "finds", id, "--json"]);
            let record = &v["record"];
            let properties = &record["properties"];
            (
                record["geometry"].clone(),
                properties["depth_cm"].clone(),
                properties["date"].clone(),
            )
        })
    };
    let want = finds_of("comma.csv", comma);
    assert_eq!(want[0].1, serde_json::json!(12.5), "{want:?}");
    assert_eq!(finds_of("semicolon.csv", semicolon), want);
    // LibreOffice set to Ukrainian, saving with commas between fields, quotes decimal commas.
    let quoted = "id,date,category,lon,lat,depth_cm\nF1,02.01.2024,AP_mine,\"32,0015\",\"50,0015\",\"12,5\"\nF2,03.01.2024,UXO,\"32,5\",\"50,25\",120\n";
    assert_eq!(finds_of("libreoffice.csv", quoted), want);
}

/// `export … /dev/stdout --format geojson|csv` streams into a pipe that GDAL reads
/// (`/vsistdin/`), as a GIS user chains tools; the name gives no format there, `--format` does.
#[cfg(unix)]
#[test]
fn exports_stream_to_standard_output_for_other_tools() {
    if !have_gdal() {
        return;
    }
    let s = Scratch::new();
    for k in KINDS {
        s.import_ok(k, &data(k));
    }
    let demine = assert_cmd::cargo::cargo_bin("demine");
    // GDAL tells GeoJSON from its first bytes; CSV it is told (`CSV:`).
    for (kind, format, source, n) in [
        ("hazards", "geojson", "/vsistdin/", 2),
        ("finds", "csv", "CSV:/vsistdin/", 3),
    ] {
        let line = format!(
            "'{}' --db '{}' export {kind} /dev/stdout --format {format} | ogrinfo -ro -al -so {source}",
            demine.display(),
            s.db_arg()
        );
        let out = Command::new("sh").args(["-c", &line]).output().expect("sh");
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(
            info.contains(&format!("Feature Count: {n}")),
            "{kind} as {format}: {info}"
        );
    }
    // Standard output sent to a file (`> out.fgb`) makes /dev/stdout a link to that file; a link
    // like it here: renamed over, the link became a file and the file stayed empty.
    let redirected = s.dir.path().join("redirected.fgb");
    std::fs::write(&redirected, b"").unwrap();
    let link = s.dir.path().join("stdout-like");
    std::os::unix::fs::symlink(&redirected, &link).unwrap();
    let (code, _, err) = s.run(&["export", "finds", link.to_str().unwrap(), "--format", "fgb"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let info = ogrinfo(&redirected);
    assert!(info.contains("Feature Count: 3"), "{info}");
    // Without --format a stream has no format to go by.
    let (code, _, err) = s.run(&["export", "hazards", "/dev/stdout"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--format"), "{err}");
}
