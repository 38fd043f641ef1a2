//! Field-mapping profiles (TOML): another system's field names, code lists and date formats
//! mapped to the import contract, before validation.
//!
//! ```toml
//! name = "imsma-hazards"
//! kind = "hazards"                       # hazards | activities | finds | accidents
//! [fields]                               # contract field = source field
//! id = "hazard_localid"
//! class = "hazard_type"
//! [values.class]                         # code list: source value = contract value
//! "Suspected Hazardous Area" = "SHA"
//! [dates]                                # contract field = chrono format of the source
//! recorded_date = "%d/%m/%Y"
//! [defaults]                             # when the source value is missing
//! status = "active"
//! [constants]                            # always
//! organisation = "HALO Trust"
//! ```
//!
//! Source fields not named under `[fields]` are kept as free attributes. A mapping to a field
//! the contract does not have, a required field the profile leaves unmapped, a source value
//! outside a code list: each is an error naming the record, the source field and the line of
//! the profile.

use demine_io::raw::RawRecord;
use demine_io::Problem;
use serde_json::Value;
use std::collections::BTreeMap;
use toml::Spanned;

/// Profiles shipped with demine: (name, TOML).
pub const SHIPPED: &[(&str, &str)] = &[
    ("imsma-hazards", include_str!("../profiles/imsma-hazards.toml")),
    ("imsma-activities", include_str!("../profiles/imsma-activities.toml")),
    ("imsma-eo", include_str!("../profiles/imsma-eo.toml")),
    ("gichd-mdr-hazards", include_str!("../profiles/gichd-mdr-hazards.toml")),
];

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Option<String>,
    kind: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    values: BTreeMap<Spanned<String>, BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    dates: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    defaults: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    constants: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// A rule with the profile line it came from.
#[derive(Debug, Clone)]
struct Rule<T> {
    value: T,
    line: usize,
}

/// A checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Its name (or file).
    pub name: String,
    /// The record kind it maps to.
    pub kind: String,
    /// What it is for (and which of its names are verified or assumed).
    pub description: Option<String>,
    /// contract field → source field.
    fields: BTreeMap<String, Rule<String>>,
    /// contract field → (source value → contract value), the `[values.X]` line.
    values: BTreeMap<String, Rule<BTreeMap<String, String>>>,
    dates: BTreeMap<String, Rule<String>>,
    defaults: BTreeMap<String, Rule<Value>>,
    constants: BTreeMap<String, Rule<Value>>,
}

/// Contract fields per kind: (required, optional).
fn contract(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match kind {
        "hazards" => (
            &["id", "class"],
            &[
                "name",
                "status",
                "organisation",
                "land_use",
                "contamination",
                "recorded_date",
            ],
        ),
        "activities" => (
            &["id", "hazard_id", "type", "outcome", "start_date", "end_date"],
            &["organisation", "team", "method", "depth_cm"],
        ),
        "finds" => (
            &["id", "date", "category"],
            &["hazard_id", "activity_id", "depth_cm", "condition"],
        ),
        "accidents" => (&["id", "date", "killed", "injured"], &["hazard_id", "activity_id"]),
        _ => return None,
    })
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

fn json_of(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        other => Value::String(other.to_string()),
    }
}

impl Profile {
    /// Parses and checks a profile's TOML; `Err` lists every defect with its line.
    pub fn parse(name: &str, src: &str) -> Result<Profile, String> {
        let raw: Raw = toml::from_str(src).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(src, s.start));
            format!("line {line}: {}", e.message())
        })?;
        let mut errors = Vec::new();
        let kind = raw.kind.get_ref().clone();
        let Some((required, optional)) = contract(&kind) else {
            return Err(format!(
                "line {}: kind '{kind}' is not one of hazards, activities, finds, accidents",
                line_of(src, raw.kind.span().start)
            ));
        };
        let known = |f: &str| required.contains(&f) || optional.contains(&f);
        let all = || required.iter().chain(optional).copied().collect::<Vec<_>>().join(", ");
        let mut check = |field: &Spanned<String>, section: &str| {
            if !known(field.get_ref()) {
                errors.push(format!(
                    "line {}: [{section}] maps to `{}`, which is not a field of the {kind} import contract; fields: {}",
                    line_of(src, field.span().start),
                    field.get_ref(),
                    all()
                ));
            }
        };
        for k in raw.fields.keys() {
            check(k, "fields");
        }
        for k in raw.values.keys() {
            check(k, "values");
        }
        for k in raw.dates.keys() {
            check(k, "dates");
        }
        for k in raw.defaults.keys() {
            check(k, "defaults");
        }
        for k in raw.constants.keys() {
            check(k, "constants");
        }
        for (k, fmt) in &raw.dates {
            if chrono::NaiveDate::parse_from_str("2024-01-02", "%Y-%m-%d").is_ok()
                && chrono::format::StrftimeItems::new(fmt.get_ref()).any(|i| matches!(i, chrono::format::Item::Error))
            {
                errors.push(format!(
                    "line {}: [dates] {} = \"{}\" is not a valid date format (use %d/%m/%Y, %Y-%m-%d, …)",
                    line_of(src, fmt.span().start),
                    k.get_ref(),
                    fmt.get_ref()
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        let rule = |s: &std::ops::Range<usize>| line_of(src, s.start);
        Ok(Profile {
            name: raw.name.unwrap_or_else(|| name.to_string()),
            kind,
            description: raw.description.clone(),
            fields: raw
                .fields
                .iter()
                .map(|(k, v)| {
                    (
                        k.get_ref().clone(),
                        Rule {
                            value: v.get_ref().clone(),
                            line: rule(&v.span()),
                        },
                    )
                })
                .collect(),
            values: raw
                .values
                .iter()
                .map(|(k, m)| {
                    (
                        k.get_ref().clone(),
                        Rule {
                            value: m.iter().map(|(a, b)| (a.clone(), b.get_ref().clone())).collect(),
                            line: rule(&k.span()),
                        },
                    )
                })
                .collect(),
            dates: raw
                .dates
                .iter()
                .map(|(k, v)| {
                    (
                        k.get_ref().clone(),
                        Rule {
                            value: v.get_ref().clone(),
                            line: rule(&v.span()),
                        },
                    )
                })
                .collect(),
            defaults: raw
                .defaults
                .iter()
                .map(|(k, v)| {
                    (
                        k.get_ref().clone(),
                        Rule {
                            value: json_of(v.get_ref()),
                            line: rule(&v.span()),
                        },
                    )
                })
                .collect(),
            constants: raw
                .constants
                .iter()
                .map(|(k, v)| {
                    (
                        k.get_ref().clone(),
                        Rule {
                            value: json_of(v.get_ref()),
                            line: rule(&v.span()),
                        },
                    )
                })
                .collect(),
        })
    }

    /// How many contract fields `[fields]` maps.
    pub fn mapped_fields(&self) -> usize {
        self.fields.len()
    }

    /// The contract fields with a code list.
    pub fn code_lists(&self) -> Vec<String> {
        self.values.keys().cloned().collect()
    }

    /// A shipped profile by name, or a TOML file.
    pub fn load(name_or_file: &str) -> Result<Profile, String> {
        if let Some((n, src)) = SHIPPED.iter().find(|(n, _)| *n == name_or_file) {
            return Profile::parse(n, src);
        }
        let path = std::path::Path::new(name_or_file);
        if !path.exists() {
            return Err(format!(
                "no such profile file, and no shipped profile of that name; shipped: {}",
                SHIPPED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ));
        }
        let src = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        Profile::parse(name_or_file, &src)
    }

    /// Maps every record in place. Problems name the record, the source field and the line of
    /// the profile that applies.
    pub fn apply(&self, records: &mut [RawRecord]) -> Vec<Problem> {
        let mut problems = Vec::new();
        let (required, _) = contract(&self.kind).unwrap_or((&[], &[]));
        for r in records.iter_mut() {
            let mut out = serde_json::Map::new();
            let mut props = std::mem::take(&mut r.properties);
            let mut local = Vec::new();
            // Renames: take each mapped source field out.
            for (target, rule) in &self.fields {
                let key = props.keys().find(|k| k.eq_ignore_ascii_case(&rule.value)).cloned();
                if let Some(v) = key.and_then(|k| props.remove(&k)) {
                    out.insert(target.clone(), v);
                }
            }
            // Contract fields the source already names are kept unless a rename set them.
            for (k, v) in props {
                out.entry(k).or_insert(v);
            }
            for (target, rule) in &self.defaults {
                let missing = match out.get(target) {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.trim().is_empty(),
                    _ => false,
                };
                if missing {
                    out.insert(target.clone(), rule.value.clone());
                    let _ = rule.line;
                }
            }
            for (target, rule) in &self.constants {
                out.insert(target.clone(), rule.value.clone());
            }
            let source_of = |target: &str| {
                self.fields
                    .get(target)
                    .map_or_else(|| target.to_string(), |r| r.value.clone())
            };
            for (target, rule) in &self.values {
                let Some(v) = out.get(target).cloned() else { continue };
                let text = match &v {
                    Value::String(s) => s.trim().to_string(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                // A value already in the contract's spelling passes.
                if rule.value.values().any(|c| c == &text) {
                    continue;
                }
                match rule.value.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(&text)) {
                    Some((_, c)) => {
                        out.insert(target.clone(), Value::String(c.clone()));
                    }
                    None => local.push((
                        target.clone(),
                        format!(
                            "source field `{}` = '{text}' is not in the code list [values.{target}] of profile {} (line {}); known: {}",
                            source_of(target),
                            self.name,
                            rule.line,
                            rule.value.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )),
                }
            }
            for (target, rule) in &self.dates {
                let Some(Value::String(s)) = out.get(target).cloned() else {
                    continue;
                };
                let t = s.trim();
                if chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok() {
                    continue;
                }
                match chrono::NaiveDate::parse_from_str(t, &rule.value)
                    .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, &rule.value).map(|d| d.date()))
                {
                    Ok(d) => {
                        out.insert(target.clone(), Value::String(d.format("%Y-%m-%d").to_string()));
                    }
                    Err(_) => local.push((
                        target.clone(),
                        format!(
                            "source field `{}` = '{t}' does not match the date format \"{}\" of profile {} (line {})",
                            source_of(target),
                            rule.value,
                            self.name,
                            rule.line
                        ),
                    )),
                }
            }
            for req in required {
                let present = match out.get(*req) {
                    None | Some(Value::Null) => false,
                    Some(Value::String(s)) => !s.trim().is_empty(),
                    _ => true,
                };
                if present {
                    continue;
                }
                let msg = match self.fields.get(*req) {
                    Some(rule) => format!(
                        "required field `{req}`: source field `{}` (mapped at line {} of profile {}) is missing or empty",
                        rule.value, rule.line, self.name
                    ),
                    None => format!(
                        "required field `{req}` is not mapped by profile {}: add `{req} = \"SOURCE FIELD\"` under [fields], or a [defaults]/[constants] value",
                        self.name
                    ),
                };
                local.push(((*req).to_string(), msg));
            }
            r.properties = out;
            for (field, message) in local {
                problems.push(crate::problem(r, &field, message));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demine_io::raw::RawGeometry;

    fn rec(props: Value) -> RawRecord {
        RawRecord {
            index: 1,
            line: None,
            properties: props.as_object().unwrap().clone(),
            geometry: RawGeometry::Missing,
        }
    }

    #[test]
    fn shipped_profiles_are_valid() {
        for (n, src) in SHIPPED {
            Profile::parse(n, src).unwrap_or_else(|e| panic!("{n}: {e}"));
        }
    }

    #[test]
    fn renames_code_lists_dates_defaults_and_constants() {
        let p = Profile::parse(
            "t",
            "kind = \"hazards\"\n[fields]\nid = \"HAZ_ID\"\nclass = \"Type\"\nrecorded_date = \"Reported\"\n[values.class]\n\"Suspected Hazardous Area\" = \"SHA\"\n[dates]\nrecorded_date = \"%d/%m/%Y\"\n[defaults]\nstatus = \"active\"\n[constants]\norganisation = \"ORG\"\n",
        )
        .unwrap();
        let mut rs = vec![rec(
            serde_json::json!({"HAZ_ID": "H9", "Type": "suspected hazardous area", "Reported": "05/03/2024", "Village": "Х"}),
        )];
        assert!(p.apply(&mut rs).is_empty());
        let got = &rs[0].properties;
        assert_eq!(got["id"], "H9");
        assert_eq!(got["class"], "SHA");
        assert_eq!(got["recorded_date"], "2024-03-05");
        assert_eq!(got["status"], "active");
        assert_eq!(got["organisation"], "ORG");
        assert_eq!(got["Village"], "Х");
    }

    #[test]
    fn errors_name_record_source_field_and_line() {
        let p = Profile::parse("t", "kind = \"hazards\"\n[fields]\nid = \"HAZ_ID\"\nclass = \"Type\"\n[values.class]\n\"Suspected\" = \"SHA\"\n").unwrap();
        let mut rs = vec![rec(serde_json::json!({"HAZ_ID": "H9", "Type": "Maybe"}))];
        let probs = p.apply(&mut rs);
        assert_eq!(probs.len(), 1);
        assert_eq!(
            (probs[0].index, probs[0].field.as_str(), probs[0].id.as_deref()),
            (1, "class", Some("H9"))
        );
        assert!(
            probs[0].message.contains("source field `Type` = 'Maybe'") && probs[0].message.contains("line 5"),
            "{}",
            probs[0].message
        );
        let mut rs = vec![rec(serde_json::json!({"HAZ_ID": "H9"}))];
        let probs = p.apply(&mut rs);
        assert!(
            probs[0].message.contains("source field `Type` (mapped at line 4"),
            "{}",
            probs[0].message
        );
        let e = Profile::parse("t", "kind = \"hazards\"\n[fields]\nid = \"A\"\nhazard_klass = \"B\"\n").unwrap_err();
        assert!(e.contains("line 4") && e.contains("`hazard_klass`"), "{e}");
        assert!(Profile::parse("t", "kind = \"hazards\"\n[fieldz]\n")
            .unwrap_err()
            .contains("line 2"));
    }
}
