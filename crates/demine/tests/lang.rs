//! `--lang`: what the commands print reads in English or Ukrainian, chosen by `--lang` on any
//! command, `DEMINE_LANG` or the locale; JSON is the same in both languages.

mod common;
use assert_cmd::Command;
use common::*;

/// Two overlapping hazards, one partly cleared and one cancelled.
fn registry() -> Scratch {
    let s = Scratch::new();
    let hz = collection(&[
        (
            r#"{"id":"HZ-1","class":"CHA","organisation":"NGO-1"}"#,
            &rect(30.0, 50.0, 30.02, 50.01),
        ),
        (
            r#"{"id":"HZ-2","class":"SHA","organisation":"NGO-2"}"#,
            &rect(30.01, 50.0, 30.03, 50.01),
        ),
    ]);
    s.import_ok("hazards", &s.file("h.geojson", &hz));
    let acts = collection(&[
        (
            r#"{"id":"A-1","hazard_id":"HZ-1","type":"clearance","outcome":"cleared","start_date":"2024-03-01","end_date":"2024-04-10","organisation":"NGO-1"}"#,
            &rect(30.0, 50.0, 30.005, 50.01),
        ),
        (
            r#"{"id":"A-2","hazard_id":"HZ-2","type":"NTS","outcome":"cancelled","start_date":"2024-05-01","end_date":"2024-05-02","organisation":"NGO-2"}"#,
            &rect(30.02, 50.0, 30.03, 50.01),
        ),
    ]);
    s.import_ok("activities", &s.file("a.geojson", &acts));
    s
}

/// Environment variables for one run; an empty value: not set.
type Env<'a> = &'a [(&'a str, &'a str)];

fn ok(s: &Scratch, args: &[&str], env: Env) -> String {
    stdout_of(s.demine(), args, env)
}

/// What `c ARGS` prints on stdout, with these environment variables (an empty value: not set);
/// it must succeed.
fn stdout_of(mut c: Command, args: &[&str], env: Env) -> String {
    for (k, v) in env {
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
    let out = c.args(args).output().expect("run demine");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demine {args:?} {env:?}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_way_of_asking_for_ukrainian_prints_ukrainian() {
    let s = registry();
    let en = ok(&s, &["release", "--by", "organisation"], &[]);
    assert!(en.starts_with("Land release — 2 hazards (union of hazards"), "{en}");
    assert!(
        en.contains("Released by organisation (km²):") && en.contains("  cleared  "),
        "{en}"
    );
    let ways: [(&[&str], Env); 4] = [
        (&["--lang", "uk", "release", "--by", "organisation"], &[]),
        (&["release", "--by", "organisation", "--lang", "uk"], &[]),
        (&["release", "--by", "organisation"], &[("DEMINE_LANG", "uk")]),
        (
            &["release", "--by", "organisation"],
            &[
                ("DEMINE_LANG", ""),
                ("LC_ALL", ""),
                ("LC_MESSAGES", ""),
                ("LANG", "uk_UA.UTF-8"),
            ],
        ),
    ];
    for (args, env) in ways {
        let uk = ok(&s, args, env);
        assert!(
            uk.starts_with("Звільнення земель — 2 небезпечні ділянки (об’єднання ділянок"),
            "{args:?} {env:?}: {uk}"
        );
        assert!(
            uk.contains("Звільнено за організаціями (км²):") && uk.contains("NGO-2"),
            "{uk}"
        );
        assert!(
            uk.contains("  очищено  ") && uk.contains("активних 0, частково звільнених 2"),
            "{uk}"
        );
        for english in [
            "Land release",
            "hazards",
            "cleared",
            "remaining",
            "Released by",
            "organisation",
        ] {
            assert!(!uk.contains(english), "{english:?} left in {uk}");
        }
        // The figures are the same in both, each written as its language writes figures:
        // `2,392,149` and `0.797` in English, `2 392 149` (no-break spaces) and `0,797` in
        // Ukrainian.
        let figures = |t: &str, thousands: char, decimal: char| -> Vec<String> {
            t.split(|c: char| !(c.is_ascii_digit() || c == thousands || c == decimal))
                .filter(|x| x.chars().any(|c| c.is_ascii_digit()))
                .map(|x| {
                    x.trim_matches([thousands, decimal])
                        .replace(thousands, "")
                        .replace(decimal, ".")
                })
                .collect()
        };
        assert_eq!(figures(&uk, '\u{a0}', ','), figures(&en, ',', '.'));
        assert!(!uk.contains("0.797") && uk.contains("0,797"), "{uk}");
    }
    // `--lang` wins over DEMINE_LANG; DEMINE_LANG over the locale.
    let status = ok(&s, &["status", "--lang", "en"], &[("DEMINE_LANG", "uk")]);
    assert!(status.contains("  hazards                2\n"), "{status}");
    let status = ok(&s, &["status"], &[("DEMINE_LANG", "en"), ("LANG", "uk_UA.UTF-8")]);
    assert!(status.contains("  hazards                2\n"), "{status}");
    let status = ok(&s, &["status"], &[("DEMINE_LANG", "uk")]);
    assert!(
        status.contains("реєстр ") && status.contains("  ділянки                  2\n"),
        "{status}"
    );
    assert!(
        status.contains("журнал змін") && !status.contains("change log"),
        "{status}"
    );
    let check = ok(&s, &["--lang", "uk", "check"], &[]);
    assert!(
        check.contains("проблем:") && check.contains("перевірено ділянок 2"),
        "{check}"
    );

    // Machines read the same JSON whatever the language.
    for cmd in [
        &["status", "--json"][..],
        &["release", "--json"],
        &["check", "--json"],
        &["show", "hazards", "HZ-1", "--json"],
    ] {
        let en = ok(&s, cmd, &[("DEMINE_LANG", "en")]);
        let uk = ok(&s, &[&["--lang", "uk"][..], cmd].concat(), &[]);
        assert_eq!(en, uk, "{cmd:?}");
    }

    // A language demine does not know is refused, naming the ones it knows.
    let (code, _, err) = s.run(&["--lang", "fr", "status"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'fr'") && err.contains("en, uk"), "{err}");
}

/// What `demine ARGS` prints on stdout, with these environment variables; it must succeed, as
/// asking for help does.
fn help(args: &[&str], env: Env) -> String {
    stdout_of(bin(), args, env)
}

/// clap's own English, which a Ukrainian help must not show.
const CLAP_ENGLISH: [&str; 9] = [
    "Usage:",
    "Commands:",
    "Arguments:",
    "Options:",
    "Print help",
    "[default:",
    "[env:",
    "[possible values:",
    "Possible values:",
];

fn assert_ukrainian(help: &str, phrases: &[&str]) {
    for phrase in phrases {
        assert!(help.contains(phrase), "{phrase:?} not in:\n{help}");
    }
    for english in CLAP_ENGLISH {
        assert!(!help.contains(english), "{english:?} in:\n{help}");
    }
}

#[test]
fn help_reads_in_ukrainian_when_asked_for() {
    let top = help(&["--lang", "uk", "--help"], &[]);
    assert_ukrainian(
        &top,
        &[
            "demine: від доказів до безпечної землі.\n\nВеде реєстр небезпечних ділянок (SHA/CHA)",
            "Використання: demine [OPTIONS] <COMMAND>\n\nКоманди:\n  init ",
            "  import       Імпортувати записи з GeoJSON",
            "\nПараметри:\n      --db <PATH>\n",
            "[типово: demine.gpkg]",
            "[змінна середовища: DEMINE_DB=",
            "Можливі значення:\n          - en: англійська\n          - uk: українська",
            "Показати довідку (стисло — '-h')",
            "Показати версію",
        ],
    );
    // The help of a command, in full: its positionals first, as in English.
    let import = help(&["--lang", "uk", "import", "--help"], &[]);
    assert_ukrainian(
        &import,
        &[
            "Використання: demine import [OPTIONS] <KIND> <FILE | NAME> [FILE]",
            "Якщо хоч один запис хибний, нічого не записується",
            "\nАргументи:\n  <KIND>\n          Що містить файл",
            "- organisations: Оператори й уповноважений орган",
            "\nПараметри:\n",
            "[типово: demine.gpkg]",
            "[типово: 100]",
        ],
    );
    assert!(import.find("Аргументи:") < import.find("Параметри:"), "{import}");
    // The summary (`-h`): the facts follow each help on its line.
    let forecast = help(&["--lang", "uk", "forecast", "-h"], &[]);
    assert_ukrainian(
        &forecast,
        &[
            "Прогноз завершення плану методом Монте-Карло",
            "Використання: demine forecast [OPTIONS]",
            "[типово: 1000]",
            "[псевдонім: --time-limit]",
            "[можливі значення: working, none]",
            "Показати довідку (докладніше — '--help')",
        ],
    );
    assert!(!forecast.contains("[alias"), "{forecast}");
    // `--lang=ua`, $DEMINE_LANG and the locale ask for it too.
    let ways: [(&[&str], Env); 3] = [
        (&["status", "--help", "--lang=ua"], &[]),
        (&["status", "--help"], &[("DEMINE_LANG", "uk")]),
        (
            &["status", "--help"],
            &[
                ("DEMINE_LANG", ""),
                ("LC_ALL", ""),
                ("LC_MESSAGES", ""),
                ("LANG", "uk_UA.UTF-8"),
            ],
        ),
    ];
    for (args, env) in ways {
        assert_ukrainian(
            &help(args, env),
            &["Що містить реєстр: записи за шарами", "Використання: demine status"],
        );
    }
}

#[test]
fn help_stays_english_otherwise() {
    let en = help(
        &["--lang", "en", "--help"],
        &[("DEMINE_LANG", "uk"), ("LANG", "uk_UA.UTF-8")],
    );
    for phrase in [
        "demine: from evidence to safe land.\n\nKeeps a registry",
        "Usage: demine [OPTIONS] <COMMAND>\n\nCommands:\n",
        "\nOptions:\n",
        "[default: demine.gpkg]",
        "Possible values:\n          - en: English",
        "Print help (see a summary with '-h')",
        "this help included",
    ] {
        assert!(en.contains(phrase), "{phrase:?} not in:\n{en}");
    }
    assert!(!en.contains("Використання") && !en.contains("типово"), "{en}");
    // The harness's DEMINE_LANG=en, with a Ukrainian locale: English.
    let short = help(&["forecast", "-h"], &[("LANG", "uk_UA.UTF-8")]);
    assert!(
        short.contains("Usage: demine forecast [OPTIONS]")
            && short.contains("[default: 5]\n")
            && short.contains(" [alias: --time-limit]"),
        "{short}"
    );
}

/// What is left of a message once its code, quotes, paths and figures are taken out: runs of
/// four or more English words are a sentence nobody translated.
fn english_runs(text: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut inside: Option<char> = None;
    for c in text.chars() {
        match inside {
            Some(close) if c == close => inside = None,
            Some(_) => {}
            None if c == '`' || c == '"' => inside = Some(c),
            None if c == '\'' && plain.ends_with(|p: char| !p.is_alphanumeric()) => inside = Some('\''),
            None => plain.push(c),
        }
    }
    let mut runs = Vec::new();
    for line in plain.lines() {
        let mut run: Vec<&str> = Vec::new();
        for word in line.split(|c: char| c.is_whitespace() || ",;:()".contains(c)) {
            let english = word.len() > 1
                && word.chars().all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
                && !word.starts_with("--")
                && word.chars().any(|c| c.is_ascii_lowercase());
            if english {
                run.push(word);
            } else if !word.is_empty() {
                if run.len() >= 4 {
                    runs.push(run.join(" "));
                }
                run.clear();
            }
        }
        if run.len() >= 4 {
            runs.push(run.join(" "));
        }
    }
    runs
}

#[test]
fn the_english_left_in_a_message_is_found() {
    assert_eq!(
        english_runs("помилка: h.geojson: запис 2: значення 'not one of these' недійсне"),
        Vec::<String>::new()
    );
    assert_eq!(
        english_runs("помилка: h.geojson: the ring crosses itself; `ogr2ogr -t_srs EPSG:4326 out in`"),
        ["the ring crosses itself"]
    );
}

/// Refusals read in Ukrainian with `--lang uk`: the label and every part the code wrote, with the
/// file, record, field and value as they are; in English otherwise.
#[test]
fn refusals_read_in_ukrainian_when_asked_for() {
    let s = registry();
    let bowtie = r#"{"type":"Polygon","coordinates":[[[30.1,50.1],[30.2,50.2],[30.2,50.1],[30.1,50.2],[30.1,50.1]]]}"#;
    let bad_hazards = s.file(
        "bad.geojson",
        &collection(&[
            (
                r#"{"id":"HZ-9","class":"XHA","organisation":"NGO-1"}"#,
                &rect(30.1, 50.1, 30.2, 50.2),
            ),
            (r#"{"id":"HZ-10","class":"SHA","organisation":"NGO-1"}"#, bowtie),
            (
                r#"{"id":"HZ-11","class":"SHA","organisation":"NGO-1"}"#,
                &rect(3_500_000.0, 6_500_000.0, 3_501_000.0, 6_501_000.0),
            ),
        ]),
    );
    let history = s.file(
        "history.csv",
        "month,organisation,area_m2\n2024-01,NGO-1,1000\n2024-01,NGO-1,2000\n2024-02,NGO-1,-5\n",
    );
    let teams = s.file(
        "teams.csv",
        "id,kind,productivity_m2_per_day\nT-1,manual,400\nT-2,nts,20000\nT-3,ts,4000\n",
    );
    let bad = bad_hazards.to_str().unwrap();
    let hist = history.to_str().unwrap();
    let teams = teams.to_str().unwrap();
    let cases: [&[&str]; 9] = [
        &["import", "hazards", bad],
        &["strategy", "--deadline", "2001-01-01"],
        &["strategy", "--teams", teams, "--deadline", "2001-01-01"],
        &["plan", "--teams", teams, "--start", "2025-13-01"],
        &["strategy", "--max-residual-items", "-1"],
        &["forecast", "--history", hist, "--remaining-m2", "100000"],
        &["forecast", "--history", hist, "--columns", "month=when"],
        &["show", "hazards", "HZ-404"],
        &["amend", "hazards", "HZ-1", "--set", "class", "--reason", "typo"],
    ];
    for args in cases {
        let (code, _, english) = s.run(args);
        assert_eq!(code, 2, "{args:?}: {english}");
        assert!(english.starts_with("error: "), "{args:?}: {english}");
        let mut uk_args = vec!["--lang", "uk"];
        uk_args.extend_from_slice(args);
        let (code, _, ukrainian) = s.run(&uk_args);
        assert_eq!(code, 2, "{args:?}: {ukrainian}");
        assert!(ukrainian.starts_with("помилка: "), "{args:?}: {ukrainian}");
        assert_eq!(english_runs(&ukrainian), Vec::<String>::new(), "{args:?}:\n{ukrainian}");
        assert_eq!(
            english.lines().count(),
            ukrainian.lines().count(),
            "{args:?}:\n{english}\n{ukrainian}"
        );
        assert_ne!(english, ukrainian);
        // Names and ids reach the reader as they were written.
        for kept in [
            "bad.geojson",
            "HZ-9",
            "XHA",
            "HZ-10",
            "history.csv",
            "HZ-404",
            "2001-01-01",
        ] {
            assert_eq!(
                english.contains(kept),
                ukrainian.contains(kept),
                "{args:?} {kept}:\n{english}\n{ukrainian}"
            );
        }
    }
}

/// The command line's own refusals (an unknown command, a bad value, a missing argument) read
/// in Ukrainian too, with clap's exit code; English stays as clap writes it.
#[test]
fn command_line_mistakes_read_in_ukrainian() {
    for args in [
        &["plann"][..],
        &["import"],
        &["strategy", "--runs", "-5"],
        &["plan", "--calendar", "sometimes"],
        &["plan", "--no-such-option"],
    ] {
        let run = |lang: &str| {
            let mut c = bin();
            c.args(["--lang", lang]).args(args);
            let out = c.output().expect("run demine");
            (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let (en_code, english) = run("en");
        let (uk_code, ukrainian) = run("uk");
        assert_eq!(en_code, Some(2), "{args:?}: {english}");
        assert_eq!(uk_code, en_code, "{args:?}: {ukrainian}");
        assert!(english.starts_with("error: "), "{args:?}: {english}");
        assert!(ukrainian.starts_with("помилка: "), "{args:?}: {ukrainian}");
        assert!(ukrainian.contains("Докладніше: '--help'."), "{args:?}: {ukrainian}");
        assert_eq!(english_runs(&ukrainian), Vec::<String>::new(), "{args:?}:\n{ukrainian}");
        assert_eq!(
            english.lines().count(),
            ukrainian.lines().count(),
            "{english}\n{ukrainian}"
        );
    }
}
