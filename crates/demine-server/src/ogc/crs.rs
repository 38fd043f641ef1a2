//! Coordinate reference systems of OGC API – Features Part 2: CRS84 (storage), EPSG:4326
//! (latitude first!), EPSG:3857 (Web Mercator) and the 120 WGS 84 / UTM zones (EPSG:326xx north,
//! 327xx south).
//!
//! Hand-written before `demine-formats` brought in `proj4rs` (a C PROJ binding would need
//! libproj), and to move onto `demine_formats::crs`, which covers the same codes: Web Mercator is two closed formulas, and UTM is the transverse Mercator in
//! Krüger's series to n⁶ (Karney 2011, "Transverse Mercator with an accuracy of a few
//! nanometers"), accurate to well under a millimetre inside a zone and its neighbours — the same
//! series PROJ's `tmerc` (`etmerc`) uses. Tested against `gdaltransform` values.

/// WGS 84 semi-major axis (m) and flattening.
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
/// UTM scale on the central meridian.
const K0: f64 = 0.9996;

pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG: &str = "http://www.opengis.net/def/crs/EPSG/0/";

/// A CRS demine serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// Longitude, latitude (WGS 84): storage and GeoJSON.
    Crs84,
    /// Latitude, longitude (WGS 84), the authority's axis order.
    Epsg4326,
    /// Web Mercator, metres.
    WebMercator,
    /// WGS 84 / UTM, easting and northing in metres.
    Utm { zone: u8, north: bool },
}

impl Crs {
    /// Parses a CRS URI (`http://www.opengis.net/def/crs/EPSG/0/32636`), a safe CURIE
    /// (`[EPSG:32636]`) or `EPSG:32636`. Clients also send `…/OGC/1.3/CRS84` for the default.
    pub fn parse(s: &str) -> Option<Crs> {
        let s = s.trim().trim_start_matches('<').trim_end_matches('>');
        let s = s.trim_start_matches('[').trim_end_matches(']');
        let s = s
            .strip_prefix("https://")
            .map_or(s.to_string(), |r| format!("http://{r}"));
        let code = if s == CRS84 || s.eq_ignore_ascii_case("OGC:CRS84") || s.eq_ignore_ascii_case("CRS84") {
            return Some(Crs::Crs84);
        } else if let Some(c) = s.strip_prefix(EPSG) {
            c.to_string()
        } else if let Some(c) = s.strip_prefix("EPSG:").or_else(|| s.strip_prefix("epsg:")) {
            c.to_string()
        } else {
            return None;
        };
        let n: u32 = code.parse().ok()?;
        match n {
            4326 => Some(Crs::Epsg4326),
            3857 => Some(Crs::WebMercator),
            32601..=32660 => Some(Crs::Utm {
                zone: (n - 32600) as u8,
                north: true,
            }),
            32701..=32760 => Some(Crs::Utm {
                zone: (n - 32700) as u8,
                north: false,
            }),
            _ => None,
        }
    }

    /// Its URI.
    pub fn uri(self) -> String {
        match self {
            Crs::Crs84 => CRS84.to_string(),
            Crs::Epsg4326 => format!("{EPSG}4326"),
            Crs::WebMercator => format!("{EPSG}3857"),
            Crs::Utm { zone, north } => format!("{EPSG}{}", if north { 32600 } else { 32700 } + u32::from(zone)),
        }
    }

    /// Every CRS served, as URIs (CRS84 first: the storage CRS).
    pub fn all_uris() -> Vec<String> {
        let mut v = vec![Crs::Crs84.uri(), Crs::Epsg4326.uri(), Crs::WebMercator.uri()];
        for north in [true, false] {
            for zone in 1..=60u8 {
                v.push(Crs::Utm { zone, north }.uri());
            }
        }
        v
    }

    /// Coordinates in this CRS (in its axis order) of a longitude/latitude.
    pub fn from_lon_lat(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Crs84 => (lon, lat),
            Crs::Epsg4326 => (lat, lon),
            Crs::WebMercator => web_mercator(lon, lat),
            Crs::Utm { zone, north } => {
                let (e, n) = tm_forward(lon - central_meridian(zone), lat);
                (e + 500_000.0, if north { n } else { n + 10_000_000.0 })
            }
        }
    }

    /// Longitude/latitude of coordinates in this CRS (its axis order); `None` when they are
    /// not finite or outside the CRS's domain.
    pub fn to_lon_lat(self, x: f64, y: f64) -> Option<(f64, f64)> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let (lon, lat) = match self {
            Crs::Crs84 => (x, y),
            Crs::Epsg4326 => (y, x),
            Crs::WebMercator => {
                let lon = x / A * 180.0 / std::f64::consts::PI;
                let lat = (2.0 * (y / A).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
                (lon, lat)
            }
            Crs::Utm { zone, north } => {
                let n = if north { y } else { y - 10_000_000.0 };
                let (dlon, lat) = tm_inverse(x - 500_000.0, n)?;
                let mut lon = dlon + central_meridian(zone);
                if lon > 180.0 {
                    lon -= 360.0;
                } else if lon < -180.0 {
                    lon += 360.0;
                }
                (lon, lat)
            }
        };
        (lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 + 1e-9 && lon.abs() <= 540.0).then_some((lon, lat))
    }

    /// Whether coordinates are in metres (for bbox densification).
    pub fn projected(self) -> bool {
        matches!(self, Crs::WebMercator | Crs::Utm { .. })
    }
}

fn central_meridian(zone: u8) -> f64 {
    f64::from(zone) * 6.0 - 183.0
}

/// Web Mercator (EPSG:3857) of a longitude/latitude (latitude clamped to ±85.06°).
pub fn web_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    (
        A * lon.to_radians(),
        A * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

struct Series {
    /// Rectifying radius × k0.
    ka: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    e: f64,
}

fn series() -> &'static Series {
    static S: std::sync::OnceLock<Series> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let n = F / (2.0 - F);
        let (n2, n3, n4, n5, n6) = (n * n, n.powi(3), n.powi(4), n.powi(5), n.powi(6));
        let big_a = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        Series {
            ka: K0 * big_a,
            alpha: [
                n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                    + 7891.0 * n6 / 37800.0,
                13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                    - 1983433.0 * n6 / 1935360.0,
                61.0 * n3 / 240.0 - 103.0 * n4 / 140.0 + 15061.0 * n5 / 26880.0 + 167603.0 * n6 / 181440.0,
                49561.0 * n4 / 161280.0 - 179.0 * n5 / 168.0 + 6601661.0 * n6 / 7257600.0,
                34729.0 * n5 / 80640.0 - 3418889.0 * n6 / 1995840.0,
                212378941.0 * n6 / 319334400.0,
            ],
            beta: [
                n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0 + 96199.0 * n6 / 604800.0,
                n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0 - 1118711.0 * n6 / 3870720.0,
                17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
                4397.0 * n4 / 161280.0 - 11.0 * n5 / 504.0 - 830251.0 * n6 / 7257600.0,
                4583.0 * n5 / 161280.0 - 108847.0 * n6 / 3991680.0,
                20648693.0 * n6 / 638668800.0,
            ],
            e: (F * (2.0 - F)).sqrt(),
        }
    })
}

/// Transverse Mercator (k0 = 0.9996) of a longitude difference from the central meridian and a
/// latitude, in degrees: (easting, northing) in metres, before false easting/northing.
fn tm_forward(dlon: f64, lat: f64) -> (f64, f64) {
    let s = series();
    let phi = lat.to_radians();
    let lam = dlon.to_radians();
    let sin_phi = phi.sin();
    let t = (sin_phi.atanh() - s.e * (s.e * sin_phi).atanh()).sinh();
    let xi_p = t.atan2(lam.cos());
    let eta_p = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
    let mut xi = xi_p;
    let mut eta = eta_p;
    for (j, a) in s.alpha.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
        eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
    }
    (s.ka * eta, s.ka * xi)
}

/// The inverse of [`tm_forward`]: (longitude difference, latitude) in degrees.
fn tm_inverse(x: f64, y: f64) -> Option<(f64, f64)> {
    let s = series();
    let xi = y / s.ka;
    let eta = x / s.ka;
    let mut xi_p = xi;
    let mut eta_p = eta;
    for (j, b) in s.beta.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        xi_p -= b * (k * xi).sin() * (k * eta).cosh();
        eta_p -= b * (k * xi).cos() * (k * eta).sinh();
    }
    let tau_p = xi_p.sin() / (eta_p.sinh().powi(2) + xi_p.cos().powi(2)).sqrt();
    let lam = eta_p.sinh().atan2(xi_p.cos());
    // Conformal → geodetic latitude by Newton's method (Karney 2011, eq. 19–21).
    let e2 = s.e * s.e;
    let mut tau = tau_p;
    for _ in 0..10 {
        let sigma = (s.e * (s.e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
        let tau_i = tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt();
        let d = (tau_p - tau_i) / (1.0 + tau_i * tau_i).sqrt() * (1.0 + (1.0 - e2) * tau * tau)
            / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
        tau += d;
        if d.abs() < 1e-14 {
            break;
        }
    }
    let lat = tau.atan().to_degrees();
    let lon = lam.to_degrees();
    (lat.is_finite() && lon.is_finite()).then_some((lon, lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_clients_send() {
        assert_eq!(Crs::parse(CRS84), Some(Crs::Crs84));
        assert_eq!(
            Crs::parse("<http://www.opengis.net/def/crs/EPSG/0/4326>"),
            Some(Crs::Epsg4326)
        );
        assert_eq!(Crs::parse("[EPSG:3857]"), Some(Crs::WebMercator));
        assert_eq!(
            Crs::parse("http://www.opengis.net/def/crs/EPSG/0/32736"),
            Some(Crs::Utm { zone: 36, north: false })
        );
        assert_eq!(Crs::parse("EPSG:2154"), None);
        assert_eq!(Crs::parse("http://www.opengis.net/def/crs/EPSG/0/32661"), None);
        assert_eq!(Crs::all_uris().len(), 123);
    }

    /// Reference values from GDAL 3.6.2 (`gdaltransform -s_srs OGC:CRS84 -t_srs EPSG:…`).
    #[test]
    fn matches_gdal() {
        let cases: &[(Crs, f64, f64, f64, f64)] = &[
            (
                Crs::Utm { zone: 36, north: true },
                30.5,
                50.45,
                322_520.829_676,
                5_591_652.147_008,
            ),
            (
                Crs::Utm { zone: 37, north: true },
                37.8,
                48.0,
                410_486.071_570,
                5_316_996.887_756,
            ),
            (
                Crs::Utm { zone: 33, north: false },
                13.2,
                -8.8,
                302_016.099_834,
                9_026_783.254_686,
            ),
            (Crs::WebMercator, 30.5, 50.45, 3_395_244.469_195, 6_524_575.739_101),
        ];
        for &(crs, lon, lat, x, y) in cases {
            let (gx, gy) = crs.from_lon_lat(lon, lat);
            assert!(
                (gx - x).abs() < 1e-3 && (gy - y).abs() < 1e-3,
                "{crs:?}: {gx} {gy} vs {x} {y}"
            );
            let (blon, blat) = crs.to_lon_lat(gx, gy).unwrap();
            assert!(
                (blon - lon).abs() < 1e-9 && (blat - lat).abs() < 1e-9,
                "{crs:?} back: {blon} {blat}"
            );
        }
        assert_eq!(Crs::Epsg4326.from_lon_lat(30.5, 50.45), (50.45, 30.5));
    }
}
