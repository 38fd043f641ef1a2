//! GPX (handheld GPS units): waypoints as points (finds, accidents, point layers), tracks and
//! routes as lines (context layers). Attributes: the standard children (`name`, `time`,
//! `desc`, `type`, `sym`, …) and every `<extensions>` child (GDAL writes a source's other
//! fields there). `--layer waypoints|tracks|routes` picks one part; by default the waypoints
//! if there are any, else the tracks and routes. GPX is WGS84 by definition.

use crate::xml::{self, El};
use crate::{invalid, ReadOptions};
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::FileError;
use serde_json::Value;
use std::path::Path;

pub(crate) type Out = crate::shp::Out;

const STANDARD: &[&str] = &["name", "cmt", "desc", "src", "sym", "type", "time", "ele", "number"];

fn attributes(el: &El) -> Attributes {
    let mut props = Attributes::new();
    for c in &el.children {
        if STANDARD.contains(&c.name.as_str()) && !c.text.trim().is_empty() {
            props.insert(c.name.clone(), Value::String(c.text.trim().to_string()));
        }
    }
    if let Some(ext) = el.child("extensions") {
        for c in &ext.children {
            if c.children.is_empty() && !c.text.trim().is_empty() {
                props.insert(c.name.clone(), crate::text_value(c.text.trim()));
            }
        }
    }
    props
}

fn position(el: &El, what: &str) -> Result<[f64; 2], String> {
    let num = |k: &str| -> Result<f64, String> {
        let s = el.attr(k).ok_or_else(|| format!("{what} has no {k} attribute"))?;
        match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!("{what}: {k} '{s}' is not a finite number")),
        }
    };
    Ok([num("lon")?, num("lat")?])
}

/// Reads GPX bytes.
pub fn read(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Out, FileError> {
    let doc = xml::parse(bytes).map_err(|e| invalid(path, e))?;
    let gpx = doc
        .child("gpx")
        .ok_or_else(|| invalid(path, "no <gpx> element: not a GPX document"))?;
    let part = match opts.layer.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None if gpx.child("wpt").is_some() => "waypoints",
        None => "lines",
        Some("waypoints" | "wpt") => "waypoints",
        Some("tracks" | "trk") => "tracks",
        Some("routes" | "rte") => "routes",
        Some(other) => {
            return Err(invalid(
                path,
                format!("no GPX layer '{other}'; layers: waypoints, tracks, routes"),
            ))
        }
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut push = |props: Attributes, g: Result<RawGeometry, String>| {
        let index = records.len() + 1;
        let r = RawRecord {
            index,
            line: None,
            properties: props,
            geometry: RawGeometry::Missing,
        };
        match g {
            Ok(g) => records.push(RawRecord { geometry: g, ..r }),
            Err(e) => {
                problems.push(crate::problem(&r, "geometry", e));
                records.push(r);
            }
        }
    };
    if part == "waypoints" {
        for w in gpx.children_named("wpt") {
            push(attributes(w), position(w, "waypoint").map(RawGeometry::Point));
        }
    }
    if part == "tracks" || part == "lines" {
        for t in gpx.children_named("trk") {
            let g: Result<Vec<Vec<[f64; 2]>>, String> = t
                .children_named("trkseg")
                .map(|s| s.children_named("trkpt").map(|p| position(p, "track point")).collect())
                .collect();
            push(attributes(t), g.map(RawGeometry::Lines));
        }
    }
    if part == "routes" || part == "lines" {
        for r in gpx.children_named("rte") {
            let g: Result<Vec<[f64; 2]>, String> =
                r.children_named("rtept").map(|p| position(p, "route point")).collect();
            push(attributes(r), g.map(|l| RawGeometry::Lines(vec![l])));
        }
    }
    Ok((records, problems, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waypoints_with_extensions_and_tracks() {
        let gpx = br#"<?xml version="1.0"?><gpx version="1.1" xmlns:ogr="http://osgeo.org/gdal">
<wpt lat="48.5" lon="33.5"><name>F1</name><time>2024-05-01T00:00:00Z</time><extensions><ogr:category>AP_mine</ogr:category></extensions></wpt>
<trk><name>patrol</name><trkseg><trkpt lat="48" lon="33"/><trkpt lat="48.1" lon="33.1"/></trkseg></trk></gpx>"#;
        let (r, p, _) = read(Path::new("x.gpx"), gpx, &ReadOptions::default()).unwrap();
        assert!(p.is_empty());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].properties["category"], Value::from("AP_mine"));
        assert!(matches!(r[0].geometry, RawGeometry::Point([33.5, 48.5])));
        let opts = ReadOptions {
            layer: Some("tracks".into()),
            ..Default::default()
        };
        let (t, _, _) = read(Path::new("x.gpx"), gpx, &opts).unwrap();
        assert!(matches!(&t[0].geometry, RawGeometry::Lines(l) if l[0].len() == 2));
        let (_, p, _) = read(
            Path::new("x.gpx"),
            br#"<gpx><wpt lat="x" lon="1"/></gpx>"#,
            &ReadOptions::default(),
        )
        .unwrap();
        assert!(p[0].message.contains("lat 'x'"));
    }
}
