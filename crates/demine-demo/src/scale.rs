//! The three campaign scales and the numbers that shape each one.

use demine_core::UnknownValue;
use std::fmt;
use std::str::FromStr;

/// How big a synthetic campaign to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scale {
    /// A 10 km × 10 km patch with a few dozen hazards: for fast tests.
    Small,
    /// A region of about 100 km × 60 km modelled on the 2024 Kursk operation: 1,500–4,000
    /// hazards, 1,000–2,000 km² of suspected land. The default.
    #[default]
    Region,
    /// A country-sized front of about 1,000 km: about 100,000 hazards over about 170,000 km².
    National,
}

impl Scale {
    /// Every scale, in canonical spelling.
    pub const ALLOWED: &'static [&'static str] = &["small", "region", "national"];
    /// Every scale.
    pub const ALL: &'static [Scale] = &[Scale::Small, Scale::Region, Scale::National];

    /// The canonical spelling, as accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Region => "region",
            Scale::National => "national",
        }
    }

    /// Capitalised name for titles ("Region").
    pub fn title(self) -> &'static str {
        match self {
            Scale::Small => "Small",
            Scale::Region => "Region",
            Scale::National => "National",
        }
    }

    pub(crate) fn params(self) -> Params {
        match self {
            Scale::Small => Params {
                bbox: [35.25, 51.25, 35.3937, 51.34],
                backbone: vec![[35.25, 51.283], [35.31, 51.30], [35.3937, 51.292]],
                line_roughness: 0.10,
                line_step_km: 0.25,
                settlements: (4, 7),
                settlement_spacing_km: 2.0,
                towns: 0,
                road_step_km: 0.3,
                candidates: 100,
                target_area_km2: (9.0, 13.0),
                max_hazards: 76,
                size_median_km2: 0.2,
                size_sigma: 1.1,
                size_max_km2: 3.0,
                belt_share: 0.7,
                settlement_share: 0.18,
                belt_scale_km: 1.5,
                front_km: 1.5,
                belt_max_km: 5.0,
                settlement_sigma_km: 0.6,
                road_sigma_km: 0.2,
                vertices: (8, 32),
                spacing: SPACING_DEFAULT,
                gap_km: 0.012,
                team_factor: 0.15,
                find_density: 1.0,
                accidents: (3, 6),
            },
            Scale::Region => Params {
                bbox: [35.0, 51.0, 36.5, 51.6],
                backbone: vec![
                    [35.0, 51.22],
                    [35.35, 51.34],
                    [35.8, 51.26],
                    [36.15, 51.38],
                    [36.5, 51.33],
                ],
                line_roughness: 0.12,
                line_step_km: 0.5,
                settlements: (35, 55),
                settlement_spacing_km: 3.0,
                towns: 3,
                road_step_km: 0.8,
                candidates: 3_600,
                target_area_km2: (1_150.0, 1_450.0),
                max_hazards: 4_000,
                size_median_km2: 0.7,
                size_sigma: 1.2,
                size_max_km2: 20.0,
                belt_share: 0.7,
                settlement_share: 0.18,
                belt_scale_km: 10.0,
                front_km: 10.0,
                belt_max_km: 30.0,
                settlement_sigma_km: 1.4,
                road_sigma_km: 0.3,
                vertices: (8, 40),
                spacing: SPACING_DEFAULT,
                gap_km: 0.015,
                team_factor: 1.0,
                find_density: 1.0,
                accidents: (25, 55),
            },
            Scale::National => Params {
                bbox: [30.0, 46.0, 40.0, 52.0],
                backbone: vec![
                    [36.2, 51.9],
                    [37.8, 50.2],
                    [38.2, 49.0],
                    [37.6, 47.9],
                    [36.2, 47.4],
                    [34.6, 47.2],
                    [33.2, 46.6],
                    [31.8, 46.5],
                ],
                line_roughness: 0.12,
                line_step_km: 2.0,
                settlements: (450, 550),
                settlement_spacing_km: 9.0,
                towns: 25,
                road_step_km: 3.0,
                candidates: 125_000,
                target_area_km2: (165_000.0, 175_000.0),
                max_hazards: 120_000,
                size_median_km2: 4.0,
                size_sigma: 1.0,
                size_max_km2: 20.0,
                belt_share: 0.75,
                settlement_share: 0.15,
                belt_scale_km: 150.0,
                front_km: 40.0,
                belt_max_km: 400.0,
                settlement_sigma_km: 4.0,
                road_sigma_km: 0.6,
                vertices: (8, 24),
                spacing: 0.55,
                gap_km: 0.02,
                team_factor: 8.0,
                find_density: 4.0,
                accidents: (2_500, 3_500),
            },
        }
    }
}

impl FromStr for Scale {
    type Err = UnknownValue;

    /// Parses `small`, `region` or `national` (case-insensitively); the error lists them.
    fn from_str(s: &str) -> Result<Self, UnknownValue> {
        let t = s.trim();
        Scale::ALL
            .iter()
            .copied()
            .find(|sc| t.eq_ignore_ascii_case(sc.as_str()))
            .ok_or_else(|| UnknownValue {
                value: s.to_string(),
                allowed: Scale::ALLOWED,
            })
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const SPACING_DEFAULT: f64 = 0.75;

/// What differs between scales.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    /// min_lon, min_lat, max_lon, max_lat.
    pub bbox: [f64; 4],
    /// Control points of the line of contact (lon/lat), roughened by midpoint displacement.
    pub backbone: Vec<[f64; 2]>,
    pub line_roughness: f64,
    pub line_step_km: f64,
    pub settlements: (usize, usize),
    pub settlement_spacing_km: f64,
    /// Settlements that are towns (larger populations).
    pub towns: usize,
    pub road_step_km: f64,
    /// Hazard centres drawn; the hazards are taken in order until the target area is reached.
    pub candidates: usize,
    pub target_area_km2: (f64, f64),
    pub max_hazards: usize,
    pub size_median_km2: f64,
    pub size_sigma: f64,
    pub size_max_km2: f64,
    pub belt_share: f64,
    pub settlement_share: f64,
    /// Mean distance of belt hazards from the line of contact.
    pub belt_scale_km: f64,
    pub belt_max_km: f64,
    /// Distance scale of the fighting: CHAs, minefields and mines concentrate within it.
    pub front_km: f64,
    pub settlement_sigma_km: f64,
    pub road_sigma_km: f64,
    pub vertices: (usize, usize),
    /// How close two hazard centres may be, as a fraction of the sum of their radii.
    pub spacing: f64,
    /// Half the minimum distance kept between neighbouring hazards.
    pub gap_km: f64,
    pub team_factor: f64,
    pub find_density: f64,
    pub accidents: (usize, usize),
}
