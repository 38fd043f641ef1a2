//! KML and KMZ (Google Earth): Placemarks in any Document/Folder, attributes from
//! ExtendedData (SchemaData/SimpleData typed by their Schema, and Data/value), `<name>` and
//! `<description>`; Point, LineString, Polygon with holes, MultiGeometry. `--layer NAME` keeps
//! the Placemarks of the Folder (or Document) of that name. KML is WGS84 by definition.

use crate::xml::{self, El};
use crate::{invalid, ReadOptions};
use demine_core::Attributes;
use demine_io::raw::{RawGeometry, RawRecord};
use demine_io::FileError;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

pub(crate) type Out = crate::shp::Out;

/// Reads a KMZ: the zip's `doc.kml` (else its only `.kml`).
pub fn read_kmz(path: &Path, opts: &ReadOptions) -> Result<Out, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::Io {
        path: path.to_owned(),
        cause: e,
    })?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| invalid(path, format!("not a readable KMZ (zip) archive: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let kmls: Vec<&String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".kml"))
        .collect();
    let name = match names.iter().find(|n| n.eq_ignore_ascii_case("doc.kml")) {
        Some(n) => n.clone(),
        None => match kmls.as_slice() {
            [one] => (*one).clone(),
            _ => {
                return Err(invalid(
                    path,
                    format!(
                        "the KMZ has no doc.kml{}; a KMZ is a zip whose main document is doc.kml",
                        if kmls.is_empty() {
                            " and no other .kml".to_string()
                        } else {
                            format!(" but {} .kml files", kmls.len())
                        }
                    ),
                ))
            }
        },
    };
    let mut bytes = Vec::new();
    zip.by_name(&name)
        .map_err(|e| invalid(path, format!("{name}: {e}")))?
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(path, format!("{name}: cannot unpack: {e}")))?;
    read(&path.join(name), &bytes, opts)
}

/// The types a KML Schema gives its SimpleFields.
type Schemas = HashMap<String, HashMap<String, String>>;

/// Reads KML bytes.
pub fn read(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Out, FileError> {
    let doc = xml::parse(bytes).map_err(|e| invalid(path, e))?;
    let root = doc
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("kml"))
        .ok_or_else(|| invalid(path, "no <kml> element: not a KML document"))?;
    let mut schema_els = Vec::new();
    root.descendants("Schema", &mut schema_els);
    let mut schemas: Schemas = HashMap::new();
    for s in schema_els {
        let fields: HashMap<String, String> = s
            .children_named("SimpleField")
            .filter_map(|f| {
                Some((
                    f.attr("name")?.to_string(),
                    f.attr("type").unwrap_or("string").to_ascii_lowercase(),
                ))
            })
            .collect();
        for key in [s.attr("id"), s.attr("name")].into_iter().flatten() {
            schemas.insert(key.to_string(), fields.clone());
        }
    }
    // The container whose Placemarks are read.
    let scope: &El = match &opts.layer {
        None => root,
        Some(l) => {
            let mut containers = Vec::new();
            root.descendants("Folder", &mut containers);
            root.descendants("Document", &mut containers);
            match containers.iter().find(|c| c.child_text("name") == Some(l.as_str())) {
                Some(c) => c,
                None => {
                    let names: Vec<&str> = containers.iter().filter_map(|c| c.child_text("name")).collect();
                    return Err(invalid(
                        path,
                        format!(
                            "no Folder or Document named '{l}'; folders: {}",
                            if names.is_empty() {
                                "none".into()
                            } else {
                                names.join(", ")
                            }
                        ),
                    ));
                }
            }
        }
    };
    let mut placemarks = Vec::new();
    scope.descendants("Placemark", &mut placemarks);
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, pm) in placemarks.into_iter().enumerate() {
        let index = i + 1;
        let properties = attributes(pm, &schemas);
        let record = RawRecord {
            index,
            line: None,
            properties,
            geometry: RawGeometry::Missing,
        };
        let geometry = match geometry_of(pm) {
            Ok(g) => g,
            Err(e) => {
                problems.push(crate::problem(&record, "geometry", e));
                RawGeometry::Missing
            }
        };
        records.push(RawRecord { geometry, ..record });
    }
    Ok((records, problems, None))
}

fn typed(v: &str, ty: Option<&str>) -> Value {
    let t = v.trim();
    match ty {
        Some("int" | "uint" | "short" | "ushort") => t
            .parse::<i64>()
            .map_or_else(|_| Value::String(v.to_string()), Value::from),
        Some("float" | "double") => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(v.to_string()), Value::Number),
        Some("bool") => match t {
            "1" | "true" => Value::Bool(true),
            "0" | "false" => Value::Bool(false),
            _ => Value::String(v.to_string()),
        },
        _ => crate::text_value(v),
    }
}

fn attributes(pm: &El, schemas: &Schemas) -> Attributes {
    let mut props = Attributes::new();
    if let Some(ext) = pm.child("ExtendedData") {
        for sd in ext.children_named("SchemaData") {
            let url = sd.attr("schemaUrl").unwrap_or("").trim_start_matches('#');
            let types = schemas.get(url);
            for d in sd.children_named("SimpleData") {
                if let Some(name) = d.attr("name") {
                    let ty = types.and_then(|t| t.get(name)).map(String::as_str);
                    props.insert(name.to_string(), typed(&d.text, ty));
                }
            }
        }
        for d in ext.children_named("Data") {
            if let (Some(name), Some(v)) = (d.attr("name"), d.child("value")) {
                props.insert(name.to_string(), crate::text_value(&v.text));
            }
        }
    }
    for (tag, key) in [("name", "name"), ("description", "description")] {
        if let Some(t) = pm.child_text(tag) {
            if !t.is_empty() && !props.keys().any(|k| k.eq_ignore_ascii_case(key)) {
                props.insert(key.to_string(), Value::String(t.to_string()));
            }
        }
    }
    props
}

fn coordinates(el: &El, what: &str) -> Result<Vec<[f64; 2]>, String> {
    let text = el
        .child("coordinates")
        .map(|c| c.text.as_str())
        .ok_or_else(|| format!("{what} has no <coordinates>"))?;
    text.split_whitespace()
        .enumerate()
        .map(|(i, tuple)| {
            let mut it = tuple.split(',');
            let mut num = |axis: &str| -> Result<f64, String> {
                let s = it
                    .next()
                    .ok_or_else(|| format!("{what}, vertex {}: no {axis}", i + 1))?;
                match s.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(x),
                    _ => Err(format!("{what}, vertex {}: {axis} '{s}' is not a finite number", i + 1)),
                }
            };
            Ok([num("longitude")?, num("latitude")?])
        })
        .collect()
}

fn ring(boundary: &El, what: &str) -> Result<Vec<[f64; 2]>, String> {
    let lr = boundary
        .child("LinearRing")
        .ok_or_else(|| format!("{what} has no <LinearRing>"))?;
    coordinates(lr, what)
}

fn polygon(p: &El, n: usize) -> Result<Vec<Vec<[f64; 2]>>, String> {
    let what = format!("polygon {n}");
    let outer = p
        .child("outerBoundaryIs")
        .ok_or_else(|| format!("{what} has no <outerBoundaryIs>"))?;
    let mut rings = vec![ring(outer, &format!("{what} exterior ring"))?];
    for (k, inner) in p.children_named("innerBoundaryIs").enumerate() {
        // Some writers put several LinearRings in one innerBoundaryIs.
        for (j, lr) in inner.children_named("LinearRing").enumerate() {
            rings.push(coordinates(lr, &format!("{what} hole {}", k + j + 1))?);
        }
    }
    Ok(rings)
}

/// Collects the simple geometries under `el` (a Placemark or a MultiGeometry).
fn collect(
    el: &El,
    polys: &mut Vec<Vec<Vec<[f64; 2]>>>,
    lines: &mut Vec<Vec<[f64; 2]>>,
    points: &mut Vec<[f64; 2]>,
) -> Result<(), String> {
    for c in &el.children {
        match c.name.as_str() {
            "Point" => points.extend(coordinates(c, "point")?.into_iter().take(1)),
            "LineString" => lines.push(coordinates(c, "line")?),
            "LinearRing" => polys.push(vec![coordinates(c, "ring")?]),
            "Polygon" => polys.push(polygon(c, polys.len() + 1)?),
            "MultiGeometry" => collect(c, polys, lines, points)?,
            _ => {}
        }
    }
    Ok(())
}

fn geometry_of(pm: &El) -> Result<RawGeometry, String> {
    let (mut polys, mut lines, mut points) = (Vec::new(), Vec::new(), Vec::new());
    collect(pm, &mut polys, &mut lines, &mut points)?;
    Ok(match (polys.is_empty(), lines.is_empty(), points.len()) {
        (true, true, 0) => RawGeometry::Missing,
        (false, true, 0) => RawGeometry::Polygons(polys),
        (true, false, 0) => RawGeometry::Lines(lines),
        (true, true, 1) => RawGeometry::Point(points[0]),
        (true, true, _) => RawGeometry::Points(points),
        _ => RawGeometry::Other("a MultiGeometry of mixed types".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placemarks_with_typed_attributes_holes_and_folders() {
        let kml = r##"<?xml version="1.0"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Schema name="hazards" id="hazards"><SimpleField name="id" type="string"/><SimpleField name="depth_cm" type="int"/></Schema>
<Folder><name>hazards</name>
<Placemark><name>Поле</name><ExtendedData><SchemaData schemaUrl="#hazards"><SimpleData name="id">H1</SimpleData><SimpleData name="depth_cm">15</SimpleData></SchemaData></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>30,50 30.1,50 30.1,50.1 30,50.1 30,50</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>30.02,50.02 30.03,50.02 30.03,50.03 30.02,50.02</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>
</Folder>
<Folder><name>other</name><Placemark><Point><coordinates>31,51,0</coordinates></Point></Placemark></Folder>
</Document></kml>"##.as_bytes();
        let opts = ReadOptions {
            layer: Some("hazards".into()),
            ..Default::default()
        };
        let (r, p, _) = read(Path::new("x.kml"), kml, &opts).unwrap();
        assert!(p.is_empty());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].properties["depth_cm"], Value::from(15));
        assert_eq!(r[0].properties["name"], Value::from("Поле"));
        let RawGeometry::Polygons(ps) = &r[0].geometry else {
            panic!()
        };
        assert_eq!(ps[0].len(), 2);
        let (all, _, _) = read(Path::new("x.kml"), kml, &ReadOptions::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert!(matches!(all[1].geometry, RawGeometry::Point([31.0, 51.0])));
    }

    #[test]
    fn truncated_and_bad_coordinates_are_located() {
        let e = read(
            Path::new("x.kml"),
            b"<kml><Document><Placemark>",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let (_, p, _) = read(
            Path::new("x.kml"),
            b"<kml><Placemark><Point><coordinates>abc,50</coordinates></Point></Placemark></kml>",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!((p[0].index, p[0].field.as_str()), (1, "geometry"));
        assert!(p[0].message.contains("'abc' is not a finite number"));
    }
}
