//! `demine --help` in Ukrainian. clap writes help from the English doc comments of
//! [`crate::cli`] and its own English words; for Ukrainian the command tree is built, then every
//! about and help text is replaced from the help's table (`demine_app::text::uk_help`), and
//! clap's English (headings, the bracketed `[default: …]` facts) is hidden and written again in
//! Ukrainian. The English help never comes here, so it stays exactly as clap writes it.

use clap::builder::StyledStr;
use clap::{Arg, Command};
use demine_app::text::{tr_message, uk_help, Lang};
use std::ffi::OsString;

/// The language of the help, decided before clap parses (clap prints help while parsing): the
/// last `--lang` of the command line that names a language, else $DEMINE_LANG, else the locale.
pub fn lang_of(args: &[OsString], var: impl Fn(&str) -> Option<String>) -> Lang {
    let mut asked = None;
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--lang") {
            Some("") => args.next(),
            Some(rest) => rest.strip_prefix('=').map(|v| v.to_owned().into()),
            None => None,
        };
        if let Some(lang) = value.as_deref().and_then(Lang::parse) {
            asked = Some(lang);
        }
    }
    asked
        .or_else(|| var("DEMINE_LANG").as_deref().and_then(Lang::parse))
        .unwrap_or_else(|| crate::cli::locale_lang(var))
}

/// Ends the process on clap's refusal of the command line, in `lang`: its help and version as
/// clap prints them (the help is already in `lang`), a refusal translated line by line (plain,
/// without clap's colours, in Ukrainian), with clap's exit code.
pub fn exit_on(error: clap::Error, lang: Lang) -> ! {
    use clap::error::ErrorKind;
    let shows_help = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if lang == Lang::En || shows_help {
        error.exit()
    }
    eprint!("{}", tr_message(lang, &error.render().to_string()));
    std::process::exit(error.exit_code())
}

/// The command tree with its help in Ukrainian; parsing is unchanged.
pub fn in_ukrainian(mut cmd: Command) -> Command {
    build_every_command(&mut cmd);
    translate(cmd)
}

/// Builds every command as the parser would on reaching it, so that each has clap's `--help`,
/// `--version` and the global args to translate. Not [`Command::build`]: it also copies the
/// whole tree under `help` (for shell completion), which `demine help help` would then list.
fn build_every_command(cmd: &mut Command) {
    // Rendering the usage builds this one command; clap has no other public way.
    let _ = cmd.render_usage();
    for sub in cmd.get_subcommands_mut() {
        build_every_command(sub);
    }
}

/// The Ukrainian of a help text; as given when the table lacks it (a test sees that it does not).
fn uk(en: &StyledStr) -> String {
    let en = en.to_string();
    uk_help(&en).map_or(en, str::to_owned)
}

fn translate(cmd: Command) -> Command {
    // The default template with "Usage:" in Ukrainian, styled as clap styles it.
    let usage = cmd.get_styles().get_usage();
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{usage}Використання:{usage:#} {{usage}}\n\n{{all-args}}{{after-help}}"
    );
    let about = cmd.get_about().map(uk);
    let long_about = cmd.get_long_about().map(uk);
    let mut cmd = cmd.help_template(template).subcommand_help_heading("Команди");
    if let Some(about) = about {
        cmd = cmd.about(about);
    }
    if let Some(long_about) = long_about {
        cmd = cmd.long_about(long_about);
    }
    cmd.mut_args(translate_arg).mut_subcommands(translate)
}

/// One argument's help, heading and bracketed facts in Ukrainian, laid out as clap lays out the
/// English: in `-h` the facts follow the help on its line; in `--help` a list of possible values
/// with their help, then the facts one a line, each part a paragraph.
fn translate_arg(arg: Arg) -> Arg {
    let help = arg.get_help().map(uk);
    let long_help = arg.get_long_help().map(uk);
    let takes_values = arg.get_num_args().unwrap_or_else(|| 1.into()).takes_values();
    let mut facts = Vec::new();
    if let Some(env) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        let mut fact = env.to_string_lossy().into_owned();
        if !arg.is_hide_env_values_set() {
            let value = std::env::var_os(env).unwrap_or_default();
            fact = format!("{fact}={}", value.to_string_lossy());
        }
        facts.push(format!("[змінна середовища: {fact}]"));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|d| quoted(&d.to_string_lossy()))
        .collect();
    if takes_values && !arg.is_hide_default_value_set() && !defaults.is_empty() {
        facts.push(format!("[типово: {}]", defaults.join(" ")));
    }
    let short_aliases = arg.get_visible_short_aliases().unwrap_or_default();
    let aliases = arg.get_visible_aliases().unwrap_or_default();
    let visible_aliases: Vec<String> = (short_aliases.iter().map(|a| format!("-{a}")))
        .chain(aliases.iter().map(|a| format!("--{a}")))
        .collect();
    match visible_aliases.len() {
        0 => {}
        1 => facts.push(format!("[псевдонім: {}]", visible_aliases[0])),
        _ => facts.push(format!("[псевдоніми: {}]", visible_aliases.join(", "))),
    }
    let values: Vec<_> = if arg.is_hide_possible_values_set() {
        Vec::new()
    } else {
        arg.get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .collect()
    };
    // clap lists the values with their help in `--help` when any has help, else names them.
    let values_listed = values.iter().any(|v| v.get_help().is_some());
    let values_named = (!values.is_empty()).then(|| {
        format!(
            "[можливі значення: {}]",
            values
                .iter()
                .map(|v| quoted(v.get_name()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let values_list = values_listed.then(|| {
        let width = values.iter().map(|v| v.get_name().chars().count()).max().unwrap_or(0);
        let lines = values.iter().map(|v| match v.get_help() {
            Some(help) => format!(
                "- {}: {:pad$}{}",
                v.get_name(),
                "",
                uk(help),
                pad = width - v.get_name().chars().count()
            ),
            None => format!("- {}", v.get_name()),
        });
        std::iter::once("Можливі значення:".to_owned())
            .chain(lines)
            .collect::<Vec<_>>()
            .join("\n")
    });

    // `-h`: the help, then the facts on its line.
    let mut short_facts = facts.clone();
    short_facts.extend(values_named.clone());
    let short_text = help.clone().or_else(|| long_help.clone());
    let short = paragraphs(" ", [short_text, Some(short_facts.join(" "))]);
    // `--help`: the help, the values with theirs, the facts one a line; each a paragraph.
    let mut long_facts = facts;
    long_facts.extend(values_named.filter(|_| !values_listed));
    let long = paragraphs("\n\n", [long_help.or(help), values_list, Some(long_facts.join("\n"))]);

    // clap names its default headings in English; a custom one is in the table (tested).
    let heading = match arg.get_help_heading() {
        Some(custom) => uk_help(custom),
        None if arg.is_positional() => Some("Аргументи"),
        None => Some("Параметри"),
    };
    let mut arg = arg
        .help_heading(heading)
        .hide_env(true)
        .hide_default_value(true)
        .hide_possible_values(true);
    if let Some(index) = arg.get_index() {
        // Under a heading of its own, clap sorts positionals as options (display order, then
        // name); their index keeps them in the order of the usage, as under "Arguments".
        arg = arg.display_order(index);
    }
    if !visible_aliases.is_empty() {
        // The same aliases, hidden, as clap would name them in English. It takes a name it
        // does not own only as `&'static str`: a few bytes, once.
        let all_aliases: Vec<&'static str> = (arg.get_all_aliases().unwrap_or_default().into_iter())
            .map(|a| &*Box::leak(a.to_owned().into_boxed_str()))
            .collect();
        let all_short: Vec<char> = arg.get_all_short_aliases().unwrap_or_default();
        arg = arg
            .alias(None)
            .short_alias(None)
            .aliases(all_aliases)
            .short_aliases(all_short);
    }
    if !short.is_empty() {
        arg = arg.help(short);
    }
    if !long.is_empty() {
        arg = arg.long_help(long);
    }
    arg
}

/// The parts that are there and not empty, joined by `separator`.
fn paragraphs(separator: &str, parts: impl IntoIterator<Item = Option<String>>) -> String {
    parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// A value as clap shows it in the facts: quoted when empty or holding whitespace.
fn quoted(value: &str) -> String {
    if value.is_empty() || value.contains(char::is_whitespace) {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The command tree as `main` parses with it, every command built.
    fn built() -> Command {
        let mut cmd = crate::negative_numbers_are_values(crate::cli::Cli::command());
        build_every_command(&mut cmd);
        cmd
    }

    /// Every text of the tree that the help shows (abouts, argument helps, possible values'
    /// helps, custom headings), each once, in the order of the tree, with the command it is
    /// first seen in.
    fn english_texts(cmd: &Command, path: &str, out: &mut Vec<(String, String)>) {
        let mut texts: Vec<String> = Vec::new();
        let text = |s: Option<&StyledStr>| s.map(|s| s.to_string());
        texts.extend(text(cmd.get_about()));
        texts.extend(text(cmd.get_long_about()));
        for arg in cmd.get_arguments() {
            texts.extend(text(arg.get_help()));
            texts.extend(text(arg.get_long_help()));
            for value in arg.get_possible_values() {
                texts.extend(text(value.get_help()));
            }
            texts.extend(arg.get_help_heading().map(str::to_owned));
        }
        for t in texts {
            if !out.iter().any(|(_, seen)| *seen == t) {
                out.push((path.to_owned(), t));
            }
        }
        for sub in cmd.get_subcommands() {
            english_texts(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    /// Every command of the tree, as the path of names below the top (the top: empty).
    fn paths(cmd: &Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut sub_path = path.clone();
            sub_path.push(sub.get_name().to_owned());
            paths(sub, sub_path, out);
        }
        out.push(path);
    }

    fn find<'a>(cmd: &'a mut Command, path: &[String]) -> &'a mut Command {
        path.iter()
            .fold(cmd, |c, name| c.find_subcommand_mut(name).expect("a subcommand"))
    }

    /// What a help lists, in order: its headings (clap's in English) and the commands and
    /// arguments under them, without their help texts.
    fn layout(help: &str) -> Vec<String> {
        let headings = [
            ("Використання:", "Usage:"),
            ("Команди:", "Commands:"),
            ("Аргументи:", "Arguments:"),
            ("Параметри:", "Options:"),
        ];
        // The about comes before the usage, and a line of it may end with ':'.
        help.lines()
            .skip_while(|line| {
                !headings
                    .iter()
                    .any(|(uk, en)| line.starts_with(uk) || line.starts_with(en))
            })
            .filter_map(|line| {
                if let Some((uk, en)) = headings
                    .iter()
                    .find(|(uk, en)| line.starts_with(uk) || line.starts_with(en))
                {
                    return Some(line.replacen(uk, en, 1));
                }
                // An entry starts at column 2, or at 6 for an option without a short name; the
                // lines of help texts start further right.
                let entry = (line.starts_with("  ") && !line[2..].starts_with(' '))
                    || (line.starts_with("      --") && !line.starts_with("       "));
                // A custom heading's own words are checked against the table elsewhere.
                if !line.starts_with(' ') && line.ends_with(':') {
                    return Some("<heading>:".to_owned());
                }
                entry.then(|| line.trim_start().split("  ").next().unwrap_or("").to_owned())
            })
            .collect()
    }

    #[test]
    fn ukrainian_help_lists_what_the_english_lists_in_its_order() {
        let mut english = built();
        let mut ukrainian = in_ukrainian(crate::negative_numbers_are_values(crate::cli::Cli::command()));
        let mut all = Vec::new();
        paths(&english, Vec::new(), &mut all);
        assert!(all.len() > 50, "{}", all.len());
        let clap_english = [
            "Usage:",
            "Commands:",
            "Arguments:",
            "Options:",
            "Print help",
            "Print version",
            "[default:",
            "[env:",
            "[possible values:",
            "[alias",
            "Possible values:",
        ];
        for path in &all {
            let (en, uk) = (find(&mut english, path), find(&mut ukrainian, path));
            for (en, uk) in [
                (en.render_help(), uk.render_help()),
                (en.render_long_help(), uk.render_long_help()),
            ] {
                let (en, uk) = (en.to_string(), uk.to_string());
                assert_eq!(layout(&uk), layout(&en), "demine {}:\n{uk}", path.join(" "));
                for words in clap_english {
                    assert!(!uk.contains(words), "{words:?} in demine {}:\n{uk}", path.join(" "));
                }
            }
        }
    }

    #[test]
    fn the_help_language_is_known_before_parsing() {
        let argv = |args: &[&str]| -> Vec<OsString> {
            std::iter::once("demine")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect()
        };
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |v: &str| vars.iter().find(|(k, _)| *k == v).map(|(_, x)| x.to_string())
        };
        let lang = |args: &[&str], vars: &'static [(&'static str, &'static str)]| lang_of(&argv(args), env(vars));
        assert_eq!(lang(&["--help"], &[]), Lang::En);
        assert_eq!(lang(&["--lang", "uk", "--help"], &[]), Lang::Uk);
        assert_eq!(lang(&["import", "--help", "--lang=ua"], &[]), Lang::Uk);
        assert_eq!(lang(&["--lang", "uk", "status", "--lang", "en", "-h"], &[]), Lang::En);
        // A language demine does not know, or `--lang` after `--`, asks for nothing.
        assert_eq!(lang(&["--lang", "fr", "-h"], &[("DEMINE_LANG", "uk")]), Lang::Uk);
        assert_eq!(lang(&["show", "--", "--lang", "uk"], &[]), Lang::En);
        // `--lang` wins over $DEMINE_LANG, which wins over the locale.
        assert_eq!(lang(&["--lang", "en", "-h"], &[("DEMINE_LANG", "uk")]), Lang::En);
        assert_eq!(
            lang(&["-h"], &[("DEMINE_LANG", "en"), ("LANG", "uk_UA.UTF-8")]),
            Lang::En
        );
        assert_eq!(lang(&["-h"], &[("LANG", "uk_UA.UTF-8")]), Lang::Uk);
    }

    #[test]
    fn every_help_text_has_its_ukrainian_and_every_entry_is_used() {
        let mut texts = Vec::new();
        english_texts(&built(), "demine", &mut texts);
        // What is missing, as the table's lines under the command that shows it first.
        let (mut missing, mut count, mut last_path) = (String::new(), 0, "");
        for (path, text) in texts.iter().filter(|(_, t)| uk_help(t).is_none()) {
            if path != last_path {
                missing.push_str(&format!("    // {path}\n"));
                last_path = path;
            }
            missing.push_str(&format!("    ({text:?}, \"\"),\n"));
            count += 1;
        }
        assert!(count == 0, "{count} help texts have no Ukrainian:\n{missing}");
        let stale: Vec<&str> = demine_app::text::uk_help_entries()
            .iter()
            .map(|(en, _)| *en)
            .filter(|en| !texts.iter().any(|(_, t)| t == en))
            .collect();
        assert!(stale.is_empty(), "not in the help any more: {stale:#?}");
    }
}
