//! Tabular cells: one row per cell, numeric features, an optional label and an optional group.
//!
//! [`read_csv`] turns a CSV into a [`Dataset`]:
//! - the **label** column holds 1/0 (also `true`/`false`, `yes`/`no`, `1.0`/`0.0`, any case);
//!   empty (or `NA`) means unlabelled;
//! - the **group** column holds any string (a municipality, an H3 parent cell…): rows of one
//!   group always fall in the same cross-validation fold;
//! - columns named in `exclude` are left out;
//! - every other column whose non-empty cells all parse as numbers is a **feature**; empty cells,
//!   `NA` and `null` are missing values (NaN), and so are `NaN`/`inf` texts, which are counted and
//!   reported; a column with any other text is ignored and listed with the line that made it so.
//!
//! - the delimiter is read from the header line: comma, semicolon or tab, whichever it holds most
//!   of outside quotes; in a semicolon file a decimal comma (`0,25`, as spreadsheets in much of
//!   Europe and Latin America write it) is read as a decimal point, and so in a comma file whose
//!   quoted numbers have them (`"0,25"`, LibreOffice set to Ukrainian), told by the numbers of
//!   the file's first 64 KiB together ([`file_has_decimal_commas`]).
//!
//! Errors name the file and the column or line: see [`crate::RiskError`].

use crate::{Result, RiskError};
use demine_core::spreadsheet::{file_has_decimal_commas, parse_number, sniff_delimiter};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Cells as columns of numbers, with labels and groups. Missing feature values are NaN.
#[derive(Debug, Clone)]
pub struct Dataset {
    name: String,
    label_name: String,
    feature_names: Vec<String>,
    columns: Vec<Vec<f64>>,
    labels: Vec<Option<bool>>,
    group_ids: Vec<u32>,
    group_names: Vec<String>,
    has_groups: bool,
}

impl Dataset {
    /// A data set from columns (`columns[j][i]` is feature `j` of row `i`; NaN = missing), labels
    /// (`None` = unlabelled) and group names (empty = no groups: each row is its own group).
    ///
    /// Fails if the lengths differ or a feature name repeats.
    pub fn new(
        feature_names: Vec<String>,
        columns: Vec<Vec<f64>>,
        labels: Vec<Option<bool>>,
        groups: Vec<String>,
    ) -> Result<Dataset> {
        let n = labels.len();
        if feature_names.len() != columns.len() {
            return Err(RiskError::Invalid(format!(
                "{} feature names for {} columns",
                feature_names.len(),
                columns.len()
            )));
        }
        if let Some((j, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(RiskError::Invalid(format!(
                "feature '{}' has {} values for {n} rows",
                feature_names[j],
                c.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = feature_names.iter().find(|f| !seen.insert(f.as_str())) {
            return Err(RiskError::Invalid(format!("feature '{dup}' appears twice")));
        }
        if !groups.is_empty() && groups.len() != n {
            return Err(RiskError::Invalid(format!("{} groups for {n} rows", groups.len())));
        }
        let mut ds = Dataset {
            name: "data".into(),
            label_name: "label".into(),
            feature_names,
            columns,
            labels,
            group_ids: Vec::new(),
            group_names: Vec::new(),
            has_groups: !groups.is_empty(),
        };
        if ds.has_groups {
            let mut index: HashMap<String, u32> = HashMap::new();
            for g in groups {
                let next = ds.group_names.len() as u32;
                let id = *index.entry(g.clone()).or_insert_with(|| {
                    ds.group_names.push(g);
                    next
                });
                ds.group_ids.push(id);
            }
        } else {
            ds.group_ids = (0..n as u32).collect();
        }
        Ok(ds)
    }

    /// Names the data set (a file path) and its label column, for messages.
    pub fn with_names(mut self, name: impl Into<String>, label_name: impl Into<String>) -> Dataset {
        self.name = name.into();
        self.label_name = label_name.into();
        self
    }

    /// The data set's name (the file it came from), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label column's name, for messages.
    pub fn label_name(&self) -> &str {
        &self.label_name
    }

    /// Number of rows (labelled or not).
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// Feature names, in column order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Feature column `j` (NaN = missing).
    pub fn column(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    /// The feature column with this name, if any.
    pub fn column_by_name(&self, name: &str) -> Option<&[f64]> {
        self.feature_names
            .iter()
            .position(|f| f == name)
            .map(|j| self.columns[j].as_slice())
    }

    /// Columns for the given feature names, in that order, or an error naming every missing one.
    pub fn columns_for(&self, names: &[String]) -> Result<Vec<&[f64]>> {
        let mut out = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        for n in names {
            match self.column_by_name(n) {
                Some(c) => out.push(c),
                None => missing.push(n.clone()),
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(RiskError::MissingFeatures {
                source_name: self.name.clone(),
                missing,
            })
        }
    }

    /// Labels (`None` = unlabelled).
    pub fn labels(&self) -> &[Option<bool>] {
        &self.labels
    }

    /// (positives, negatives) among labelled rows.
    pub fn class_counts(&self) -> (usize, usize) {
        let p = self.labels.iter().filter(|l| **l == Some(true)).count();
        let n = self.labels.iter().filter(|l| **l == Some(false)).count();
        (p, n)
    }

    /// Indices of labelled rows, ascending.
    pub fn labelled_rows(&self) -> Vec<usize> {
        (0..self.n_rows()).filter(|&i| self.labels[i].is_some()).collect()
    }

    /// Whether the rows carry real groups (otherwise each row is its own group).
    pub fn has_groups(&self) -> bool {
        self.has_groups
    }

    /// Group id of each row (an index into [`Dataset::group_names`] when [`Dataset::has_groups`]).
    pub fn group_ids(&self) -> &[u32] {
        &self.group_ids
    }

    /// Group names, indexed by group id (empty without groups).
    pub fn group_names(&self) -> &[String] {
        &self.group_names
    }

    /// The name of row `i`'s group (its row number without groups).
    pub fn group_name(&self, i: usize) -> String {
        if self.has_groups {
            self.group_names[self.group_ids[i] as usize].clone()
        } else {
            i.to_string()
        }
    }

    /// A new data set holding the given rows, in that order (groups keep their names).
    pub fn subset(&self, rows: &[usize]) -> Dataset {
        Dataset {
            name: self.name.clone(),
            label_name: self.label_name.clone(),
            feature_names: self.feature_names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| rows.iter().map(|&i| c[i]).collect())
                .collect(),
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
            group_ids: rows.iter().map(|&i| self.group_ids[i]).collect(),
            group_names: self.group_names.clone(),
            has_groups: self.has_groups,
        }
    }
}

/// What to read from a CSV.
#[derive(Debug, Clone, Default)]
pub struct CsvSpec {
    /// The label column; `None` reads no labels (scoring).
    pub label: Option<String>,
    /// The group column; `None` = no groups.
    pub group: Option<String>,
    /// Columns that are neither features nor label nor group (ids, coordinates…).
    pub exclude: Vec<String>,
}

/// A column that is not a feature, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IgnoredColumn {
    /// Column name.
    pub name: String,
    /// Why it is not a feature, e.g. "not numeric: line 7 holds 'forest'".
    pub reason: String,
}

impl fmt::Display for IgnoredColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.reason)
    }
}

/// What [`read_csv`] found, for the user.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReadReport {
    /// Data rows.
    pub rows: usize,
    /// Rows with a label.
    pub labelled: usize,
    /// Rows labelled positive.
    pub positives: usize,
    /// Distinct groups (0 without a group column).
    pub groups: usize,
    /// Feature columns, in file order.
    pub features: Vec<String>,
    /// Columns that are not features (excluded columns are not listed).
    pub ignored: Vec<IgnoredColumn>,
    /// Per feature with any: how many cells were `NaN`/`inf` text (treated as missing).
    pub non_finite: Vec<(String, usize)>,
    /// Per feature with any: how many cells are missing in all (empty, `NA`, `NaN`, `inf`).
    pub missing: Vec<(String, usize)>,
}

impl ReadReport {
    /// Human-readable notes: ignored columns and non-finite values.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for c in &self.ignored {
            notes.push(format!("column {c} is not a feature"));
        }
        for (name, n) in &self.non_finite {
            notes.push(format!(
                "feature '{name}': {n} NaN/infinite value(s) treated as missing"
            ));
        }
        notes
    }
}

/// Texts that mean "missing" in a feature or label cell.
fn is_missing_token(s: &str) -> bool {
    s.is_empty()
        || matches!(
            s,
            "NA" | "N/A" | "na" | "n/a" | "null" | "NULL" | "Null" | "None" | "none" | "-"
        )
}

/// Parses a label: `Ok(None)` for unlabelled, `Err(())` for anything else that is not a label.
fn parse_label(s: &str) -> std::result::Result<Option<bool>, ()> {
    if is_missing_token(s) {
        return Ok(None);
    }
    match s.to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" | "yes" | "y" | "t" => Ok(Some(true)),
        "0" | "0.0" | "false" | "no" | "n" | "f" => Ok(Some(false)),
        _ => Err(()),
    }
}

enum ColState {
    Numeric {
        values: Vec<f64>,
        non_finite: usize,
        missing: usize,
    },
    Text {
        line: u64,
        value: String,
    },
}

/// Reads cells from a CSV file (header on the first line). See the module doc for the rules.
pub fn read_csv(path: &Path, spec: &CsvSpec) -> Result<(Dataset, ReadReport)> {
    let file = std::fs::File::open(path).map_err(|e| RiskError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    read_csv_from(std::io::BufReader::new(file), path, spec)
}

/// Reads cells from any reader; `path` is only used in messages.
pub fn read_csv_from<R: std::io::Read>(reader: R, path: &Path, spec: &CsvSpec) -> Result<(Dataset, ReadReport)> {
    read_csv_from_with(reader, path, spec, None)
}

/// [`read_csv`] where the label value `unlabelled_value` (e.g. `-1`, scikit-learn's convention)
/// also marks an unlabelled row, besides an empty cell or `NA`.
pub fn read_csv_with(path: &Path, spec: &CsvSpec, unlabelled_value: Option<&str>) -> Result<(Dataset, ReadReport)> {
    let file = std::fs::File::open(path).map_err(|e| RiskError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    read_csv_from_with(std::io::BufReader::new(file), path, spec, unlabelled_value)
}

/// [`read_csv_from`] with an extra value meaning "unlabelled" ([`read_csv_with`]).
pub fn read_csv_from_with<R: std::io::Read>(
    reader: R,
    path: &Path,
    spec: &CsvSpec,
    unlabelled_value: Option<&str>,
) -> Result<(Dataset, ReadReport)> {
    use std::io::BufRead;
    let pb: PathBuf = path.to_path_buf();
    let mut buffered = std::io::BufReader::with_capacity(64 * 1024, reader);
    // The start of the file, not consumed: the delimiter is the one its lines agree on.
    let sample = buffered.fill_buf().map_err(|e| RiskError::Io {
        path: pb.clone(),
        message: e.to_string(),
    })?;
    let delimiter = sniff_delimiter(sample);
    // A comma file's quoted numbers may have decimal commas too (`"0,25"`, LibreOffice set to
    // Ukrainian), told by the numbers of the sample's whole lines.
    let decimal_comma = delimiter == b';' || file_has_decimal_commas(sample, delimiter, false);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(buffered);
    let csv_err = |e: csv::Error, pb: &PathBuf| RiskError::Csv {
        path: pb.clone(),
        line: e.position().map(|p| p.line()).unwrap_or(1),
        message: e.to_string(),
    };
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_err(e, &pb))?
        .iter()
        .map(|h| h.to_string())
        .collect();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(RiskError::NoRows { path: pb });
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = headers.iter().find(|h| !seen.insert(h.as_str())) {
        return Err(RiskError::DuplicateColumn {
            path: pb,
            name: dup.clone(),
        });
    }
    let find = |role: &str, name: &str| -> Result<usize> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| RiskError::MissingColumn {
                path: pb.clone(),
                role: role.into(),
                name: name.into(),
                available: headers.clone(),
            })
    };
    let label_col = spec.label.as_deref().map(|l| find("label", l)).transpose()?;
    let group_col = spec.group.as_deref().map(|g| find("group", g)).transpose()?;
    let mut excluded = vec![false; headers.len()];
    for e in &spec.exclude {
        excluded[find("--exclude", e)?] = true;
    }
    let candidate: Vec<usize> = (0..headers.len())
        .filter(|&j| Some(j) != label_col && Some(j) != group_col && !excluded[j])
        .collect();
    let mut states: Vec<ColState> = candidate
        .iter()
        .map(|_| ColState::Numeric {
            values: Vec::new(),
            non_finite: 0,
            missing: 0,
        })
        .collect();
    let mut labels: Vec<Option<bool>> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(e, &pb)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if let Some(lc) = label_col {
            let v = record.get(lc).unwrap_or("");
            let unlabelled = unlabelled_value.is_some_and(|u| v.trim() == u.trim());
            let l = if unlabelled { Ok(None) } else { parse_label(v) };
            let l = l.map_err(|_| RiskError::BadLabel {
                path: pb.clone(),
                column: headers[lc].clone(),
                line,
                value: v.to_string(),
            })?;
            labels.push(l);
        } else {
            labels.push(None);
        }
        if let Some(gc) = group_col {
            groups.push(record.get(gc).unwrap_or("").to_string());
        }
        for (k, &j) in candidate.iter().enumerate() {
            if let ColState::Numeric {
                values,
                non_finite,
                missing,
            } = &mut states[k]
            {
                let s = record.get(j).unwrap_or("");
                if is_missing_token(s) {
                    values.push(f64::NAN);
                    *missing += 1;
                } else {
                    match parse_number(s, decimal_comma) {
                        Ok(v) if v.is_finite() => values.push(v),
                        Ok(_) => {
                            values.push(f64::NAN);
                            *non_finite += 1;
                            *missing += 1;
                        }
                        Err(_) => {
                            states[k] = ColState::Text {
                                line,
                                value: s.to_string(),
                            }
                        }
                    }
                }
            }
        }
    }
    let rows = labels.len();
    if rows == 0 {
        return Err(RiskError::NoRows { path: pb });
    }
    let positives = labels.iter().filter(|l| **l == Some(true)).count();
    let labelled = labels.iter().filter(|l| l.is_some()).count();
    if let Some(lc) = label_col {
        if positives == 0 || positives == labelled {
            return Err(RiskError::SingleClass {
                path: pb,
                column: headers[lc].clone(),
                labelled,
                positives,
                negatives: labelled - positives,
            });
        }
    }
    let mut report = ReadReport {
        rows,
        labelled,
        positives,
        ..Default::default()
    };
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for (k, state) in states.into_iter().enumerate() {
        let name = headers[candidate[k]].clone();
        match state {
            ColState::Text { line, value } => report.ignored.push(IgnoredColumn {
                name,
                reason: format!("not numeric: line {line} holds '{value}'"),
            }),
            ColState::Numeric {
                values,
                non_finite,
                missing,
            } => {
                if missing == rows {
                    report.ignored.push(IgnoredColumn {
                        name,
                        reason: if non_finite > 0 {
                            "no finite value".into()
                        } else {
                            "empty: no value".into()
                        },
                    });
                    continue;
                }
                if non_finite > 0 {
                    report.non_finite.push((name.clone(), non_finite));
                }
                if missing > 0 {
                    report.missing.push((name.clone(), missing));
                }
                names.push(name);
                columns.push(values);
            }
        }
    }
    if names.is_empty() {
        return Err(RiskError::NoFeatures {
            path: pb,
            ignored: report.ignored,
        });
    }
    report.features = names.clone();
    let label_name = label_col.map(|c| headers[c].clone()).unwrap_or_else(|| "label".into());
    let ds = Dataset::new(names, columns, labels, groups)?.with_names(pb.display().to_string(), label_name);
    report.groups = ds.group_names().len();
    Ok((ds, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, spec: &CsvSpec) -> Result<(Dataset, ReadReport)> {
        read_csv_from(text.as_bytes(), Path::new("cells.csv"), spec)
    }

    fn spec(label: &str, group: &str) -> CsvSpec {
        CsvSpec {
            label: Some(label.into()),
            group: Some(group.into()),
            exclude: vec![],
        }
    }

    #[test]
    fn reads_features_labels_groups_and_notes() {
        let text = "id,y,g,a,b,name\n1,1,m1,0.5,,forest\n2,0,m1,1.5,NaN,road\n3,,m2,2,inf,x\n\
                    4,no,m2,3,4,y\n5,TRUE,m3,1e3,5,z\n";
        let s = CsvSpec {
            exclude: vec!["id".into()],
            ..spec("y", "g")
        };
        let (ds, rep) = read(text, &s).unwrap();
        assert_eq!(ds.feature_names(), ["a", "b"]);
        assert_eq!(ds.labels(), [Some(true), Some(false), None, Some(false), Some(true)]);
        assert_eq!(rep.rows, 5);
        assert_eq!(rep.labelled, 4);
        assert_eq!(rep.positives, 2);
        assert_eq!(rep.groups, 3);
        assert_eq!(rep.ignored.len(), 1);
        assert_eq!(rep.ignored[0].name, "name");
        assert!(rep.ignored[0].reason.contains("line 2"), "{:?}", rep.ignored);
        assert_eq!(rep.non_finite, vec![("b".to_string(), 2)]);
        assert_eq!(rep.missing, vec![("b".to_string(), 3)]);
        assert!(ds.column(1)[0].is_nan() && ds.column(1)[2].is_nan());
        assert_eq!(ds.column(0)[4], 1000.0);
        assert_eq!(ds.group_name(3), "m2");
        assert!(rep.notes().iter().any(|n| n.contains("2 NaN/infinite")));
    }

    #[test]
    fn semicolon_and_tab_files_with_decimal_commas() {
        // A spreadsheet export from a locale that writes decimal commas, and a BOM.
        let semi = "\u{feff}id;y;g;dist_road_m;share\n1;1;m1;120,5;0,25\n2;0;m2;80;1\n3;0;m2;;0,5\n";
        let (ds, rep) = read(
            semi,
            &CsvSpec {
                exclude: vec!["id".into()],
                ..spec("y", "g")
            },
        )
        .unwrap();
        assert_eq!(ds.feature_names(), ["dist_road_m", "share"]);
        assert_eq!(ds.column(0)[0], 120.5);
        assert!(ds.column(0)[2].is_nan());
        assert_eq!(ds.column(1), [0.25, 1.0, 0.5]);
        assert_eq!(rep.groups, 2);
        let tab = "id\ty\tg\ta\n1\t1\tm1\t0.5\n2\t0\tm2\t1.5\n";
        let (ds, _) = read(
            tab,
            &CsvSpec {
                exclude: vec!["id".into()],
                ..spec("y", "g")
            },
        )
        .unwrap();
        assert_eq!(ds.column(0), [0.5, 1.5]);
        // A comma file with decimal commas quoted (LibreOffice set to Ukrainian) reads as its
        // semicolon twin; where every comma can group thousands it groups them.
        let (ds, rep) = read("y,g,a,b\n1,m1,\"1,5\",1\n0,m2,2,\"0,25\"\n", &spec("y", "g")).unwrap();
        assert_eq!(ds.feature_names(), ["a", "b"]);
        assert_eq!(
            (ds.column(0), ds.column(1)),
            ([1.5, 2.0].as_slice(), [1.0, 0.25].as_slice())
        );
        assert!(rep.ignored.is_empty());
        let (ds, _) = read("y,g,a\n1,m1,\"1,500\"\n0,m2,2\n", &spec("y", "g")).unwrap();
        assert_eq!(ds.column(0), [1500.0, 2.0]);
        // A comma that is neither is text: the column is ignored, and said so.
        let (ds, rep) = read("y,g,a,b\n1,m1,\"1,5.5\",1\n0,m2,2,2\n", &spec("y", "g")).unwrap();
        assert_eq!(ds.feature_names(), ["b"]);
        assert_eq!(rep.ignored[0].name, "a");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = read("a,b\n1,2\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("no label column 'y'") && e.contains("cells.csv"), "{e}");
        let e = read("y,b\n1,2\n0,3\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("no group column 'g'"), "{e}");
        let e = read("y,g,b\n1,a,2\n1,b,3\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("single class") && e.contains("'y'"), "{e}");
        let e = read("y,g,b\n1,a,2\nmaybe,b,3\n", &spec("y", "g"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("'maybe'"), "{e}");
        let e = read("y,g,b\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("no data rows"), "{e}");
        let e = read("y,g,b\n1,a,x\n0,b,y\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("no numeric feature") && e.contains("b (not numeric"), "{e}");
        let e = read("y,g,b,b\n1,a,1,2\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("appears twice"), "{e}");
        let s = CsvSpec {
            exclude: vec!["zz".into()],
            ..spec("y", "g")
        };
        let e = read("y,g,b\n1,a,2\n0,b,3\n", &s).unwrap_err().to_string();
        assert!(e.contains("no --exclude column 'zz'"), "{e}");
        let e = read("y,g,b\n1,a,2\n0,b\n", &spec("y", "g")).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("malformed"), "{e}");
    }

    #[test]
    fn columns_for_names_missing_features() {
        let ds = Dataset::new(vec!["a".into()], vec![vec![1.0]], vec![None], vec![]).unwrap();
        let e = ds
            .columns_for(&["a".into(), "b".into(), "c".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("b, c"), "{e}");
    }
}
