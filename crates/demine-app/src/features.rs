//! Features for map clients (OGC API – Features, vector tiles): which layers an actor sees, a
//! page of features in the actor's organisations, one feature, CQL2 filters turned into the
//! store's backend-neutral [`Filter`], and writes through the same use cases as imports.
//!
//! Who sees what is decided here, never in the HTTP layer:
//! - reading features needs [`Act::Read`] (donors and the public, `viewer`, see aggregates only);
//! - record layers (hazards, activities, finds, accidents, released land) are limited to the
//!   actor's organisations: another organisation's feature is absent from lists, counts,
//!   extents, filters and tiles, and "not found" by id;
//! - the risk map is the authority's product: only readers of every organisation see it (it
//!   would show where other organisations' hazards are);
//! - context layers (roads, settlements, …) are public geography: every reader sees them.

use crate::actor::Act;
use crate::{Actor, AppError, AppResult, Registry};
use chrono::NaiveDate;
use demine_core::RecordKind;
use demine_store::{Bbox, CmpOp, FeatureQuery, Literal, Repository};
use serde_json::Value;

pub use demine_store::{FeatureRow, Field, FieldType, Filter, Layer};

/// A layer as a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: String,
    pub layer: Layer,
    pub title: String,
    pub description: String,
}

fn record_collection(id: &str, layer: Layer, title: &str, description: &str) -> Collection {
    Collection {
        id: id.into(),
        layer,
        title: title.into(),
        description: description.into(),
    }
}

/// The layers `actor` may read, in a fixed order.
pub async fn collections(reg: &Registry, actor: &Actor) -> AppResult<Vec<Collection>> {
    actor.require(Act::Read)?;
    let all = catalogue(reg).await?;
    Ok(all.into_iter().filter(|c| readable(actor, c)).collect())
}

/// The risk map is the authority's: an organisation's reader does not see it.
fn readable(actor: &Actor, c: &Collection) -> bool {
    c.layer != Layer::RiskCells || actor.scope().is_none()
}

/// Every layer the registry offers (names and descriptions only, no contents): what the public
/// API description lists.
pub async fn catalogue(reg: &Registry) -> AppResult<Vec<Collection>> {
    let mut out = built_in_collections();
    for (name, _) in reg.store.context_layers().await? {
        out.push(context_collection(name));
    }
    Ok(out)
}

const CONTEXT_PREFIX: &str = "context_";

fn context_collection(name: String) -> Collection {
    Collection {
        id: format!("{CONTEXT_PREFIX}{name}"),
        title: format!("Context: {name}"),
        description: format!("Context layer '{name}' (imported with `demine import layer`)"),
        layer: Layer::Context(name),
    }
}

/// The layers every registry has (records, released land, risk map), in a fixed order.
fn built_in_collections() -> Vec<Collection> {
    let mut out = vec![
        record_collection(
            "hazards",
            Layer::Hazards,
            "Hazardous areas",
            "Suspected (SHA) and confirmed (CHA) hazardous areas with their computed land release",
        ),
        record_collection(
            "activities",
            Layer::Activities,
            "Land-release activities",
            "Non-technical survey, technical survey, clearance, BAC and EOD: the land each released",
        ),
        record_collection(
            "finds",
            Layer::Finds,
            "Explosive ordnance finds",
            "Items found, by category",
        ),
        record_collection(
            "accidents",
            Layer::Accidents,
            "Accidents",
            "Mine/ERW accidents and casualties",
        ),
        record_collection(
            "released_land",
            Layer::ReleasedLand,
            "Released land",
            "Land released, per piece: the activity that released it first and how (computed, never typed)",
        ),
    ];
    out.push(record_collection(
        "risk_cells",
        Layer::RiskCells,
        "Risk map",
        "Probability of contamination on H3 cells (demine risk build)",
    ));
    out
}

/// One collection the actor may read; any other id is "not found".
///
/// A built-in layer is found without reading the store (every tile request asks for one).
pub async fn collection(reg: &Registry, actor: &Actor, id: &str) -> AppResult<Collection> {
    actor.require(Act::Read)?;
    let all = if id.starts_with(CONTEXT_PREFIX) {
        catalogue(reg).await?
    } else {
        built_in_collections()
    };
    all.into_iter()
        .find(|c| c.id == id && readable(actor, c))
        .ok_or_else(|| AppError::NotFound(format!("no collection '{id}'")))
}

/// The record kind behind a layer (for writes).
pub fn record_kind(layer: &Layer) -> Option<RecordKind> {
    match layer {
        Layer::Hazards => Some(RecordKind::Hazards),
        Layer::Activities => Some(RecordKind::Activities),
        Layer::Finds => Some(RecordKind::Finds),
        Layer::Accidents => Some(RecordKind::Accidents),
        _ => None,
    }
}

fn scoped(actor: &Actor, layer: &Layer) -> FeatureQuery {
    let mut q = FeatureQuery::new(layer.clone());
    if layer.organisation_scoped() {
        q.organisations = actor.scope();
    }
    q
}

/// What a page of features wants.
#[derive(Debug, Clone, Default)]
pub struct ItemsRequest {
    pub bbox: Option<Bbox>,
    pub filter: Option<Filter>,
    /// Keyset cursor (the `fid` of the last feature of the previous page).
    pub after: Option<i64>,
    pub offset: Option<u64>,
    pub limit: u64,
}

/// A page of features.
#[derive(Debug, Clone)]
pub struct ItemsPage {
    pub features: Vec<FeatureRow>,
    /// Whether there is a page after this one.
    pub more: bool,
}

/// The most features one page holds; larger `limit`s are clamped to it.
pub const MAX_ITEMS: u64 = 10_000;

/// The query of a request, in the actor's organisations, without paging. A `bbox` is exact:
/// features whose geometry meets the box (not only its bounding box).
fn items_query(actor: &Actor, c: &Collection, r: &ItemsRequest) -> FeatureQuery {
    let mut q = scoped(actor, &c.layer);
    let mut all = Vec::new();
    if let Some(b) = r.bbox {
        q.bbox = Some(b);
        all.push(Filter::Intersects(geo::Geometry::Rect(geo::Rect::new(
            geo::coord! {x: b.min_lon, y: b.min_lat},
            geo::coord! {x: b.max_lon, y: b.max_lat},
        ))));
    }
    all.extend(r.filter.clone());
    q.filter = match all.len() {
        0 => None,
        1 => all.pop(),
        _ => Some(Filter::And(all)),
    };
    q
}

/// A page of features of `c` that `actor` may see (paging by `after`, `offset` and `limit`).
pub async fn items(reg: &Registry, actor: &Actor, c: &Collection, r: &ItemsRequest) -> AppResult<ItemsPage> {
    actor.require(Act::Read)?;
    let mut q = items_query(actor, c, r);
    let limit = r.limit.clamp(1, MAX_ITEMS);
    q.after = r.after;
    q.offset = r.offset;
    q.limit = Some(limit + 1);
    let mut features = reg.store.features(&q).await?;
    let more = features.len() as u64 > limit;
    features.truncate(limit as usize);
    Ok(ItemsPage { features, more })
}

/// How many features of `c` that `actor` may see match the request, all pages together (its
/// paging is ignored).
pub async fn number_matched(reg: &Registry, actor: &Actor, c: &Collection, r: &ItemsRequest) -> AppResult<u64> {
    actor.require(Act::Read)?;
    Ok(reg.store.count_features(&items_query(actor, c, r)).await?)
}

/// One feature by id; another organisation's is "not found", as a missing one.
pub async fn item(reg: &Registry, actor: &Actor, c: &Collection, id: &str) -> AppResult<FeatureRow> {
    actor.require(Act::Read)?;
    let mut q = scoped(actor, &c.layer);
    q.id = Some(id.to_string());
    q.limit = Some(1);
    reg.store
        .features(&q)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound(format!("no feature '{id}' in {}", c.id)))
}

/// The extent of what `actor` sees of `c` (`None`: nothing).
pub async fn extent(reg: &Registry, actor: &Actor, c: &Collection) -> AppResult<Option<Bbox>> {
    actor.require(Act::Read)?;
    Ok(reg.store.feature_extent(&scoped(actor, &c.layer)).await?)
}

/// How many features of `c` the actor sees.
pub async fn count(reg: &Registry, actor: &Actor, c: &Collection) -> AppResult<u64> {
    actor.require(Act::Read)?;
    Ok(reg.store.count_features(&scoped(actor, &c.layer)).await?)
}

/// Features of `c` whose boxes meet `b` (a tile and its buffer), in the actor's organisations,
/// with the layer's fields only (no free attributes: a tile carries the fields).
pub async fn in_box(reg: &Registry, actor: &Actor, c: &Collection, b: Bbox) -> AppResult<Vec<FeatureRow>> {
    actor.require(Act::Read)?;
    let mut q = scoped(actor, &c.layer);
    q.bbox = Some(b);
    q.with_attributes = false;
    Ok(reg.store.features(&q).await?)
}

/// A token that changes whenever the registry changes (tile caches key on it).
pub async fn generation(reg: &Registry) -> AppResult<String> {
    Ok(reg.store.generation().await?)
}

// ---------------------------------------------------------------------------------------------
// Filters

/// Why a filter cannot run.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterError {
    /// The filter names a property the collection does not have.
    UnknownProperty(String),
    /// Anything else: the message says what and how to fix it.
    Invalid(String),
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterError::UnknownProperty(p) => write!(f, "unknown property '{p}'"),
            FilterError::Invalid(m) => f.write_str(m),
        }
    }
}

type FResult<T> = Result<T, FilterError>;

fn invalid(m: impl Into<String>) -> FilterError {
    FilterError::Invalid(m.into())
}

/// Parses a CQL2 filter for `layer`. `lang`: `cql2-text` (also GDAL's legacy `cql-text`, with its
/// `ILIKE` and `'2024-01-03T'` dates) or `cql2-json`. `to_lon_lat` maps the filter's coordinates
/// (its `filter-crs`) to longitude/latitude.
pub fn parse_filter(
    layer: &Layer,
    text: &str,
    lang: &str,
    to_lon_lat: &dyn Fn(f64, f64) -> Option<(f64, f64)>,
) -> FResult<Filter> {
    let expr = match lang {
        "cql2-text" | "cql-text" => cql2::parse_text(&rewrite_ilike(text)).map_err(|e| invalid(e.to_string()))?,
        "cql2-json" => cql2::parse_json(text).map_err(|e| invalid(e.to_string()))?,
        other => {
            return Err(invalid(format!(
                "filter-lang '{other}' is not supported: use cql2-text or cql2-json"
            )))
        }
    };
    Conv { layer, to_lon_lat }.filter(&expr)
}

/// GDAL writes `a ILIKE 'x'`, which CQL2 spells `CASEI(a) LIKE CASEI('x')`.
fn rewrite_ilike(text: &str) -> String {
    let upper = text.to_ascii_uppercase();
    if !upper.contains("ILIKE") {
        return text.to_string();
    }
    // Tokens outside quotes: find `<ident> ILIKE '<lit>'`.
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut last_ident: Option<(usize, usize)> = None; // span in `out`
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let start = i;
            i = literal_end(&chars, i);
            out.extend(&chars[start..i]);
            last_ident = None;
            continue;
        }
        if c == '"' || c.is_alphabetic() || c == '_' {
            let start = i;
            if c == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                i = (i + 1).min(chars.len());
            } else {
                while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | ':')) {
                    i += 1;
                }
            }
            let word: String = chars[start..i].iter().collect();
            if word.eq_ignore_ascii_case("ILIKE") {
                if let Some((a, b)) = last_ident {
                    let ident = out[a..b].to_string();
                    out.replace_range(a..b, &format!("CASEI({ident})"));
                    out.push_str("LIKE");
                    // the following literal
                    let mut j = i;
                    while j < chars.len() && chars[j].is_whitespace() {
                        j += 1;
                    }
                    if j < chars.len() && chars[j] == '\'' {
                        let ls = j;
                        j = literal_end(&chars, j);
                        let lit: String = chars[ls..j].iter().collect();
                        out.push_str(&format!(" CASEI({lit})"));
                        i = j;
                    }
                    last_ident = None;
                    continue;
                }
            }
            let a = out.len();
            out.push_str(&word);
            last_ident = Some((a, out.len()));
            continue;
        }
        if !c.is_whitespace() {
            last_ident = None;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The position after the quoted literal starting at `start` (`''` is a quote inside it).
fn literal_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == '\'' {
            if i + 1 < chars.len() && chars[i + 1] == '\'' {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

struct Conv<'a> {
    layer: &'a Layer,
    to_lon_lat: &'a dyn Fn(f64, f64) -> Option<(f64, f64)>,
}

/// A property, possibly wrapped in `CASEI`.
struct Prop {
    name: String,
    casei: bool,
}

impl Conv<'_> {
    fn property(&self, e: &cql2::Expr) -> Option<Prop> {
        match e {
            cql2::Expr::Property { property } => Some(Prop {
                name: property.clone(),
                casei: false,
            }),
            cql2::Expr::Operation { op, args } if op.eq_ignore_ascii_case("casei") && args.len() == 1 => {
                self.property(&args[0]).map(|p| Prop { casei: true, ..p })
            }
            _ => None,
        }
    }

    fn field(&self, name: &str) -> FResult<&'static demine_store::Field> {
        self.layer
            .field(name)
            .ok_or_else(|| FilterError::UnknownProperty(name.to_string()))
    }

    /// A literal of the type of field `name`.
    fn literal(&self, name: &str, e: &cql2::Expr) -> FResult<Literal> {
        let f = self.field(name)?;
        let text = |e: &cql2::Expr| -> Option<String> {
            match e {
                cql2::Expr::Literal(s) => Some(s.clone()),
                cql2::Expr::Operation { op, args } if op.eq_ignore_ascii_case("casei") && args.len() == 1 => {
                    match &*args[0] {
                        cql2::Expr::Literal(s) => Some(s.clone()),
                        _ => None,
                    }
                }
                cql2::Expr::Date { date } | cql2::Expr::Timestamp { timestamp: date } => match &**date {
                    cql2::Expr::Literal(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            }
        };
        let wrong = |what: &str| {
            invalid(format!(
                "property '{name}' is {what}; the filter compares it with {}",
                describe(e)
            ))
        };
        match f.ty {
            FieldType::String => match e {
                cql2::Expr::Float(x) => Ok(Literal::Text(fmt_number(*x))),
                cql2::Expr::Bool(b) => Ok(Literal::Text(b.to_string())),
                _ => text(e).map(Literal::Text).ok_or_else(|| wrong("text")),
            },
            FieldType::Integer | FieldType::Number => {
                let x = match e {
                    cql2::Expr::Float(x) => *x,
                    _ => text(e)
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .ok_or_else(|| wrong("a number"))?,
                };
                if f.ty == FieldType::Integer && x.fract() == 0.0 && x.abs() < 9e15 {
                    Ok(Literal::Integer(x as i64))
                } else {
                    Ok(Literal::Number(x))
                }
            }
            FieldType::Date => {
                let s = text(e).ok_or_else(|| wrong("a date"))?;
                parse_day(&s)
                    .map(Literal::Date)
                    .ok_or_else(|| invalid(format!("property '{name}' is a date; '{s}' is not a date (YYYY-MM-DD)")))
            }
        }
    }

    fn filter(&self, e: &cql2::Expr) -> FResult<Filter> {
        use cql2::Expr as E;
        match e {
            E::Bool(b) => Ok(Filter::Const(*b)),
            E::Operation { op, args } => {
                let op_l = op.to_ascii_lowercase();
                let arg = |i: usize| -> FResult<&cql2::Expr> {
                    args.get(i)
                        .map(|b| &**b)
                        .ok_or_else(|| invalid(format!("'{op}' needs more arguments")))
                };
                match op_l.as_str() {
                    "and" | "or" => {
                        let v = args.iter().map(|a| self.filter(a)).collect::<FResult<Vec<_>>>()?;
                        Ok(if op_l == "and" { Filter::And(v) } else { Filter::Or(v) })
                    }
                    "not" => Ok(Filter::Not(Box::new(self.filter(arg(0)?)?))),
                    "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                        let (a, b) = (arg(0)?, arg(1)?);
                        let (p, lit, flipped) = match (self.property(a), self.property(b)) {
                            (Some(p), None) => (p, b, false),
                            (None, Some(p)) => (p, a, true),
                            (Some(_), Some(_)) => {
                                return Err(invalid("comparing two properties is not supported"))
                            }
                            (None, None) => return Err(invalid(format!("'{op}' needs a property on one side"))),
                        };
                        self.field(&p.name)?;
                        let mut cmp = match op_l.as_str() {
                            "=" => CmpOp::Eq,
                            "<>" => CmpOp::Ne,
                            "<" => CmpOp::Lt,
                            "<=" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            _ => CmpOp::Ge,
                        };
                        if flipped {
                            cmp = match cmp {
                                CmpOp::Lt => CmpOp::Gt,
                                CmpOp::Le => CmpOp::Ge,
                                CmpOp::Gt => CmpOp::Lt,
                                CmpOp::Ge => CmpOp::Le,
                                c => c,
                            };
                        }
                        Ok(Filter::Compare {
                            value: self.literal(&p.name, lit)?,
                            property: p.name,
                            op: cmp,
                            case_insensitive: p.casei,
                        })
                    }
                    "like" => {
                        let p = self
                            .property(arg(0)?)
                            .ok_or_else(|| invalid("LIKE needs a property on its left"))?;
                        self.field(&p.name)?;
                        let pattern = match self.literal(&p.name, arg(1)?)? {
                            Literal::Text(s) => s,
                            _ => return Err(invalid(format!("LIKE needs a text property; '{}' is not text", p.name))),
                        };
                        Ok(Filter::Like {
                            property: p.name,
                            pattern,
                            case_insensitive: p.casei,
                        })
                    }
                    "between" => {
                        let p = self
                            .property(arg(0)?)
                            .ok_or_else(|| invalid("BETWEEN needs a property on its left"))?;
                        Ok(Filter::Between {
                            low: self.literal(&p.name, arg(1)?)?,
                            high: self.literal(&p.name, arg(2)?)?,
                            property: p.name,
                        })
                    }
                    "in" => {
                        let p = self
                            .property(arg(0)?)
                            .ok_or_else(|| invalid("IN needs a property on its left"))?;
                        let values = match arg(1)? {
                            E::Array(v) => v
                                .iter()
                                .map(|x| self.literal(&p.name, x))
                                .collect::<FResult<Vec<_>>>()?,
                            other => vec![self.literal(&p.name, other)?],
                        };
                        Ok(Filter::In {
                            property: p.name,
                            values,
                        })
                    }
                    "isnull" => {
                        let p = self
                            .property(arg(0)?)
                            .ok_or_else(|| invalid("IS NULL needs a property"))?;
                        self.field(&p.name)?;
                        Ok(Filter::IsNull(p.name))
                    }
                    "s_intersects" => {
                        let (a, b) = (arg(0)?, arg(1)?);
                        let (p, g) = match (a, b) {
                            (E::Property { property }, g) | (g, E::Property { property }) => (property, g),
                            _ => return Err(invalid("S_INTERSECTS needs the geometry property on one side")),
                        };
                        if !matches!(p.as_str(), "geometry" | "geom") {
                            return Err(FilterError::UnknownProperty(p.clone()));
                        }
                        Ok(Filter::Intersects(self.geometry(g)?))
                    }
                    other => Err(invalid(format!(
                        "operator '{other}' is not supported; use =, <>, <, <=, >, >=, AND, OR, NOT, LIKE, CASEI, BETWEEN, IN, IS NULL, S_INTERSECTS"
                    ))),
                }
            }
            other => Err(invalid(format!("{} is not a condition", describe(other)))),
        }
    }

    fn geometry(&self, e: &cql2::Expr) -> FResult<geo::Geometry<f64>> {
        let map = |x: f64, y: f64| {
            (self.to_lon_lat)(x, y).ok_or_else(|| invalid(format!("coordinate ({x}, {y}) is outside the filter-crs")))
        };
        match e {
            cql2::Expr::BBox { bbox } => {
                let v: Vec<f64> = bbox
                    .iter()
                    .map(|b| match **b {
                        cql2::Expr::Float(x) => Ok(x),
                        _ => Err(invalid("BBOX takes numbers")),
                    })
                    .collect::<FResult<_>>()?;
                let (x0, y0, x1, y1) = match v.as_slice() {
                    [a, b, c, d] => (*a, *b, *c, *d),
                    [a, b, _, d, e, _] => (*a, *b, *d, *e),
                    _ => return Err(invalid("BBOX takes 4 (or 6) numbers")),
                };
                let (a, b) = map(x0, y0)?;
                let (c, d) = map(x1, y1)?;
                Ok(geo::Geometry::Rect(geo::Rect::new(
                    geo::coord! {x: a, y: b},
                    geo::coord! {x: c, y: d},
                )))
            }
            cql2::Expr::Geometry(g) => {
                let text = g.to_wkt().map_err(|e| invalid(format!("geometry: {e}")))?;
                let geom: geo::Geometry<f64> =
                    wkt::TryFromWkt::try_from_wkt_str(&text).map_err(|e| invalid(format!("geometry '{text}': {e}")))?;
                use geo::MapCoords;
                geom.try_map_coords(|c| map(c.x, c.y).map(|(x, y)| geo::coord! {x: x, y: y}))
            }
            other => Err(invalid(format!("{} is not a geometry", describe(other)))),
        }
    }
}

fn fmt_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

fn describe(e: &cql2::Expr) -> String {
    e.to_text().unwrap_or_else(|_| format!("{e:?}"))
}

/// `YYYY-MM-DD`, also with a time part (`2024-01-03T`, `2024-01-03T10:00:00Z`): the day.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let day = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// `property=value` (OGC API – Features Part 1 query parameters on queryables): equality, with
/// the value read as the field's type.
pub fn equality_filter(layer: &Layer, property: &str, value: &str) -> FResult<Filter> {
    let conv = Conv {
        layer,
        to_lon_lat: &|x, y| Some((x, y)),
    };
    Ok(Filter::Compare {
        property: property.to_string(),
        op: CmpOp::Eq,
        value: conv.literal(property, &cql2::Expr::Literal(value.to_string()))?,
        case_insensitive: false,
    })
}

/// The OGC `datetime` parameter (an instant or `start/end`, either end `..` or empty) as a
/// filter on the layer's date; `None` for layers without one.
pub fn datetime_filter(layer: &Layer, s: &str) -> FResult<Option<Filter>> {
    let Some(field) = layer.date_field() else {
        return Ok(None);
    };
    let day = |x: &str| -> FResult<Option<NaiveDate>> {
        let x = x.trim();
        if x.is_empty() || x == ".." {
            return Ok(None);
        }
        parse_day(x)
            .map(Some)
            .ok_or_else(|| invalid(format!("'{x}' is not a date or RFC 3339 date-time")))
    };
    let cmp = |op, d: NaiveDate| Filter::Compare {
        property: field.into(),
        op,
        value: Literal::Date(d),
        case_insensitive: false,
    };
    match s.split_once('/') {
        None => {
            let d = day(s)?.ok_or_else(|| invalid("give a date, or an interval start/end"))?;
            Ok(Some(cmp(CmpOp::Eq, d)))
        }
        Some((a, b)) => {
            let mut v = Vec::new();
            if let Some(a) = day(a)? {
                v.push(cmp(CmpOp::Ge, a));
            }
            if let Some(b) = day(b)? {
                v.push(cmp(CmpOp::Le, b));
            }
            Ok(if v.is_empty() { None } else { Some(Filter::And(v)) })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writes (OGC API – Features Part 4), through the import and correction use cases

/// Fields map clients send back that the registry computes (never typed in).
const COMPUTED: &[&str] = &[
    "area_m2",
    "cancelled_m2",
    "reduced_m2",
    "cleared_m2",
    "remaining_m2",
    "status",
    "version",
    "review",
];

/// Creates one record from a GeoJSON feature, validated exactly as an import. Returns its id
/// (one is made when the feature has none, as QGIS sends new features without ids).
pub async fn create(reg: &Registry, actor: &Actor, c: &Collection, feature: &Value) -> AppResult<String> {
    let kind = record_kind(&c.layer).ok_or_else(|| AppError::Forbidden(format!("{} is computed, not edited", c.id)))?;
    actor.require(Act::Write)?;
    let mut f = feature.clone();
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(AppError::refused("request body: send one GeoJSON Feature"));
    }
    let props = f
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| AppError::refused("request body: the feature has no properties object"))?;
    for k in COMPUTED {
        props.remove(*k);
    }
    let id = match props.get("id").and_then(Value::as_str).map(str::to_string) {
        Some(id) if !id.trim().is_empty() => id,
        _ => {
            let top = feature.get("id").and_then(Value::as_str).map(str::to_string);
            let id = top.unwrap_or_else(|| new_id(kind));
            props.insert("id".into(), Value::String(id.clone()));
            id
        }
    };
    if kind == RecordKind::Hazards && !props.contains_key("organisation") {
        if let Some(o) = &actor.organisation {
            props.insert("organisation".into(), Value::String(o.clone()));
        }
    }
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [f]});
    let opts = crate::import::ImportOptions {
        fix: false,
        dry_run: false,
        upsert: false,
        replace: false,
        reason: Some("created through OGC API - Features".into()),
    };
    let body = serde_json::to_vec(&fc).map_err(|e| AppError::Internal(e.into()))?;
    crate::import::import_bytes(
        reg,
        actor,
        kind,
        std::path::Path::new("request body.geojson"),
        &body,
        &opts,
    )
    .await?;
    Ok(id)
}

fn new_id(kind: RecordKind) -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    let prefix = match kind {
        RecordKind::Hazards => "H",
        RecordKind::Activities => "A",
        RecordKind::Finds => "F",
        RecordKind::Accidents => "X",
        _ => "R",
    };
    format!("{prefix}-{:012x}", n & 0xffff_ffff_ffff)
}

/// Replaces a record's properties and geometry with those of `feature` (an amendment validated
/// as an import of the corrected record). Fields the feature leaves out keep their values.
/// `based_on`: the version the client read (`If-Match`); a stale edit is kept as a conflict.
pub async fn replace(
    reg: &Registry,
    actor: &Actor,
    c: &Collection,
    id: &str,
    feature: &Value,
    based_on: Option<u64>,
) -> AppResult<u64> {
    let kind = record_kind(&c.layer).ok_or_else(|| AppError::Forbidden(format!("{} is computed, not edited", c.id)))?;
    let props = feature.get("properties").and_then(Value::as_object);
    let mut set = Vec::new();
    let fields = crate::upkeep::contract_fields(kind);
    for (k, v) in props.into_iter().flatten() {
        if k == "id" || COMPUTED.contains(&k.as_str()) {
            continue;
        }
        let value = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let key = if fields.iter().any(|f| f.eq_ignore_ascii_case(k)) {
            k.clone()
        } else {
            format!("attributes.{k}")
        };
        set.push((key, value));
    }
    let a = crate::upkeep::Amendment {
        set,
        geometry_file: None,
        geometry: feature.get("geometry").filter(|g| !g.is_null()).cloned(),
        reason: "replaced through OGC API - Features".into(),
        based_on,
    };
    let done = crate::shared::amend_or_flag(reg, actor, kind, id, &a).await?;
    Ok(done.version.unwrap_or(done.from_version))
}

/// Retires a record (kept in its history).
pub async fn delete(reg: &Registry, actor: &Actor, c: &Collection, id: &str, based_on: Option<u64>) -> AppResult<()> {
    let kind = record_kind(&c.layer).ok_or_else(|| AppError::Forbidden(format!("{} is computed, not edited", c.id)))?;
    let r = crate::upkeep::RetireRequest {
        reason: "deleted through OGC API - Features".into(),
        cascade: false,
        based_on,
    };
    crate::upkeep::retire(reg, actor, kind, id, &r).await?;
    Ok(())
}

/// Whether `actor` may create, replace and delete features of `c` (for `OPTIONS` / `Allow`).
pub fn may_write(actor: &Actor, c: &Collection) -> bool {
    record_kind(&c.layer).is_some() && actor.may(Act::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(x: f64, y: f64) -> Option<(f64, f64)> {
        Some((x, y))
    }

    #[test]
    fn gdal_dialect_parses() {
        let f = parse_filter(
            &Layer::Hazards,
            "((class = 'SHA') AND (recorded_date > '2024-01-03T')) AND (status ILIKE 'ACT%')",
            "cql-text",
            &ll,
        )
        .unwrap();
        let Filter::And(v) = f else { panic!("{f:?}") };
        assert_eq!(v.len(), 3);
        assert!(v.contains(&Filter::Like {
            property: "status".into(),
            pattern: "ACT%".into(),
            case_insensitive: true
        }));
        assert!(v.contains(&Filter::Compare {
            property: "recorded_date".into(),
            op: CmpOp::Gt,
            value: Literal::Date(NaiveDate::from_ymd_opt(2024, 1, 3).unwrap()),
            case_insensitive: false
        }));
    }

    #[test]
    fn unknown_properties_are_named() {
        let e = parse_filter(&Layer::Hazards, "colour = 'red'", "cql2-text", &ll).unwrap_err();
        assert_eq!(e, FilterError::UnknownProperty("colour".into()));
        let e = parse_filter(
            &Layer::Finds,
            r#"{"op":"=","args":[{"property":"klass"},"SHA"]}"#,
            "cql2-json",
            &ll,
        )
        .unwrap_err();
        assert_eq!(e, FilterError::UnknownProperty("klass".into()));
    }

    #[test]
    fn literals_take_the_field_type() {
        let f = parse_filter(&Layer::Accidents, "killed >= 2 AND 1 < injured", "cql2-text", &ll).unwrap();
        let Filter::And(v) = f else { panic!() };
        assert_eq!(
            v[1],
            Filter::Compare {
                property: "injured".into(),
                op: CmpOp::Gt,
                value: Literal::Integer(1),
                case_insensitive: false
            }
        );
        assert!(parse_filter(&Layer::Accidents, "killed = 'many'", "cql2-text", &ll).is_err());
    }

    #[test]
    fn datetime_intervals() {
        let f = datetime_filter(&Layer::Finds, "2024-01-01/..").unwrap().unwrap();
        assert!(matches!(f, Filter::And(ref v) if v.len() == 1));
        assert!(datetime_filter(&Layer::RiskCells, "2024-01-01").unwrap().is_none());
        assert!(datetime_filter(&Layer::Finds, "yesterday").is_err());
    }

    #[test]
    fn ilike_rewrite_keeps_quotes() {
        assert_eq!(
            rewrite_ilike("(name ILIKE 'it''s%') AND x = 'ILIKE'"),
            "(CASEI(name) LIKE CASEI('it''s%')) AND x = 'ILIKE'"
        );
    }
}
