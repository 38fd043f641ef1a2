//! Context layers: `demine import layer NAME FILE`, `layers`, `export layer`.

mod common;
use common::*;

const ROADS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"R1","surface":"asphalt"},"geometry":{"type":"LineString","coordinates":[[35.0,51.0],[35.1,51.1]]}},
 {"type":"Feature","properties":{"id":"R2"},"geometry":{"type":"MultiLineString","coordinates":[[[35.0,51.0],[35.05,51.0]],[[35.2,51.0],[35.3,51.2]]]}},
 {"type":"Feature","properties":{"id":"V1","name":"village"},"geometry":{"type":"Point","coordinates":[35.02,51.03]}},
 {"type":"Feature","properties":{"id":"F1","landcover":"forest"},"geometry":{"type":"Polygon","coordinates":[[[35.0,51.0],[35.01,51.0],[35.01,51.01],[35.0,51.0]]]}}]}"#;

#[test]
fn layers_import_list_export_and_replace() {
    let s = Scratch::new();
    let f = s.file("roads.geojson", ROADS);
    let (code, _, err) = s.run(&["import", "layer", "roads", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v = s.ok_json(&["layers", "--json"]);
    assert_eq!(v[0]["layer"], "roads");
    assert_eq!(v[0]["features"], 4);
    assert_eq!(s.ok_json(&["status", "--json"])["context_features"], 4);

    // A second import of the same layer is refused unless --replace.
    let (code, _, err) = s.run(&["import", "layer", "roads", f.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("--replace"), "{err}");
    let (code, _, err) = s.run(&["import", "layer", "roads", f.to_str().unwrap(), "--replace"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.ok_json(&["layers", "--json"])[0]["features"], 4);
    let log = s.ok_json(&["log", "--json", "--limit", "100"]);
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "delete" && e["before"].as_str().unwrap().contains("asphalt")));

    let out = s.dir.path().join("out.geojson");
    let (code, _, err) = s.run(&["export", "layer", "roads", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let a: serde_json::Value = serde_json::from_str(ROADS).unwrap();
    let b: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    for i in 0..4 {
        assert_eq!(
            a["features"][i]["geometry"], b["features"][i]["geometry"],
            "feature {i}"
        );
    }
    assert_eq!(b["features"][0]["properties"]["surface"], "asphalt");
}

#[test]
fn bad_layers_are_refused() {
    let s = Scratch::new();
    let f = s.file("roads.geojson", ROADS);
    let (code, _, err) = s.run(&["import", "layer", "Bad Name", f.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("layer name"), "{err}");
    let (code, _, err) = s.run(&["import", "layer", "roads"]);
    assert_ne!(code, 0);
    assert!(err.contains("NAME and a FILE"), "{err}");
    let bad = s.file("bad.geojson", &ROADS.replace("[35.3,51.2]", "[35.3,95.0]"));
    let (code, _, err) = s.run(&["import", "layer", "roads", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("record 2") && err.contains("latitude 95"), "{err}");
    assert!(!s.registry_exists(), "a refused first import leaves no registry");
    let out = s.dir.path().join("x.geojson");
    let export = ["export", "layer", "nope", out.to_str().unwrap()];
    let (code, _, err) = s.run(&export);
    assert_eq!(code, 2);
    assert!(err.contains("no such registry"), "{err}");
    assert!(!s.registry_exists(), "a command that only reads creates no registry");
    assert_eq!(s.run(&["init"]).0, 0);
    let (code, _, err) = s.run(&export);
    assert_eq!(code, 2);
    assert!(err.contains("no layer 'nope'"), "{err}");
}
