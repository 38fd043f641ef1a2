//! Field outputs for teams and inspectors: lanes, boxes and sample points as GeoJSON, GPX
//! (handheld GPS units) or KML (Google Earth, many tablets).
//!
//! GPX and KML are written by hand: the subset needed (waypoints, tracks, placemarks with
//! lines and polygons) is a few dozen lines of XML with escaping, while the georust `gpx` and
//! `kml` crates would add an XML stack to the build for the same output. Polygons become
//! closed tracks in GPX (which has no polygons).

use crate::FileError;
use geo::{Geometry, LineString, Polygon};
use std::fmt::Write as _;
use std::path::Path;

/// One feature to write: a name (shown on the device), a geometry in lon/lat, properties.
#[derive(Debug, Clone)]
pub struct OutFeature {
    pub name: String,
    pub geometry: Geometry<f64>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// Output formats by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFormat {
    GeoJson,
    Gpx,
    Kml,
}

/// The format a file name asks for, or an error naming the ones supported.
pub fn field_format(path: &Path) -> Result<FieldFormat, String> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("geojson") | Some("json") => Ok(FieldFormat::GeoJson),
        Some("gpx") => Ok(FieldFormat::Gpx),
        Some("kml") => Ok(FieldFormat::Kml),
        _ => Err(format!(
            "{}: unsupported output format; use a .geojson, .gpx or .kml file name",
            path.display()
        )),
    }
}

/// Writes `features` to `path` in the format its extension names, via a temporary file renamed
/// at the end (no half files). `title` names the collection; `synthetic` marks demo data.
pub fn write_field_features(
    path: &Path,
    title: &str,
    features: &[OutFeature],
    synthetic: bool,
) -> Result<(), FileError> {
    let format = field_format(path).map_err(|_| FileError::UnsupportedExport { path: path.to_owned() })?;
    let text = match format {
        FieldFormat::GeoJson => geojson_text(title, features, synthetic),
        FieldFormat::Gpx => gpx_text(title, features, synthetic),
        FieldFormat::Kml => kml_text(title, features, synthetic),
    };
    crate::atomic::write_atomically(path, text.as_bytes())
}

fn geojson_text(title: &str, features: &[OutFeature], synthetic: bool) -> String {
    let fs: Vec<geojson::Feature> = features
        .iter()
        .map(|f| {
            let mut props = f.properties.clone();
            props.insert("name".into(), f.name.clone().into());
            geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::Value::from(&f.geometry))),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    let mut foreign = serde_json::Map::new();
    foreign.insert("name".into(), title.into());
    if synthetic {
        foreign.insert("data".into(), "SYNTHETIC".into());
    }
    geojson::FeatureCollection {
        bbox: None,
        features: fs,
        foreign_members: Some(foreign),
    }
    .to_string()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn describe(f: &OutFeature) -> String {
    f.properties
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {}",
                v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn gpx_text(title: &str, features: &[OutFeature], synthetic: bool) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"demine\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n");
    let title = if synthetic {
        format!("{title} (SYNTHETIC)")
    } else {
        title.to_string()
    };
    let _ = writeln!(s, "  <metadata><name>{}</name></metadata>", xml_escape(&title));
    let track = |s: &mut String, name: &str, desc: &str, rings: &[&LineString<f64>]| {
        let _ = writeln!(
            s,
            "  <trk><name>{}</name><desc>{}</desc>",
            xml_escape(name),
            xml_escape(desc)
        );
        for r in rings {
            s.push_str("    <trkseg>");
            for c in r.coords() {
                let _ = write!(s, "<trkpt lat=\"{}\" lon=\"{}\"/>", c.y, c.x);
            }
            s.push_str("</trkseg>\n");
        }
        s.push_str("  </trk>\n");
    };
    // GPX wants waypoints before tracks.
    for f in features {
        if let Geometry::Point(p) = &f.geometry {
            let _ = writeln!(
                s,
                "  <wpt lat=\"{}\" lon=\"{}\"><name>{}</name><desc>{}</desc></wpt>",
                p.y(),
                p.x(),
                xml_escape(&f.name),
                xml_escape(&describe(f))
            );
        }
    }
    for f in features {
        let d = describe(f);
        match &f.geometry {
            Geometry::LineString(l) => track(&mut s, &f.name, &d, &[l]),
            Geometry::Polygon(p) => track(&mut s, &f.name, &d, &[p.exterior()]),
            Geometry::MultiPolygon(m) => {
                let rings: Vec<&LineString<f64>> = m.0.iter().map(Polygon::exterior).collect();
                track(&mut s, &f.name, &d, &rings)
            }
            _ => {}
        }
    }
    s.push_str("</gpx>\n");
    s
}

fn kml_coords(l: &LineString<f64>) -> String {
    l.coords()
        .map(|c| format!("{},{}", c.x, c.y))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kml_polygon(p: &Polygon<f64>) -> String {
    let mut s = format!(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        kml_coords(p.exterior())
    );
    for r in p.interiors() {
        let _ = write!(
            s,
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
            kml_coords(r)
        );
    }
    s.push_str("</Polygon>");
    s
}

fn kml_text(title: &str, features: &[OutFeature], synthetic: bool) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n",
    );
    let title = if synthetic {
        format!("{title} (SYNTHETIC)")
    } else {
        title.to_string()
    };
    let _ = writeln!(s, "<name>{}</name>", xml_escape(&title));
    for f in features {
        let geom = match &f.geometry {
            Geometry::Point(p) => format!("<Point><coordinates>{},{}</coordinates></Point>", p.x(), p.y()),
            Geometry::LineString(l) => format!("<LineString><coordinates>{}</coordinates></LineString>", kml_coords(l)),
            Geometry::Polygon(p) => kml_polygon(p),
            Geometry::MultiPolygon(m) => format!(
                "<MultiGeometry>{}</MultiGeometry>",
                m.0.iter().map(kml_polygon).collect::<String>()
            ),
            _ => continue,
        };
        let _ = writeln!(
            s,
            "<Placemark><name>{}</name><description>{}</description>{geom}</Placemark>",
            xml_escape(&f.name),
            xml_escape(&describe(f))
        );
    }
    s.push_str("</Document></kml>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point};

    fn features() -> Vec<OutFeature> {
        vec![
            OutFeature {
                name: "Lane 1 <A&B>".into(),
                geometry: Geometry::LineString(line_string![(x: 36.0, y: 50.0), (x: 36.0, y: 50.001)]),
                properties: serde_json::Map::new(),
            },
            OutFeature {
                name: "Box 3".into(),
                geometry: Geometry::Point(point!(x: 36.1, y: 50.2)),
                properties: serde_json::Map::new(),
            },
        ]
    }

    #[test]
    fn gpx_and_kml_hold_every_feature_escaped() {
        let gpx = gpx_text("t", &features(), true);
        assert!(gpx.find("<wpt").unwrap() < gpx.find("<trk>").unwrap());
        assert!(gpx.contains("Lane 1 &lt;A&amp;B&gt;") && gpx.contains("SYNTHETIC"));
        assert!(gpx.contains("<trkpt lat=\"50.001\" lon=\"36\"/>"));
        let kml = kml_text("t", &features(), false);
        assert_eq!(kml.matches("<Placemark>").count(), 2);
        assert!(kml.contains("<coordinates>36.1,50.2</coordinates>"));
        let gj: serde_json::Value = serde_json::from_str(&geojson_text("t", &features(), true)).unwrap();
        assert_eq!(gj["features"].as_array().unwrap().len(), 2);
        assert_eq!(gj["data"], "SYNTHETIC");
    }
}
