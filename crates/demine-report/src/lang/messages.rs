//! The Ukrainian of the messages the engines and use cases write in English: errors, warnings,
//! notes and hints, each naming the file or request, the record, the field and the problem.
//!
//! The code keeps its messages in English (logs, JSON and tests read them as they are); what a
//! person reads is translated at the edge, by the command line (`--lang uk`) and the server
//! (`Accept-Language: uk`), with [`tr_message`]. A message is a tree of templates: an import
//! wraps a validation's problem in its file and record (`h.geojson: record 2, id 'H2': polygon
//! 1, exterior ring: self-intersection at …`), so a template's `{}` may hold another message.
//! [`tr_message`] matches the whole text against the tables' templates (the most specific
//! first), translates each figure the same way (a file name or an id matches nothing and stays
//! as it is). What no template matches is split after an unknown location (`somewhere: `),
//! then at `; `, so an unknown location before a known problem still reads in Ukrainian. What
//! matches nothing stays in English.
//!
//! The tables, one per part of the code, hold each message as its `format!` writes it with
//! every placeholder as `{}`; the Ukrainian fills them in order, or in the order `{0}`, `{1}`…
//! say when the sentence needs another.

mod app;
mod engines;
mod records;
mod server;

use super::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Every table of messages, with the engines' notes.
fn entries() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    records::UK
        .iter()
        .chain(app::UK)
        .chain(engines::UK)
        .chain(server::UK)
        .chain(super::notes::UK_NOTES)
}

/// Every entry of the message tables, for tests.
#[cfg(test)]
fn uk_message_entries() -> Vec<(&'static str, &'static str)> {
    entries().copied().collect()
}

struct Tables {
    exact: HashMap<&'static str, &'static str>,
    /// Templates with `{}`, split at them, the most literal text first.
    templates: Vec<(Vec<&'static str>, &'static str)>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut exact = HashMap::new();
        let mut templates = Vec::new();
        for &(en, uk) in entries() {
            if en.contains("{}") {
                templates.push((en.split("{}").collect::<Vec<_>>(), uk));
            } else {
                exact.insert(en, uk);
            }
        }
        templates.sort_by_key(|(parts, _): &(Vec<&str>, &str)| {
            std::cmp::Reverse(parts.iter().map(|p| p.chars().count()).sum::<usize>())
        });
        Tables { exact, templates }
    })
}

/// `message` in `lang`: every part the tables know, translated, with its figures (names, ids,
/// numbers, paths) kept, a figure written as Ukrainian writes it (`797 383`, `50,0`) unless it
/// is a command-line option's value, which stays as it is typed; what they do not know stays as
/// it is.
///
/// ```
/// use demine_report::lang::{tr_message, Lang};
/// let m = "no teams: give --teams FILE";
/// assert_eq!(tr_message(Lang::En, m), m);
/// assert_eq!(tr_message(Lang::Uk, "a message no table knows"), "a message no table knows");
/// let overlap = "overlaps hazard B by 797,383 m² (50.0 % of A): the same land recorded twice? National totals count it once";
/// assert!(tr_message(Lang::Uk, overlap).starts_with("перекриває ділянку B на 797\u{a0}383 м² (50,0 % від A)"));
/// let runs = tr_message(Lang::Uk, "--runs 0.5: give a whole number of runs");
/// assert!(runs.starts_with("--runs 0.5"), "{runs}");
/// ```
pub fn tr_message(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    let mut memo = Memo::default();
    translate(message, 0, &mut memo).unwrap_or_else(|| message.to_string())
}

/// Recursion stops here: a message nests a handful of templates at most.
const MAX_DEPTH: usize = 8;

/// A part longer than this is not tried after each `: ` (a message is a sentence or two; a
/// long text, such as an echoed record, would only cost time).
const MAX_SPLIT_CHARS: usize = 1_000;

/// The `: ` tried, from the left, as the end of an unknown location.
const MAX_LOCATION_PARTS: usize = 6;

/// What each piece of one message translated to, by where it lies in the message:
/// every piece is a slice of the message, and without this the tries after each `: ` grow
/// exponentially with their number (an id of 30 `a: ` took hours).
type Memo = std::collections::HashMap<(usize, usize), Option<String>>;

fn translate(text: &str, depth: usize, memo: &mut Memo) -> Option<String> {
    if depth > MAX_DEPTH || text.trim().is_empty() {
        return None;
    }
    let key = (text.as_ptr() as usize, text.len());
    if let Some(known) = memo.get(&key) {
        return known.clone();
    }
    let translated = translate_anew(text, depth, memo);
    memo.insert(key, translated.clone());
    translated
}

fn translate_anew(text: &str, depth: usize, memo: &mut Memo) -> Option<String> {
    let t = tables();
    if let Some(uk) = t.exact.get(text) {
        return Some(uk.to_string());
    }
    if let Some(parts) = split_translating(text, "\n", depth, memo) {
        return Some(parts);
    }
    for (parts, uk) in &t.templates {
        if let Some(figures) = figures_of(parts, text) {
            let figures: Vec<String> = figures
                .into_iter()
                .map(|f| translate(f, depth + 1, memo).unwrap_or_else(|| super::localised_figure_of(Lang::Uk, text, f)))
                .collect();
            return Some(fill_ordered(uk, &figures));
        }
    }
    // An unknown location before a known message: `somewhere: the problem; what to do`. A
    // location has a few parts (file, record, field); more `: ` are inside a value.
    let splits = text.match_indices(": ").map(|(at, _)| at).take(MAX_LOCATION_PARTS);
    for at in splits.filter(|_| text.len() <= MAX_SPLIT_CHARS) {
        if let Some(rest) = translate(&text[at + 2..], depth + 1, memo) {
            let head = &text[..at];
            let head = translate(head, depth + 1, memo).unwrap_or_else(|| head.to_string());
            return Some(format!("{head}: {rest}"));
        }
    }
    split_translating(text, "; ", depth, memo)
}

/// `text` split at `separator`, each part translated where it can be; `None` when there is
/// one part or none of them translates.
fn split_translating(text: &str, separator: &str, depth: usize, memo: &mut Memo) -> Option<String> {
    if !text.contains(separator) {
        return None;
    }
    let mut any = false;
    let parts: Vec<String> = text
        .split(separator)
        .map(|p| match translate(p, depth + 1, memo) {
            Some(t) => {
                any = true;
                t
            }
            None => p.to_string(),
        })
        .collect();
    any.then(|| parts.join(separator))
}

/// The figures that fill the template split at its `{}` (`parts`) to make `text`, each
/// non-empty; the first way that fits, trying each place a literal part stands.
fn figures_of<'t>(parts: &[&str], text: &'t str) -> Option<Vec<&'t str>> {
    let (first, rest) = parts.split_first()?;
    let after = text.strip_prefix(first)?;
    let mut figures = Vec::with_capacity(rest.len());
    let mut budget = MAX_MATCH_STEPS;
    fill_figures(rest, after, &mut figures, &mut budget).then_some(figures)
}

/// Places tried per template and message: a template whose literal recurs in a long text would
/// otherwise try every combination of them.
const MAX_MATCH_STEPS: usize = 10_000;

/// Backtracking: `literals` are the parts after each `{}`; the last must end `text`.
fn fill_figures<'t>(literals: &[&str], text: &'t str, figures: &mut Vec<&'t str>, budget: &mut usize) -> bool {
    let Some((literal, rest)) = literals.split_first() else {
        return text.is_empty();
    };
    if rest.is_empty() {
        return match text.strip_suffix(literal) {
            Some(figure) if !figure.is_empty() => {
                figures.push(figure);
                true
            }
            _ => false,
        };
    }
    if literal.is_empty() {
        // Two `{}` side by side: nothing tells them apart.
        return false;
    }
    // A figure is never empty: the literal is looked for after the figure's first character
    // (its first byte may not end one: a Cyrillic column name).
    let mut from = text.chars().next().map_or(1, char::len_utf8);
    while from <= text.len() {
        let Some(at) = text.get(from..).and_then(|s| s.find(literal)).map(|i| from + i) else {
            return false;
        };
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        figures.push(&text[..at]);
        if fill_figures(rest, &text[at + literal.len()..], figures, budget) {
            return true;
        }
        figures.pop();
        from = at + 1;
        while from < text.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// `template` with its `{}` filled in order, or its `{0}`, `{1}`… by index.
fn fill_ordered(template: &str, figures: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + figures.iter().map(String::len).sum::<usize>());
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let index = close.and_then(|c| {
            let inside = &after[..c];
            if inside.is_empty() {
                next += 1;
                Some(next - 1)
            } else {
                inside.parse::<usize>().ok()
            }
        });
        match (index, close) {
            (Some(i), Some(c)) if i < figures.len() => {
                out.push_str(&figures[i]);
                rest = &after[c + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{}` and `{N}` a template fills, for tests: how many figures it takes.
#[cfg(test)]
fn figure_slots(template: &str) -> usize {
    let mut n = 0;
    let mut highest = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(c) if after[..c].is_empty() => {
                n += 1;
                rest = &after[c + 1..];
            }
            Some(c) if after[..c].parse::<usize>().is_ok() => {
                highest = highest.max(after[..c].parse::<usize>().unwrap_or(0) + 1);
                rest = &after[c + 1..];
            }
            _ => rest = after,
        }
    }
    n.max(highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_found_by_backtracking() {
        let parts: Vec<&str> = "{}: record {}: {}".split("{}").collect();
        assert_eq!(
            figures_of(&parts, "a: b.csv: record 3: x: y"),
            Some(vec!["a: b.csv", "3", "x: y"])
        );
        let parts: Vec<&str> = "between {} and {} m".split("{}").collect();
        assert_eq!(
            figures_of(&parts, "between 1 and 2 and 3 m"),
            Some(vec!["1", "2 and 3"])
        );
        assert_eq!(figures_of(&parts, "between  and 3 m"), None);
        // A figure that starts with a character of more than one byte.
        let parts: Vec<&str> = "{}: column '{}': {}".split("{}").collect();
        assert_eq!(
            figures_of(&parts, "f.csv: column 'Площа': порожнє"),
            Some(vec!["f.csv", "Площа", "порожнє"])
        );
        let parts: Vec<&str> = "exact".split("{}").collect();
        assert_eq!(figures_of(&parts, "exact"), Some(vec![]));
        assert_eq!(figures_of(&parts, "exactly"), None);
    }

    /// A message with many `: ` (an id or a value that holds them) translates in time: every
    /// piece is tried once. Each two more `: ` doubled the time; 30 took hours.
    #[test]
    fn many_separators_are_tried_once_each() {
        let id: String = (0..200).map(|i| format!("a{i}: ")).collect();
        let message =
            format!("h.csv: record 1, id '{id}', field `class`: 'X' is not one of the allowed values: SHA, CHA");
        let mut memo = Memo::default();
        let _ = translate(&message, 0, &mut memo);
        assert!(memo.len() < 20_000, "{} pieces tried", memo.len());
        let parts: Vec<&str> = "{}, {}, {}, {}, {} end".split("{}").collect();
        let text = "x, ".repeat(300);
        assert_eq!(figures_of(&parts, &text), None);
    }

    #[test]
    fn ukrainian_may_reorder_the_figures() {
        let f = vec!["A".to_string(), "B".to_string()];
        assert_eq!(fill_ordered("{} then {}", &f), "A then B");
        assert_eq!(fill_ordered("{1} before {0}", &f), "B before A");
        assert_eq!(fill_ordered("keeps {braces} and {", &f), "keeps {braces} and {");
        assert_eq!(figure_slots("{1} before {0}"), 2);
        assert_eq!(figure_slots("{} and {}, `{x}`"), 2);
    }

    #[test]
    fn every_template_keeps_its_figures_and_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (en, uk) in uk_message_entries() {
            assert!(seen.insert(en), "listed twice: {en:?}");
            assert_eq!(
                en.matches("{}").count(),
                figure_slots(uk),
                "the Ukrainian of {en:?} fills another number of figures: {uk:?}"
            );
            assert!(
                !en.contains("{}{}"),
                "two figures side by side cannot be told apart: {en:?}"
            );
            assert_ne!(en, uk, "not translated: {en:?}");
        }
    }
}
