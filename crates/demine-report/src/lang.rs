//! The languages people read the reports in: English and Ukrainian.
//!
//! The English phrase is the key (as in gettext): code writes `tr(lang, "Land release totals")`
//! and reads as English; [`uk`] holds the Ukrainian of every phrase the reports show, and of
//! every phrase the command line prints (`demine_app::text`, its table in [`cli`]): one lookup
//! over both tables, so that a phrase is translated once whoever shows it. A phrase
//! with figures in it is a template whose `{}` are filled in order by [`fill`], so a translation
//! may reorder nothing but may place the figures anywhere in its sentence. Counts take their
//! noun's plural form by the language's rule ([`Noun`]: Ukrainian has three forms).
//!
//! Identifiers stay as they are in both languages: hazard ids, strategy names (`evidence-led`),
//! IMAS abbreviations (SHA, CHA, NTS, TS), command lines, ISO dates; and SYNTHETIC is always
//! written in Latin letters too, so that it reads the same whatever the language.

/// A language of the reports and certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Uk,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Uk];

    /// The BCP 47 code, for `<html lang>` and file names: `en`, `uk`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
        }
    }

    /// Reads `en` or `uk` (also `ua`, as people often write it, and any case).
    ///
    /// ```
    /// use demine_report::Lang;
    /// assert_eq!(Lang::parse("UK"), Some(Lang::Uk));
    /// assert_eq!(Lang::parse("ua"), Some(Lang::Uk));
    /// assert_eq!(Lang::parse("fr"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "uk" | "ua" | "ukrainian" => Some(Lang::Uk),
            _ => None,
        }
    }
}

/// The phrase `en` in `lang` (English as given when there is no translation).
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Uk => uk(en).unwrap_or(en),
    }
}

/// [`tr`] of a phrase known only at run time (a criterion's name, a model's): as given when
/// there is no translation.
pub fn tr_any(lang: Lang, en: &str) -> &str {
    match lang {
        Lang::En => en,
        Lang::Uk => uk(en).unwrap_or(en),
    }
}

/// [`tr`] of a word whose Ukrainian depends on where it stands, as gettext's `pgettext`: land
/// "released" (звільнено, a column header) is not a hazard's status "released" (звільнена). The table's
/// key is `context`, the byte 0x04 and `en`, as in a gettext catalogue.
///
/// ```
/// use demine_report::lang::{tr, tr_ctx, Lang};
/// assert_eq!(tr_ctx(Lang::En, "land", "released"), "released");
/// assert_eq!(tr_ctx(Lang::Uk, "land", "released"), "звільнено");
/// assert_eq!(tr(Lang::Uk, "released"), "звільнена");
/// ```
pub fn tr_ctx(lang: Lang, context: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Uk => uk(&format!("{context}\u{4}{en}")).unwrap_or(en),
    }
}

/// The phrase template `en` in `lang` with its `{}` filled by `args` in order.
///
/// ```
/// use demine_report::lang::{tr_fill, Lang};
/// assert_eq!(tr_fill(Lang::En, "Generated {} by demine-report {}.", &[&"today", &"1.0"]), "Generated today by demine-report 1.0.");
/// assert_eq!(tr_fill(Lang::Uk, "Generated {} by demine-report {}.", &[&"today", &"0.1.0"]), "Створено today програмою demine-report 0.1.0.");
/// // A figure reads as Ukrainian writes it: a decimal comma, thousands apart.
/// assert_eq!(tr_fill(Lang::Uk, "no road within {} km", &[&"1,234.5"]), "немає дороги в межах 1\u{a0}234,5 км");
/// assert_eq!(tr_fill(Lang::En, "no road within {} km", &[&"1,234.5"]), "no road within 1,234.5 km");
/// assert_eq!(tr_fill(Lang::Uk, "no road within {} km", &[&"(30.03, 50.005)"]), "немає дороги в межах (30.03, 50.005) км");
/// assert_eq!(tr_fill(Lang::Uk, "no road within {} km", &[&"0,865"]), "немає дороги в межах 0,865 км");
/// assert_eq!(tr_fill(Lang::Uk, "no road within {} km", &[&"-0.25"]), "немає дороги в межах -0,25 км");
/// assert_eq!(tr_fill(Lang::Uk, "no road within {} km", &[&"03.2024"]), "немає дороги в межах 03.2024 км");
/// ```
pub fn tr_fill(lang: Lang, en: &'static str, args: &[&dyn std::fmt::Display]) -> String {
    fill_figures(lang, tr(lang, en), args)
}

/// [`fill`], each argument that is a figure with a decimal point (`1,234.5`, `-0.25`) in
/// `lang`'s way: in Ukrainian a decimal comma and thousands apart by a no-break space, as
/// [`crate::text::grouped`] writes them. Dates, ids, versions (`0.1.0`) and whole numbers are
/// not such figures and stay as they are: whole numbers are grouped by the caller
/// ([`crate::text::grouped`] with 0 decimals).
pub fn fill_figures(lang: Lang, template: &str, args: &[&dyn std::fmt::Display]) -> String {
    if lang == Lang::En {
        return fill(template, args);
    }
    let texts: Vec<String> = args
        .iter()
        .map(|a| localised_figure(lang, &a.to_string(), false))
        .collect();
    let shown: Vec<&dyn std::fmt::Display> = texts.iter().map(|t| t as &dyn std::fmt::Display).collect();
    fill(template, &shown)
}

/// [`localised_figure`] of `figure`, a slice of the English message `whole`, as a figure of an
/// English source; a command-line option's value (`--clearance-detection 0.5`) stays as the
/// user types it.
pub(crate) fn localised_figure_of(lang: Lang, whole: &str, figure: &str) -> String {
    let start = (figure.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    let option_value = whole.get(..start).is_some_and(|before| {
        (before.ends_with(' ') || before.ends_with('='))
            && before
                .trim_end_matches([' ', '='])
                .rsplit([' ', '(', '`'])
                .next()
                .is_some_and(|word| word.starts_with("--"))
    });
    if option_value {
        figure.to_string()
    } else {
        localised_figure(lang, figure, true)
    }
}

/// `text` in `lang`'s number format when the whole of it (padding aside) is a figure written
/// the English way with a decimal point, or, when `english_source` (a figure cut out of an
/// English message, where `797,383` can only mean thousands), with thousands commas; otherwise
/// `text` as it is.
pub(crate) fn localised_figure(lang: Lang, text: &str, english_source: bool) -> String {
    let figure = text.trim();
    let unsigned = figure.trim_start_matches(['-', '−', '+']);
    let sign = &figure[..figure.len() - unsigned.len()];
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let groups: Vec<&str> = int.split(',').collect();
    // A leading zero (`03.2024`, a month) is not how a figure is written.
    let int_ok = !groups[0].is_empty()
        && (groups[0] == "0" || !groups[0].starts_with('0'))
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && (groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    // Only a decimal point makes a figure certainly English: `0,865` may be a figure already
    // in Ukrainian, and `1,234` either.
    let certainly_english = frac.is_some() || (english_source && groups.len() > 1);
    let whole = groups.concat().parse::<u64>();
    let (true, true, true, Ok(whole)) = (int_ok, frac_ok, certainly_english, whole) else {
        return text.to_string();
    };
    let mut localised = format!("{sign}{}", crate::text::thousands(lang, whole));
    if let Some(f) = frac {
        localised.push(crate::text::decimal_mark(lang));
        localised.push_str(f);
    }
    text.replacen(figure, &localised, 1)
}

/// Fills the `{}` of `template` with `args` in order; a `{}` without an argument stays.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut args = args.iter();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        match args.next() {
            Some(a) => out.push_str(&a.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The phrases a Rust source asks [`tr`], [`tr_fill`] and [`tr_ctx`] for: every string literal
/// of their phrase argument (both of an `if … else …`), a `tr_ctx` key as the table holds it.
/// For tests, that every phrase a module prints has its Ukrainian; a phrase that reaches `tr`
/// through a variable, or [`tr_any`], is not seen.
///
/// ```
/// use demine_report::lang::phrases_in;
/// let src = r#"tr_fill(lang, if n == 1 { "{} item" } else { "{} items" }, &[&n]); tr_ctx(lang, "land", "released")"#;
/// assert_eq!(phrases_in(src), ["{} item", "{} items", "land\u{4}released"]);
/// ```
pub fn phrases_in(source: &str) -> Vec<String> {
    let s: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let ident_before = i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_');
        let call = ["tr(", "tr_fill(", "tr_ctx("]
            .into_iter()
            .find(|c| !ident_before && s[i..].starts_with(&c.chars().collect::<Vec<_>>()));
        let Some(call) = call else {
            i += 1;
            continue;
        };
        let (_, after_lang) = argument_literals(&s, i + call.len());
        let (first, next) = argument_literals(&s, after_lang);
        if call == "tr_ctx(" {
            let (en, next) = argument_literals(&s, next);
            for (c, e) in first.iter().zip(&en) {
                found.push(format!("{c}\u{4}{e}"));
            }
            i = next;
        } else {
            found.extend(first.into_iter().filter(|p| !p.is_empty()));
            i = next;
        }
    }
    found
}

/// The string literals of the call argument that starts at `i`, and where the next one starts.
fn argument_literals(s: &[char], mut i: usize) -> (Vec<String>, usize) {
    let (mut depth, mut literals) = (0usize, Vec::new());
    while i < s.len() {
        match s[i] {
            '"' => {
                let (lit, next) = string_literal(s, i + 1);
                literals.push(lit);
                i = next;
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return (literals, i),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return (literals, i + 1),
            _ => {}
        }
        i += 1;
    }
    (literals, i)
}

/// The text of the string literal whose contents start at `i` (escapes and line continuations
/// read as Rust reads them), and the index after its closing quote.
fn string_literal(s: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    while i < s.len() {
        match s[i] {
            '"' => return (out, i + 1),
            '\\' if i + 1 < s.len() => {
                i += 2;
                match s[i - 1] {
                    '\n' => {
                        while i < s.len() && s[i].is_whitespace() {
                            i += 1;
                        }
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '0' => out.push('\0'),
                    'u' => {
                        let end = (i..s.len()).find(|&j| s[j] == '}').unwrap_or(s.len());
                        let hex: String = s[(i + 1).min(end)..end].iter().collect();
                        out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                        i = end + 1;
                    }
                    c => out.push(c),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, i)
}

/// A counted noun, with its forms in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Hazard,
    Group,
    Item,
    Accident,
    Person,
    Cell,
    Team,
    /// A piece of released land.
    Piece,
    /// A daily progress report.
    Report,
    /// A QA inspection.
    Inspection,
    EarlierVersion,
    /// An entry of the change log.
    Entry,
    /// A feature of a context layer.
    Feature,
}

impl Noun {
    /// The form of the noun after the number `n`.
    ///
    /// ```
    /// use demine_report::lang::{Lang, Noun};
    /// assert_eq!(Noun::Item.form(Lang::En, 1), "item");
    /// assert_eq!(Noun::Item.form(Lang::En, 21), "items");
    /// assert_eq!(Noun::Item.form(Lang::Uk, 21), "предмет");
    /// assert_eq!(Noun::Item.form(Lang::Uk, 3), "предмети");
    /// assert_eq!(Noun::Item.form(Lang::Uk, 12), "предметів");
    /// ```
    pub fn form(self, lang: Lang, n: u64) -> &'static str {
        let (en, uk): ([&str; 2], [&str; 3]) = match self {
            Noun::Hazard => (
                ["hazard", "hazards"],
                ["небезпечна ділянка", "небезпечні ділянки", "небезпечних ділянок"],
            ),
            Noun::Group => (["group", "groups"], ["група", "групи", "груп"]),
            Noun::Item => (["item", "items"], ["предмет", "предмети", "предметів"]),
            Noun::Accident => (
                ["accident", "accidents"],
                ["нещасний випадок", "нещасні випадки", "нещасних випадків"],
            ),
            Noun::Person => (["person", "people"], ["особа", "особи", "осіб"]),
            Noun::Cell => (["cell", "cells"], ["комірка", "комірки", "комірок"]),
            Noun::Team => (["team", "teams"], ["група", "групи", "груп"]),
            Noun::Piece => (["piece", "pieces"], ["частина", "частини", "частин"]),
            Noun::Report => (["report", "reports"], ["звіт", "звіти", "звітів"]),
            Noun::Inspection => (["inspection", "inspections"], ["перевірка", "перевірки", "перевірок"]),
            Noun::EarlierVersion => (
                ["earlier version", "earlier versions"],
                ["попередня версія", "попередні версії", "попередніх версій"],
            ),
            Noun::Entry => (["entry", "entries"], ["запис", "записи", "записів"]),
            Noun::Feature => (["feature", "features"], ["об’єкт", "об’єкти", "об’єктів"]),
        };
        match lang {
            Lang::En => en[usize::from(n != 1)],
            Lang::Uk => uk[ukrainian_plural(n)],
        }
    }
}

/// Ukrainian plural form of `n`: 0 one (1, 21, 101), 1 few (2–4, 22–24), 2 many (0, 5–20, 25…).
fn ukrainian_plural(n: u64) -> usize {
    let (ten, hundred) = (n % 10, n % 100);
    if ten == 1 && hundred != 11 {
        0
    } else if (2..=4).contains(&ten) && !(12..=14).contains(&hundred) {
        1
    } else {
        2
    }
}

mod cli;
mod messages;
mod notes;

pub use messages::tr_message;

/// English phrase → Ukrainian, every phrase the reports show.
const UK: &[(&str, &str)] = &[
    // Header, totals, status.
    ("SYNTHETIC DATA — generated for demonstration and testing; not a real contamination picture. Do not use for operations.", "SYNTHETIC — СИНТЕТИЧНІ ДАНІ: створені для демонстрації й тестування; це не реальна картина забруднення. Не використовуйте для робіт."),
    ("As of <b>{}</b>", "Станом на <b>{}</b>"),
    ("As of <b>all records</b> (no cut-off date)", "Станом на <b>усі записи</b> (без дати зрізу)"),
    ("Generated", "Створено"),
    ("The accounting covers {} but the registry lists {}: per-hazard figures and the map show only the first {}.", "Облік охоплює {}, а реєстр містить {}: показники ділянок і карта показують лише перші {}."),
    ("Land release totals", "Підсумки звільнення земель"),
    ("Figure", "Показник"),
    ("Area (km²)", "Площа (км²)"),
    ("Area (m²)", "Площа (м²)"),
    ("Share of hazard area", "Частка площі ділянок"),
    ("Hazard area (union of hazards)", "Площа небезпечних ділянок (об’єднання)"),
    ("Cancelled by non-technical survey", "Скасовано нетехнічним обстеженням"),
    ("Reduced by technical survey", "Зменшено технічним обстеженням"),
    ("Cleared", "Очищено"),
    ("Released (cancelled + reduced + cleared)", "Звільнено (скасовано + зменшено + очищено)"),
    ("Remaining", "Залишилося"),
    ("Hazards", "Небезпечні ділянки"),
    ("Sum of hazard areas as reported", "Сума площ ділянок за звітами"),
    ("Overlap inflation avoided (sum − union)", "Усунене подвійне врахування (сума − об’єднання)"),
    ("Overlap groups", "Групи перекриття"),
    ("{} ({} in them)", "{} (у них {})"),
    ("Where hazards overlap (the same land reported twice), the shared land counts once in these totals and is released once, by the earliest activity that covers it.", "Де ділянки перекриваються (ту саму землю внесено двічі), спільна земля враховується в цих підсумках один раз і звільняється один раз — найранішою діяльністю, що її охоплює."),
    ("Active", "Активна"),
    ("Partially released", "Частково звільнена"),
    ("Released", "Звільнено"),
    ("Hazards by status", "Небезпечні ділянки за станом"),
    ("Class", "Клас"),
    ("Total", "Разом"),
    ("SHA (suspected)", "SHA (підозрювана)"),
    ("CHA (confirmed)", "CHA (підтверджена)"),
    ("All hazards", "Усі ділянки"),
    ("Status is computed from the accounting: released when no land remains, partially released as soon as any land is released.", "Стан обчислено з обліку: звільнена, коли землі не залишилося; частково звільнена, щойно звільнено будь-яку її частину."),
    ("Map", "Карта"),
    // Top hazards.
    ("Hazards with the most land remaining", "Ділянки з найбільшою площею, що залишилася"),
    ("The {} largest by remaining area, of {}. Areas in m², per hazard as recorded (overlaps not removed).", "{} найбільших за площею, що залишилася, з {}. Площі в м², за кожною ділянкою, як внесено (перекриття не вилучено)."),
    ("Hazard", "Ділянка"),
    ("Status", "Стан"),
    ("Cancelled (m²)", "Скасовано (м²)"),
    ("Reduced (m²)", "Зменшено (м²)"),
    ("Cleared (m²)", "Очищено (м²)"),
    ("Remaining (m²)", "Залишилося (м²)"),
    ("{} more in <code>demine release --json</code>.", "Ще {} — у <code>demine release --json</code>."),
    // Finds and accidents.
    ("Anti-personnel mines", "Протипіхотні міни"),
    ("Anti-tank mines", "Протитанкові міни"),
    ("Unexploded ordnance (UXO)", "Нерозірвані боєприпаси (UXO)"),
    ("Abandoned ordnance (AXO)", "Покинуті боєприпаси (AXO)"),
    ("Improvised explosive devices (IED)", "Саморобні вибухові пристрої (IED)"),
    ("Submunitions", "Суббоєприпаси"),
    ("Other", "Інше"),
    ("Explosive ordnance found and accidents", "Знайдені вибухонебезпечні предмети та нещасні випадки"),
    ("Category", "Категорія"),
    ("Items found", "Знайдено предметів"),
    ("All finds", "Усі знахідки"),
    ("Accidents", "Нещасні випадки"),
    ("Number", "Кількість"),
    ("Killed", "Загинуло"),
    ("Injured", "Поранено"),
    ("Casualties", "Постраждалі"),
    // Footer.
    ("Areas are geodesic on the WGS84 ellipsoid; land released once, by the earliest activity (IMAS 07.11); national totals over the union of hazards.", "Площі геодезичні, на еліпсоїді WGS84; землю звільнено один раз, найранішою діяльністю (IMAS 07.11); національні підсумки — за об’єднанням ділянок."),
    ("<strong>SYNTHETIC DATA.</strong> Every figure and every shape in this report was generated; none describes real contamination.", "<strong>SYNTHETIC — СИНТЕТИЧНІ ДАНІ.</strong> Кожен показник і кожен контур у цьому звіті згенеровано; жоден не описує реального забруднення."),
    ("Generated {} by demine-report {}.", "Створено {} програмою demine-report {}."),
    // Map.
    ("Map of hazards and land released", "Карта небезпечних ділянок і звільненої землі"),
    ("Nothing to map: no hazards and no points.", "Нічого показати: немає ні ділянок, ні точок."),
    ("Nothing to map: the input has no hazards and no points.", "Нічого показати: у даних немає ні ділянок, ні точок."),
    ("Equirectangular projection, north up, longitudes scaled by cos({}) = {} so that shapes keep their proportions; the scale bar is true at that latitude.", "Рівнопроміжна циліндрична проєкція, північ угорі; довготи помножено на cos({}) = {}, щоб контури зберігали пропорції; масштабна лінійка правильна на цій широті."),
    ("Dashed frame: bounding box of all hazards, {} to {}, {} to {}.", "Пунктирна рамка: охопний прямокутник усіх ділянок, від {} до {}, від {} до {}."),
    ("<strong>SYNTHETIC DATA</strong>: generated for demonstration and testing; not a real contamination picture.", "<strong>SYNTHETIC — СИНТЕТИЧНІ ДАНІ</strong>: створені для демонстрації й тестування; це не реальна картина забруднення."),
    ("active", "активна"),
    ("partially released", "частково звільнена"),
    ("released", "звільнена"),
    ("cancelled", "скасовано"),
    ("reduced", "зменшено"),
    ("cleared", "очищено"),
    ("{} · {} · {} · {} remaining", "{} · {} · {} · залишилося {}"),
    ("{} {} by {} · {}", "{}: {} діяльністю {} · {}"),
    ("Each of the {} hazards is drawn as its outline: fill by status, solid outline CHA, dashed outline SHA; {} released pieces are drawn over them, coloured by outcome.", "Кожну з {} ділянок показано контуром: заливка за станом, суцільний контур CHA, пунктирний SHA; поверх них {} звільнених частин, колір за результатом."),
    ("Some hazards have released land but no released pieces were supplied, so their released land is shown by status colour only.", "Деякі ділянки мають звільнену землю, але її частин не надано, тому звільнену землю показано лише кольором стану."),
    ("CHA (solid outline)", "CHA (суцільний контур)"),
    ("SHA (dashed outline)", "SHA (пунктирний контур)"),
    ("Extent of hazards", "Межі ділянок"),
    ("Cancelled (NTS)", "Скасовано (NTS)"),
    ("Reduced (TS)", "Зменшено (TS)"),
    ("none (all released)", "немає (усе звільнено)"),
    ("National scale: the {} hazards are too many to draw one by one (more than {} hazards, or too much detail for a printable file), so each {} px square (about {} km across) shows the remaining hazard area of the hazards whose bounding-box centre lies in it; green squares hold only released hazards. Released pieces are not drawn at this scale.", "Національний масштаб: {} ділянок забагато, щоб показати кожну (понад {} ділянок або задорога деталізація для друку), тому кожен квадрат {} px (близько {} км) показує площу, що залишилася, тих ділянок, центр охопного прямокутника яких лежить у ньому; зелені квадрати містять лише звільнені ділянки. Звільнені частини в цьому масштабі не показано."),
    ("Remaining per square:", "Залишилося в квадраті:"),
    ("Settlement", "Населений пункт"),
    ("EO find", "Знахідка ВНП"),
    ("Accident", "Нещасний випадок"),
    ("{} finds (dark dots) and {} accidents (red crosses)", "знахідок: {} (темні точки), нещасних випадків: {} (червоні хрестики)"),
    ("; points outside the frame are not drawn and points on the same pixel are drawn once ({} find marks, {} accident marks)", "; точки поза рамкою не показано, а точки в одному пікселі показано один раз (позначок знахідок: {}, нещасних випадків: {})"),
    ("Road / line", "Дорога / лінія"),
    ("Context lines were too detailed to draw in full; some are left out.", "Лінії контексту задетальні, щоб показати їх повністю; частину пропущено."),
    ("SYNTHETIC DATA", "SYNTHETIC · СИНТЕТИЧНІ ДАНІ"),
    ("N", "Пн"),
    ("km", "км"),
    // Breakdowns.
    ("Released by month", "Звільнено за місяцями"),
    ("Released by organisation", "Звільнено за організаціями"),
    ("Released by hazard class", "Звільнено за класом ділянок"),
    (", {} to {}", ", з {} до {}"),
    (", from {}", ", від {}"),
    (", to {}", ", до {}"),
    ("Month", "Місяць"),
    ("Organisation", "Організація"),
    ("Land counted in the month its releasing activity ended; each piece of land once, by the earliest activity.", "Землю враховано в місяці, коли завершилася діяльність, що її звільнила; кожну частину землі один раз, за найранішою діяльністю."),
    ("Sums of the group's hazards (land shared by overlapping hazards of two groups counts in both).", "Суми за ділянками групи (земля, спільна для ділянок двох груп, що перекриваються, враховується в обох)."),
    ("No land was released in this period.", "За цей період землю не звільнено."),
    ("Cancelled (km²)", "Скасовано (км²)"),
    ("Reduced (km²)", "Зменшено (км²)"),
    ("Cleared (km²)", "Очищено (км²)"),
    ("Released (km²)", "Звільнено (км²)"),
    ("Cumulative released (km²)", "Звільнено наростаючим підсумком (км²)"),
    ("Remaining (km²)", "Залишилося (км²)"),
    ("Land released per month, by outcome", "Земля, звільнена за місяць, за результатом"),
    ("{} max / month", "максимум {} за місяць"),
    // Risk.
    ("Contamination risk (model)", "Ризик забруднення (модель)"),
    ("{} H3 cells scored by the {} model{}. Colour: modelled probability that the cell holds explosive ordnance.", "{} комірок H3 оцінено моделлю {}{}. Колір: змодельована ймовірність, що комірка містить вибухонебезпечні предмети."),
    (" (spatial cross-validation ROC-AUC {})", " (просторова перехресна перевірка, ROC-AUC {})"),
    ("stored risk map (`demine risk build`)", "збереженої карти ризику (`demine risk build`)"),
    ("gradient-boosted trees", "градієнтного бустингу дерев"),
    ("risk map", "карта ризику"),
    ("The first {} of {} cells are drawn; the layer risk_cells holds all.", "Показано перші {} з {} комірок; шар risk_cells містить усі."),
    ("{} suggested new SHA(s) outside every hazard, {} in all (dashed blue outlines): land the model rates at least as risky as half the cells where ordnance was found, or holding a find or an accident outside every hazard; for non-technical survey (<code>demine risk suggest --out FILE.geojson</code>).", "Запропоновано нових SHA поза всіма ділянками: {}, разом {} (сині пунктирні контури): земля, яку модель оцінює щонайменше так само ризикованою, як половину комірок зі знахідками, або зі знахідкою чи нещасним випадком поза ділянками; для нетехнічного обстеження (<code>demine risk suggest --out FILE.geojson</code>)."),
    ("Hazards with the most expected items not yet found", "Ділянки з найбільшою очікуваною кількістю ще не знайдених предметів"),
    ("P(contaminated), calibrated", "P(забруднена), калібрована"),
    ("Expected contaminated share", "Очікувана забруднена частка"),
    ("Hazards most likely to hold ordnance", "Ділянки, що найімовірніше містять вибухонебезпечні предмети"),
    ("P(any item)", "P(хоч один предмет)"),
    ("Against the demo's hidden ground truth (SYNTHETIC): the riskiest 20 % of cells hold {} of the {} cells that really hold ordnance ({}× random); among cells with no finds and no survey, {} ({}× random).", "Порівняно з прихованою істиною демонстрації (SYNTHETIC): 20 % найризикованіших комірок містять {} з {} комірок, де предмети справді є ({}× від випадкового); серед комірок без знахідок і без обстеження — {} ({}× від випадкового)."),
    // Priorities.
    ("Priorities", "Пріоритети"),
    ("{} hazards with land left, ranked by a score of 0–100: Σ weight × criterion / Σ weights. Weights: {}. Columns give each criterion's points, so every score can be checked. {} SHA(s) are suggested as CHA from direct or indirect evidence (<code>demine priority</code> explains each).", "Ділянок із землею, що залишилася: {}; їх упорядковано за балом 0–100: Σ вага × критерій / Σ ваг. Ваги: {}. Стовпці дають бали кожного критерію, тож кожен бал можна перевірити. SHA, запропонованих як CHA за прямими чи непрямими ознаками: {} (<code>demine priority</code> пояснює кожну)."),
    ("Score", "Бал"),
    ("risk", "ризик"),
    ("farmland", "угіддя"),
    ("roads", "дороги"),
    ("infrastructure", "інфраструктура"),
    ("settlements", "населені пункти"),
    ("beneficiaries", "бенефіціари"),
    ("accidents", "нещасні випадки"),
    // Plan.
    ("Plan and forecast", "План і прогноз"),
    ("Planned completion: <b>{}</b>", "Завершення за планом: <b>{}</b>"),
    ("; forecast completion P10 <b>{}</b>, P50 <b>{}</b>, P90 <b>{}</b>", "; прогноз завершення P10 <b>{}</b>, P50 <b>{}</b>, P90 <b>{}</b>"),
    ("Team schedule (Gantt): NTS blue, TS yellow, clearance green", "Графік груп (Ґантт): NTS синім, TS жовтим, розмінування зеленим"),
    ("Land released (cumulative): plan, forecast P50 dashed, P10–P90 band", "Звільнена земля (наростаючим підсумком): план, прогноз P50 пунктиром, смуга P10–P90"),
    ("day {}", "день {}"),
    ("… and {} more teams", "… і ще груп: {}"),
    ("{} ({}) day {}–{}", "{} ({}) день {}–{}"),
    ("demine plan", "план demine"),
    // Strategies.
    ("Release strategies", "Стратегії звільнення"),
    ("<b>SYNTHETIC DATA</b>: true items come from the demo's hidden ground truth.", "<b>SYNTHETIC — СИНТЕТИЧНІ ДАНІ</b>: справжні предмети взято з прихованої істини демонстрації."),
    ("strategy", "стратегія"),
    ("team-days", "групо-дні"),
    ("cost (teams' currency)", "вартість (у валюті груп)"),
    ("cancelled km²", "скасовано, км²"),
    ("reduced km²", "зменшено, км²"),
    ("cleared km²", "очищено, км²"),
    ("expected items left", "очікувано предметів залишилося"),
    ("true items left", "справді предметів залишилося"),
    ("Frontier: completion ({} confidence) against expected items left in released land", "Межа: завершення (упевненість {}) проти очікуваної кількості предметів, що залишаться у звільненій землі"),
    ("completion", "завершення"),
    ("{}, {} working days", "{}, {} робочих днів"),
    ("{}: {}, {} items", "{}: {}, предметів: {}"),
    ("Reliability: predicted probability against what was observed", "Надійність: передбачена ймовірність проти спостереженого"),
    ("predicted", "передбачено"),
    ("observed", "спостережено"),
    ("predicted {}, observed {}, {} cases", "передбачено {}, спостережено {}, випадків: {}"),
    ("Released land of {} hazards: predicted P(an item is left) against the hidden truth (SYNTHETIC); {} items expected, {} true", "Звільнена земля {} ділянок: передбачена P(предмет залишився) проти прихованої істини (SYNTHETIC); очікувано предметів: {}, справді: {}"),
    ("Team schedule of {} (Gantt): NTS blue, TS yellow, clearance green", "Графік груп стратегії {} (Ґантт): NTS синім, TS жовтим, розмінування зеленим"),
    // Titles.
    ("Land release — {}", "Звільнення земель — {}"),
    ("Land release — {} (SYNTHETIC)", "Звільнення земель — {} (SYNTHETIC)"),
];

/// Every table: the reports', the command line's, the engines' notes.
fn tables() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    UK.iter().chain(cli::UK_CLI).chain(notes::UK_NOTES)
}

/// A note an engine wrote in English (its `; `-separated parts: why a strategy clears a
/// hazard's land, what a priority criterion measured), in `lang`: each part that is a phrase
/// of the tables or matches a note template of [`notes`] is translated, its figures written as
/// Ukrainian writes them (`92,2`, `797 383`); a part that matches nothing stays as it is.
///
/// ```
/// use demine_report::lang::{tr_note, Lang};
/// let why = "cancel 92.2 ha in 17 cell(s) (no evidence, expected items below the threshold); clear 9.3 ha in 5 cell(s) (9.3 ha around finds or accidents, the rest high risk)";
/// assert_eq!(tr_note(Lang::En, why), why);
/// let uk = tr_note(Lang::Uk, why);
/// assert!(uk.starts_with("скасувати 92,2 га у комірках: 17 ("), "{uk}");
/// assert!(uk.contains("; очистити 9,3 га у комірках: 5 (9,3 га навколо"), "{uk}");
/// assert_eq!(tr_note(Lang::Uk, "a note no table knows"), "a note no table knows");
/// // A note whose template holds `; ` is translated whole.
/// let overrun = "2 team(s) work past their end date (T1, T2); the dates assume they stay on: extend their contracts, or add teams";
/// assert!(tr_note(Lang::Uk, overrun).starts_with("груп, що працюють після дати завершення: 2 (T1, T2); дати"));
/// ```
pub fn tr_note(lang: Lang, note: &str) -> String {
    if lang == Lang::En {
        return note.to_string();
    }
    // A template may hold `; ` itself (a note of several clauses): the whole note first.
    translate_note_part(note).unwrap_or_else(|| {
        note.split("; ")
            .map(|part| translate_note_part(part).unwrap_or_else(|| part.to_string()))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The Ukrainian of a phrase of the tables, or of a text a note template of [`notes`] makes
/// (its figures kept).
fn translate_note_part(part: &str) -> Option<String> {
    if let Some(t) = uk(part) {
        return Some(t.to_string());
    }
    notes::UK_NOTES.iter().find_map(|(en, uk)| {
        // A figure spanning `; ` is a template of one clause swallowing the next.
        let figures = template_figures(en, part).filter(|f| f.iter().all(|f| !f.contains("; ")));
        figures.map(|figures| {
            let figures: Vec<String> = figures.iter().map(|f| localised_figure_of(Lang::Uk, part, f)).collect();
            let args: Vec<&dyn std::fmt::Display> = figures.iter().map(|f| f as &dyn std::fmt::Display).collect();
            fill(uk, &args)
        })
    })
}

/// The figures that fill `template`'s `{}` to make `text`, or `None` when it does not make it.
/// Each `{}` takes the text up to the first place its next literal part stands.
fn template_figures<'t>(template: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let (first, rest) = parts.split_first()?;
    let Some((last, middle)) = rest.split_last() else {
        return (template == text).then(Vec::new);
    };
    let mut between = text.strip_prefix(first)?.strip_suffix(last)?;
    let mut figures = Vec::with_capacity(rest.len());
    for literal in middle {
        let at = between.find(literal)?;
        figures.push(&between[..at]);
        between = &between[at + literal.len()..];
    }
    figures.push(between);
    figures.iter().all(|f| !f.is_empty()).then_some(figures)
}

/// The Ukrainian of an English phrase of the reports or of the command line.
pub fn uk(en: &str) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| tables().copied().collect()).get(en).copied()
}

mod help;

/// The Ukrainian of a text of `demine --help`: an about, an argument's help, a possible value's,
/// exactly as clap holds it. A table of its own, apart from [`uk`]'s: help texts are whole
/// paragraphs, and a short one ("Hazards", "Class") may read differently in a report.
pub fn uk_help(en: &str) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| help::UK_HELP.iter().copied().collect())
        .get(en)
        .copied()
}

/// Every entry of [`uk_help`]'s table, for the test that each is still used by the help.
pub fn uk_help_entries() -> &'static [(&'static str, &'static str)] {
    help::UK_HELP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ukrainian_plurals_follow_the_rule() {
        let forms: Vec<usize> = [0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 1_000_001]
            .iter()
            .map(|&n| ukrainian_plural(n))
            .collect();
        assert_eq!(forms, [2, 0, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 2, 0]);
    }

    #[test]
    fn note_templates_find_their_figures_and_only_theirs() {
        assert_eq!(
            template_figures("clear all {} ha", "clear all 6.5 ha"),
            Some(vec!["6.5"])
        );
        assert_eq!(template_figures("clear all {} ha", "clear 6.5 ha in 2 cell(s)"), None);
        assert_eq!(
            template_figures("evidence {} < {}: stays SHA", "evidence 0.42 < 1.00: stays SHA"),
            Some(vec!["0.42", "1.00"])
        );
        assert_eq!(template_figures("land use {}", "land use "), None, "no empty figure");
        assert_eq!(template_figures("people", "people"), Some(vec![]));
        // No template has two figures side by side: where one ends would be a guess.
        for (en, _) in notes::UK_NOTES {
            assert!(!en.contains("{}{}"), "{en:?}");
        }
    }

    #[test]
    fn templates_fill_in_order_and_keep_extra_braces() {
        assert_eq!(fill("{} of {}", &[&1, &"two"]), "1 of two");
        assert_eq!(fill("{} and {}", &[&1]), "1 and {}");
        assert_eq!(fill("no figures", &[&1]), "no figures");
    }

    #[test]
    fn every_phrase_is_translated_once_and_keeps_its_figures() {
        let mut seen = std::collections::HashSet::new();
        for (en, uk) in tables() {
            assert!(seen.insert(en), "{en:?} twice");
            assert!(!uk.is_empty() && uk != en, "{en:?}");
            // Every `{}` of an English template must reach the reader in Ukrainian too.
            assert_eq!(en.matches("{}").count(), uk.matches("{}").count(), "{en:?} → {uk:?}");
        }
    }

    /// What a help text keeps in any language, sorted: its `code`, its `{…}`, its numbers.
    fn kept_as_is(text: &str) -> Vec<String> {
        let mut kept: Vec<String> = text.split('`').skip(1).step_by(2).map(|c| format!("`{c}`")).collect();
        kept.extend(text.match_indices('{').map(|(at, _)| {
            let end = text[at..].find('}').map_or(text.len(), |e| at + e + 1);
            text[at..end].to_owned()
        }));
        kept.extend(
            text.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
        );
        kept.sort();
        kept
    }

    #[test]
    fn every_help_text_is_translated_once_and_keeps_code_and_numbers() {
        let mut seen = std::collections::HashSet::new();
        for (en, uk) in help::UK_HELP {
            assert!(seen.insert(en), "{en:?} twice");
            assert!(!uk.trim().is_empty() && uk != en, "{en:?}");
            assert_eq!(kept_as_is(en), kept_as_is(uk), "{en:?} → {uk:?}");
            assert_eq!(
                en.matches("\n\n").count(),
                uk.matches("\n\n").count(),
                "paragraphs of {en:?}"
            );
            assert_eq!(uk_help(en), Some(*uk));
        }
    }
}
