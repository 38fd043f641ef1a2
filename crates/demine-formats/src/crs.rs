//! Coordinate reference systems that mine action data arrives in, and their transformation to
//! and from WGS84 longitude/latitude (the registry's CRS).
//!
//! Supported (the [`Crs::from_epsg`] table):
//! - WGS 84 (EPSG:4326), WGS 84 / UTM zones 1–60 north (EPSG:32601–32660) and south
//!   (EPSG:32701–32760), Web Mercator (EPSG:3857);
//! - Pulkovo 1942 (EPSG:4284) and its Gauss-Krüger projections: 6-degree zones 4–32
//!   (EPSG:28404–28432), 3-degree zones 7–64 (EPSG:2523–2549, 2551–2581) and 3-degree CM 21°E–72°E
//!   (EPSG:2582–2599);
//! - UCS-2000 (EPSG:5561), UCS-2000 / Gauss-Krüger zones 4–7 (EPSG:5562–5565) and
//!   UCS-2000 / Ukraine TM zones 7–13 (EPSG:6381–6387).
//!
//! The projections are computed by `proj4rs` (a pure-Rust port of PROJ.4: the exact
//! transverse Mercator `etmerc`, Helmert datum shifts). The datum shifts are those PROJ (and so
//! GDAL's `ogr2ogr`) chooses by default for these CRSs, so data reprojected by GDAL comes back
//! to the same WGS84 positions to the millimetre:
//! - Pulkovo 1942 → WGS 84: EPSG "Pulkovo 1942 to WGS 84 (20)", `+towgs84=23.57,-140.95,-79.8,0,0.35,0.79,-0.22`;
//! - UCS-2000 → WGS 84: EPSG "UCS-2000 to WGS 84 (2)", `+towgs84=24,-121,-76`.

use proj4rs::Proj;
use std::fmt;

/// Pulkovo 1942 → WGS 84, position-vector convention (PROJ's `+towgs84`).
const PULKOVO_TOWGS84: [f64; 7] = [23.57, -140.95, -79.8, 0.0, 0.35, 0.79, -0.22];
/// UCS-2000 → WGS 84.
const UCS_TOWGS84: [f64; 7] = [24.0, -121.0, -76.0, 0.0, 0.0, 0.0, 0.0];

/// A geodetic datum demine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Wgs84,
    Pulkovo1942,
    Ucs2000,
}

impl Datum {
    fn name(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS 84",
            Datum::Pulkovo1942 => "Pulkovo 1942",
            Datum::Ucs2000 => "UCS-2000",
        }
    }
    fn proj(self) -> String {
        match self {
            Datum::Wgs84 => "+datum=WGS84".into(),
            Datum::Pulkovo1942 => format!("+ellps=krass +towgs84={}", join(&PULKOVO_TOWGS84)),
            Datum::Ucs2000 => format!("+ellps=krass +towgs84={}", join(&UCS_TOWGS84)),
        }
    }
    fn geographic_epsg(self) -> u32 {
        match self {
            Datum::Wgs84 => 4326,
            Datum::Pulkovo1942 => 4284,
            Datum::Ucs2000 => 5561,
        }
    }
    fn wkt(self) -> String {
        let (datum, spheroid, towgs) = match self {
            Datum::Wgs84 => ("WGS_1984", "SPHEROID[\"WGS 84\",6378137,298.257223563]", None),
            Datum::Pulkovo1942 => (
                "Pulkovo_1942",
                "SPHEROID[\"Krassowsky 1940\",6378245,298.3]",
                Some(PULKOVO_TOWGS84),
            ),
            Datum::Ucs2000 => (
                "Ukraine_2000",
                "SPHEROID[\"Krassowsky 1940\",6378245,298.3]",
                Some(UCS_TOWGS84),
            ),
        };
        let towgs = towgs.map_or(String::new(), |t| format!(",TOWGS84[{}]", join(&t)));
        format!(
            "GEOGCS[\"{}\",DATUM[\"{datum}\",{spheroid}{towgs}],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"{}\"]]",
            self.name(),
            self.geographic_epsg()
        )
    }
    /// From a WKT DATUM or GEOGCS name ("D_Pulkovo_1942", "Ukraine_2000", "WGS_1984"…).
    fn from_name(name: &str) -> Option<Datum> {
        let n: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if n.contains("wgs84") || n.contains("wgs1984") || n.contains("worldgeodeticsystem1984") {
            Some(Datum::Wgs84)
        } else if n.contains("pulkovo1942") || n.contains("pulkovo42") || n.contains("s42") {
            Some(Datum::Pulkovo1942)
        } else if n.contains("ukraine2000") || n.contains("ucs2000") {
            Some(Datum::Ucs2000)
        } else {
            None
        }
    }
}

fn join(v: &[f64]) -> String {
    v.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(",")
}

/// The map projection of a CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Projection {
    /// Longitude/latitude in degrees.
    Geographic,
    /// Transverse Mercator (UTM, Gauss-Krüger).
    TransverseMercator { lon0: f64, k: f64, x0: f64, y0: f64 },
    /// Web Mercator (spherical, on WGS 84 lon/lat).
    WebMercator,
}

/// A supported coordinate reference system.
#[derive(Clone)]
pub struct Crs {
    epsg: u32,
    name: String,
    datum: Datum,
    projection: Projection,
    proj: Proj,
    wgs84: Proj,
}

impl fmt::Debug for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg, self.name)
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg, self.name)
    }
}

impl PartialEq for Crs {
    fn eq(&self, other: &Crs) -> bool {
        self.epsg == other.epsg
    }
}

/// What is supported, for messages.
pub const SUPPORTED: &str = "EPSG:4326, 3857, 32601–32660, 32701–32760 (WGS 84 / UTM), 4284, 28404–28432, \
2523–2549, 2551–2599 (Pulkovo 1942 / Gauss-Krüger), 5561, 5562–5565, 6381–6387 (UCS-2000)";

impl Crs {
    /// WGS 84 longitude/latitude, the registry's CRS.
    pub fn wgs84() -> Crs {
        Crs::from_epsg(4326).expect("WGS 84 is supported")
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        self.epsg
    }

    /// The EPSG name, e.g. "Pulkovo 1942 / Gauss-Kruger zone 6".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// WGS 84 longitude/latitude (no transformation needed).
    pub fn is_wgs84(&self) -> bool {
        self.epsg == 4326
    }

    /// Projected (metres), not longitude/latitude.
    pub fn is_projected(&self) -> bool {
        !matches!(self.projection, Projection::Geographic)
    }

    /// A supported CRS by its EPSG code; `Err` says what is supported.
    pub fn from_epsg(code: u32) -> Result<Crs, String> {
        use Projection::*;
        let tm = |lon0: f64, x0: f64| TransverseMercator {
            lon0,
            k: 1.0,
            x0,
            y0: 0.0,
        };
        let (name, datum, projection) = match code {
            4326 => ("WGS 84".to_string(), Datum::Wgs84, Geographic),
            4284 => ("Pulkovo 1942".to_string(), Datum::Pulkovo1942, Geographic),
            5561 => ("UCS-2000".to_string(), Datum::Ucs2000, Geographic),
            3857 => ("WGS 84 / Pseudo-Mercator".to_string(), Datum::Wgs84, WebMercator),
            32601..=32660 | 32701..=32760 => {
                let south = code > 32700;
                let zone = code % 100;
                (
                    format!("WGS 84 / UTM zone {zone}{}", if south { 'S' } else { 'N' }),
                    Datum::Wgs84,
                    TransverseMercator {
                        lon0: f64::from(zone) * 6.0 - 183.0,
                        k: 0.9996,
                        x0: 500_000.0,
                        y0: if south { 10_000_000.0 } else { 0.0 },
                    },
                )
            }
            28404..=28432 => {
                let zone = code - 28400;
                (
                    format!("Pulkovo 1942 / Gauss-Kruger zone {zone}"),
                    Datum::Pulkovo1942,
                    tm(f64::from(zone) * 6.0 - 3.0, f64::from(zone) * 1e6 + 500_000.0),
                )
            }
            2523..=2549 | 2551..=2581 => {
                let zone = if code <= 2549 {
                    code - 2523 + 7
                } else {
                    code - 2551 + 34
                };
                (
                    format!("Pulkovo 1942 / 3-degree Gauss-Kruger zone {zone}"),
                    Datum::Pulkovo1942,
                    tm(f64::from(zone) * 3.0, f64::from(zone) * 1e6 + 500_000.0),
                )
            }
            2582..=2599 => {
                let cm = 21 + (code - 2582) * 3;
                (
                    format!("Pulkovo 1942 / 3-degree Gauss-Kruger CM {cm}E"),
                    Datum::Pulkovo1942,
                    tm(f64::from(cm), 500_000.0),
                )
            }
            5562..=5565 => {
                let zone = code - 5558;
                (
                    format!("UCS-2000 / Gauss-Kruger zone {zone}"),
                    Datum::Ucs2000,
                    tm(f64::from(zone) * 6.0 - 3.0, f64::from(zone) * 1e6 + 500_000.0),
                )
            }
            6381..=6387 => {
                let zone = code - 6374;
                (
                    format!("UCS-2000 / Ukraine TM zone {zone}"),
                    Datum::Ucs2000,
                    tm(f64::from(zone) * 3.0, 300_000.0),
                )
            }
            _ => {
                return Err(format!(
                    "EPSG:{code} is not a supported coordinate system; supported: {SUPPORTED}"
                ))
            }
        };
        let definition = match projection {
            Geographic => format!("+proj=longlat {}", datum.proj()),
            TransverseMercator { lon0, k, x0, y0 } => format!(
                "+proj=etmerc +lat_0=0 +lon_0={lon0} +k={k} +x_0={x0} +y_0={y0} {} +units=m",
                datum.proj()
            ),
            WebMercator => "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m".into(),
        };
        let proj = Proj::from_proj_string(&definition).map_err(|e| format!("EPSG:{code}: {e}"))?;
        let wgs84 = Proj::from_proj_string("+proj=longlat +datum=WGS84").map_err(|e| e.to_string())?;
        Ok(Crs {
            epsg: code,
            name,
            datum,
            projection,
            proj,
            wgs84,
        })
    }

    /// `EPSG:NNNN`, a bare code, `urn:ogc:def:crs:EPSG::NNNN`, an OGC URI, or `CRS84`.
    pub fn parse(s: &str) -> Result<Crs, String> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if lower.ends_with("crs84") || lower == "wgs84" {
            return Crs::from_epsg(4326);
        }
        let digits: String = lower
            .rsplit([':', '/'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let code_ok = lower.starts_with("epsg:")
            || lower.starts_with("urn:ogc:def:crs:epsg:")
            || lower.contains("/def/crs/epsg/")
            || lower.chars().all(|c| c.is_ascii_digit());
        match (code_ok, digits.parse::<u32>()) {
            (true, Ok(code)) => Crs::from_epsg(code),
            _ => Err(format!(
                "'{s}' is not a coordinate system demine understands; write EPSG:NNNN ({SUPPORTED})"
            )),
        }
    }

    /// The CRS a `.prj` file (ESRI or OGC WKT) describes, matched against the supported table by
    /// its EPSG code if it gives one, else by datum, projection and parameters.
    pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
        let tree = WktNode::parse(wkt).ok_or_else(|| "not a WKT coordinate system definition".to_string())?;
        let kw = tree.keyword.to_ascii_uppercase();
        let name = tree.args.first().and_then(WktArg::text).unwrap_or("").to_string();
        if let Some(code) = tree.authority() {
            if let Ok(c) = Crs::from_epsg(code) {
                return Ok(c);
            }
        }
        let unsupported = |why: &str| {
            format!("the coordinate system \"{name}\" is not supported ({why}); supported: {SUPPORTED}. Reproject with `ogr2ogr -t_srs EPSG:4326`, or give --crs EPSG:NNNN if the .prj is wrong")
        };
        let geog = if matches!(kw.as_str(), "GEOGCS" | "GEOGCRS" | "GEODCRS") {
            &tree
        } else {
            tree.child("GEOGCS")
                .or_else(|| tree.child("BASEGEOGCRS"))
                .or_else(|| tree.child("BASEGEODCRS"))
                .ok_or_else(|| unsupported("no geographic base"))?
        };
        let datum_name = geog
            .child("DATUM")
            .and_then(|d| d.args.first().and_then(WktArg::text))
            .or_else(|| geog.args.first().and_then(WktArg::text))
            .unwrap_or("");
        let datum = Datum::from_name(datum_name)
            .or_else(|| Datum::from_name(geog.args.first().and_then(WktArg::text).unwrap_or("")))
            .ok_or_else(|| unsupported(&format!("datum \"{datum_name}\"")))?;
        if matches!(kw.as_str(), "GEOGCS" | "GEOGCRS" | "GEODCRS") {
            return Crs::from_epsg(datum.geographic_epsg());
        }
        let method = tree
            .child("PROJECTION")
            .or_else(|| tree.child("CONVERSION").and_then(|c| c.child("METHOD")))
            .and_then(|p| p.args.first().and_then(WktArg::text))
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        let params: Vec<(String, f64)> = tree
            .children("PARAMETER")
            .chain(
                tree.child("CONVERSION")
                    .into_iter()
                    .flat_map(|c| c.children("PARAMETER")),
            )
            .filter_map(|p| {
                let n = p.args.first()?.text()?.to_ascii_lowercase().replace(' ', "_");
                let v = p.args.get(1)?.number()?;
                Some((n, v))
            })
            .collect();
        let param = |names: &[&str], default: f64| {
            params
                .iter()
                .find(|(n, _)| names.iter().any(|m| n == m))
                .map_or(default, |(_, v)| *v)
        };
        let projection = if method.contains("transverse_mercator") || method.contains("gauss_kruger") {
            Projection::TransverseMercator {
                lon0: param(&["central_meridian", "longitude_of_natural_origin"], 0.0),
                k: param(&["scale_factor", "scale_factor_at_natural_origin"], 1.0),
                x0: param(&["false_easting"], 0.0),
                y0: param(&["false_northing"], 0.0),
            }
        } else if method.contains("auxiliary_sphere")
            || method.contains("pseudo_mercator")
            || name.contains("Pseudo-Mercator")
        {
            Projection::WebMercator
        } else {
            return Err(unsupported(&format!("projection \"{method}\"")));
        };
        let candidates = (32601..=32660)
            .chain(32701..=32760)
            .chain(28404..=28432)
            .chain(2523..=2549)
            .chain(2551..=2599)
            .chain(5562..=5565)
            .chain(6381..=6387)
            .chain([3857]);
        for code in candidates {
            if let Ok(c) = Crs::from_epsg(code) {
                if c.datum == datum && same_projection(c.projection, projection) {
                    return Ok(c);
                }
            }
        }
        Err(unsupported(&format!("{} with {projection:?}", datum.name())))
    }

    /// WGS 84 lon/lat of a coordinate in this CRS. `Err` when it cannot be in this CRS.
    pub fn to_wgs84(&self, p: [f64; 2]) -> Result<[f64; 2], String> {
        if !p[0].is_finite() || !p[1].is_finite() {
            return Err("a coordinate is not a finite number".into());
        }
        if self.is_wgs84() {
            return Ok(p);
        }
        match self.projection {
            Projection::Geographic => {
                if p[0].abs() > 180.0 || p[1].abs() > 90.0 {
                    return Err(format!("({}, {}) is not a longitude/latitude in {self}", p[0], p[1]));
                }
            }
            _ => {
                if p[0].abs() <= 360.0 && p[1].abs() <= 360.0 {
                    return Err(format!(
                        "({}, {}) looks like longitude/latitude degrees, not metres of {self}; declare --crs EPSG:4326 or fix the .prj",
                        p[0], p[1]
                    ));
                }
            }
        }
        let mut pt = match self.projection {
            Projection::Geographic => (p[0].to_radians(), p[1].to_radians(), 0.0),
            _ => (p[0], p[1], 0.0),
        };
        proj4rs::transform::transform(&self.proj, &self.wgs84, &mut pt)
            .map_err(|e| format!("({}, {}) is not a position in {self}: {e}", p[0], p[1]))?;
        let out = [pt.0.to_degrees(), pt.1.to_degrees()];
        if !out[0].is_finite() || !out[1].is_finite() || out[1].abs() > 90.0 {
            return Err(format!("({}, {}) is not a position in {self}", p[0], p[1]));
        }
        if let Projection::TransverseMercator { lon0, .. } = self.projection {
            // A transverse Mercator is only meaningful near its central meridian; far from it
            // the coordinate was written for another zone (or another CRS).
            let d = (out[0] - lon0 + 540.0).rem_euclid(360.0) - 180.0;
            if d.abs() > 15.0 {
                return Err(format!(
                    "({}, {}) lies {:.0}° from the central meridian {lon0}° of {self}: it is not in this zone (wrong zone or wrong CRS?)",
                    p[0],
                    p[1],
                    d.abs()
                ));
            }
        }
        Ok(out)
    }

    /// This CRS's coordinate of a WGS 84 lon/lat.
    pub fn from_wgs84(&self, p: [f64; 2]) -> Result<[f64; 2], String> {
        if self.is_wgs84() {
            return Ok(p);
        }
        let mut pt = (p[0].to_radians(), p[1].to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, &self.proj, &mut pt)
            .map_err(|e| format!("({}, {}) cannot be written in {self}: {e}", p[0], p[1]))?;
        let out = match self.projection {
            Projection::Geographic => [pt.0.to_degrees(), pt.1.to_degrees()],
            _ => [pt.0, pt.1],
        };
        if out[0].is_finite() && out[1].is_finite() {
            Ok(out)
        } else {
            Err(format!("({}, {}) cannot be written in {self}", p[0], p[1]))
        }
    }

    /// OGC WKT 1 with the EPSG authority, for a `.prj` (GDAL and QGIS identify it by the code).
    pub fn wkt(&self) -> String {
        let geog = self.datum.wkt();
        match self.projection {
            Projection::Geographic => geog,
            Projection::TransverseMercator { lon0, k, x0, y0 } => format!(
                "PROJCS[\"{}\",{geog},PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",{lon0}],PARAMETER[\"scale_factor\",{k}],PARAMETER[\"false_easting\",{x0}],PARAMETER[\"false_northing\",{y0}],UNIT[\"metre\",1],AUTHORITY[\"EPSG\",\"{}\"]]",
                self.name, self.epsg
            ),
            Projection::WebMercator => format!(
                "PROJCS[\"WGS 84 / Pseudo-Mercator\",{geog},PROJECTION[\"Mercator_1SP\"],PARAMETER[\"central_meridian\",0],PARAMETER[\"scale_factor\",1],PARAMETER[\"false_easting\",0],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1],EXTENSION[\"PROJ4\",\"+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs\"],AUTHORITY[\"EPSG\",\"3857\"]]"
            ),
        }
    }
}

fn same_projection(a: Projection, b: Projection) -> bool {
    match (a, b) {
        (Projection::WebMercator, Projection::WebMercator) => true,
        (
            Projection::TransverseMercator { lon0, k, x0, y0 },
            Projection::TransverseMercator {
                lon0: l,
                k: kk,
                x0: xx,
                y0: yy,
            },
        ) => (lon0 - l).abs() < 1e-9 && (k - kk).abs() < 1e-9 && (x0 - xx).abs() < 1e-3 && (y0 - yy).abs() < 1e-3,
        _ => false,
    }
}

/// A WKT node: `KEYWORD[arg, arg, …]`.
#[derive(Debug, Clone)]
struct WktNode {
    keyword: String,
    args: Vec<WktArg>,
}

#[derive(Debug, Clone)]
enum WktArg {
    Text(String),
    Number(f64),
    Node(WktNode),
    Bare(String),
}

impl WktArg {
    fn text(&self) -> Option<&str> {
        match self {
            WktArg::Text(s) | WktArg::Bare(s) => Some(s),
            _ => None,
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            WktArg::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl WktNode {
    fn parse(s: &str) -> Option<WktNode> {
        let chars: Vec<char> = s.trim().trim_start_matches('\u{feff}').chars().collect();
        let mut i = 0;
        let node = parse_node(&chars, &mut i, 0)?;
        Some(node)
    }
    fn child(&self, kw: &str) -> Option<&WktNode> {
        self.args.iter().find_map(|a| match a {
            WktArg::Node(n) if n.keyword.eq_ignore_ascii_case(kw) => Some(n),
            _ => None,
        })
    }
    fn children<'a>(&'a self, kw: &'a str) -> impl Iterator<Item = &'a WktNode> + 'a {
        self.args.iter().filter_map(move |a| match a {
            WktArg::Node(n) if n.keyword.eq_ignore_ascii_case(kw) => Some(n),
            _ => None,
        })
    }
    /// `AUTHORITY["EPSG","32636"]` (WKT 1) or `ID["EPSG",32636]` (WKT 2) of this node.
    fn authority(&self) -> Option<u32> {
        let a = self.child("AUTHORITY").or_else(|| self.child("ID"))?;
        if !a.args.first()?.text()?.eq_ignore_ascii_case("EPSG") {
            return None;
        }
        match a.args.get(1)? {
            WktArg::Text(s) => s.trim().parse().ok(),
            WktArg::Number(n) => Some(*n as u32),
            _ => None,
        }
    }
}

fn skip_ws(c: &[char], i: &mut usize) {
    while *i < c.len() && c[*i].is_whitespace() {
        *i += 1;
    }
}

fn parse_node(c: &[char], i: &mut usize, depth: usize) -> Option<WktNode> {
    if depth > 32 {
        return None;
    }
    skip_ws(c, i);
    let start = *i;
    while *i < c.len() && (c[*i].is_ascii_alphanumeric() || c[*i] == '_') {
        *i += 1;
    }
    let keyword: String = c[start..*i].iter().collect();
    if keyword.is_empty() {
        return None;
    }
    skip_ws(c, i);
    if *i >= c.len() || !(c[*i] == '[' || c[*i] == '(') {
        return None;
    }
    let close = if c[*i] == '[' { ']' } else { ')' };
    *i += 1;
    let mut args = Vec::new();
    loop {
        skip_ws(c, i);
        if *i >= c.len() {
            return None;
        }
        if c[*i] == close {
            *i += 1;
            break;
        }
        if c[*i] == '"' {
            *i += 1;
            let mut s = String::new();
            loop {
                if *i >= c.len() {
                    return None;
                }
                if c[*i] == '"' {
                    if c.get(*i + 1) == Some(&'"') {
                        s.push('"');
                        *i += 2;
                        continue;
                    }
                    *i += 1;
                    break;
                }
                s.push(c[*i]);
                *i += 1;
            }
            args.push(WktArg::Text(s));
        } else if c[*i] == '-' || c[*i] == '+' || c[*i] == '.' || c[*i].is_ascii_digit() {
            let start = *i;
            while *i < c.len() && (c[*i].is_ascii_digit() || "+-.eE".contains(c[*i])) {
                *i += 1;
            }
            let t: String = c[start..*i].iter().collect();
            args.push(WktArg::Number(t.parse().ok()?));
        } else {
            let save = *i;
            let mut j = *i;
            while j < c.len() && (c[j].is_ascii_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            let mut k = j;
            skip_ws(c, &mut k);
            if k < c.len() && (c[k] == '[' || c[k] == '(') {
                args.push(WktArg::Node(parse_node(c, i, depth + 1)?));
            } else {
                if j == save {
                    return None;
                }
                args.push(WktArg::Bare(c[save..j].iter().collect()));
                *i = j;
            }
        }
        skip_ws(c, i);
        if *i < c.len() && c[*i] == ',' {
            *i += 1;
        }
    }
    Some(WktNode { keyword, args })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 2], b: [f64; 2], tol: f64) -> bool {
        (a[0] - b[0]).abs() < tol && (a[1] - b[1]).abs() < tol
    }

    /// Values from GDAL 3.6 / PROJ 9 (`ogr2ogr -t_srs EPSG:N`) of lon 33.5, lat 48.5.
    #[test]
    fn matches_gdal_to_the_millimetre() {
        for (code, xy) in [
            (28406, [6_537_069.942_186_73, 5_374_256.946_970_33]),
            (2531, [14_650_965.373_129_22, 5_438_348.790_913_26]),
            (5565, [7_093_726.644_700_64, 5_388_753.935_979_48]),
            (6385, [337_065.328_464_43, 5_374_253.911_198_64]),
            (3857, [3_729_202.941_574_66, 6_190_443.809_135_45]),
        ] {
            let crs = Crs::from_epsg(code).unwrap();
            let fwd = crs.from_wgs84([33.5, 48.5]).unwrap();
            assert!(close(fwd, xy, 0.005), "{crs}: {fwd:?} vs GDAL {xy:?}");
            let back = crs.to_wgs84(xy).unwrap();
            assert!(close(back, [33.5, 48.5], 1e-7), "{crs}: {back:?}");
        }
    }

    #[test]
    fn prj_files_are_matched_by_parameters() {
        // What GDAL writes into a shapefile's .prj (ESRI WKT, no EPSG code).
        let esri = r#"PROJCS["Pulkovo_1942_GK_Zone_6",GEOGCS["GCS_Pulkovo_1942",DATUM["D_Pulkovo_1942",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",6500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",33.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(Crs::from_wkt(esri).unwrap().epsg(), 28406);
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_36N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",33.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(Crs::from_wkt(utm).unwrap().epsg(), 32636);
        let geo = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(geo).unwrap().epsg(), 4326);
        // Every CRS's own WKT reads back as itself.
        for code in [
            4326, 3857, 32636, 32735, 28404, 28432, 2523, 2581, 2590, 5562, 5565, 6381, 6387,
        ] {
            let c = Crs::from_epsg(code).unwrap();
            assert_eq!(Crs::from_wkt(&c.wkt()).unwrap().epsg(), code);
            let stripped = c.wkt().replace(&format!(",AUTHORITY[\"EPSG\",\"{code}\"]]"), "]");
            if c.is_projected() {
                assert_eq!(Crs::from_wkt(&stripped).unwrap().epsg(), code, "{stripped}");
            }
        }
    }

    #[test]
    fn unknown_prj_is_a_clear_error() {
        let lambert = r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],UNIT["Meter",1.0]]"#;
        let e = Crs::from_wkt(lambert).unwrap_err();
        assert!(e.contains("RGF93_Lambert_93") && e.contains("not supported"), "{e}");
        assert!(Crs::from_wkt("garbage").is_err());
        assert!(Crs::parse("EPSG:2154").unwrap_err().contains("not a supported"));
    }

    #[test]
    fn degrees_declared_as_metres_are_refused() {
        let crs = Crs::from_epsg(32636).unwrap();
        assert!(crs
            .to_wgs84([33.5, 48.5])
            .unwrap_err()
            .contains("looks like longitude/latitude"));
        // A Gauss-Krüger zone 6 coordinate read as zone 4 lies far from its meridian.
        let z4 = Crs::from_epsg(28404).unwrap();
        assert!(z4.to_wgs84([6_537_069.9, 5_374_256.9]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn round_trips_within_a_millimetre(code_i in 0usize..9, dlon in -2.9f64..2.9, lat in 44.0f64..52.0) {
            let codes = [32636u32, 32736, 28406, 2531, 2586, 5564, 6384, 3857, 4284];
            let crs = Crs::from_epsg(codes[code_i]).unwrap();
            let lon0 = match crs.projection { Projection::TransverseMercator { lon0, .. } => lon0, _ => 33.0 };
            let p = [lon0 + dlon, lat];
            let xy = crs.from_wgs84(p).unwrap();
            let back = crs.to_wgs84(xy).unwrap();
            // 1e-8 degrees is about a millimetre.
            proptest::prop_assert!(close(back, p, 1e-8), "{crs}: {p:?} -> {xy:?} -> {back:?}");
        }
    }
}
