//! One arm per subcommand: arguments → a use case of `demine-app` → text or JSON → exit code.

use crate::cli::{
    AuditCommand, CapacityArgs, CertificateArgs, Cli, Command, ForecastArgs, Kind, LanesArgs, PlanArgs, PlanInput,
    ProfileCommand, ProgressCommand, QaCommand, ResidualArgs, RiskCommand, Scale, UserCommand,
};
use crate::ui::{say, Bars};
use demine_app::release::By;
use demine_app::text::{
    self, evaluate_text, groups_text, history_text, release_text, show_text, thousands, tr, tr_any, tr_fill,
    tr_message, Lang,
};
use demine_app::{Actor, AppError, AppResult, Location, Progress, RecordKind, Registry};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status for input that was refused: nothing was written.
pub const EXIT_REFUSED: u8 = 2;

/// Runs the command and turns its outcome into an exit code, printing refusals.
pub async fn run(cli: Cli) -> ExitCode {
    let json = wants_json(&cli.command);
    let max_problems = match &cli.command {
        Command::Import { max_problems, .. } => *max_problems,
        _ => usize::MAX,
    };
    let lang = cli.lang();
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => report_error(&e, json, max_problems, lang),
    }
}

fn wants_json(c: &Command) -> bool {
    match c {
        Command::Init { json }
        | Command::Import { json, .. }
        | Command::Amend { json, .. }
        | Command::Retire { json, .. }
        | Command::Show { json, .. }
        | Command::Layers { json }
        | Command::Release { json, .. }
        | Command::Status { json }
        | Command::Check { json, .. }
        | Command::Log { json, .. }
        | Command::Demo { json, .. }
        | Command::Priority { json, .. }
        | Command::Backup { json, .. }
        | Command::Restore { json, .. }
        | Command::Migrate { json, .. }
        | Command::User {
            command: UserCommand::List { json },
        }
        | Command::Audit {
            command: AuditCommand::Verify { json, .. },
        } => *json,
        Command::Profile {
            command: ProfileCommand::Check { json, .. },
        } => *json,
        Command::Serve { .. } | Command::User { .. } | Command::Audit { .. } | Command::Profile { .. } => false,
        Command::Plan(a) => a.json,
        Command::Forecast(a) => a.json,
        Command::Capacity(a) => a.json,
        Command::Strategy(a) => a.json,
        Command::Residual(a) => a.json,
        Command::Certificate(a) => a.json,
        Command::Lanes(a) => a.json,
        Command::Progress {
            command: ProgressCommand::Add(a),
        } => a.json,
        Command::Progress {
            command: ProgressCommand::Stats { json },
        } => *json,
        Command::Qa { command } => match command {
            QaCommand::Plan { json, .. } | QaCommand::Sample { json, .. } | QaCommand::Record { json, .. } => *json,
        },
        Command::Risk { command } => match command {
            RiskCommand::Build { json, .. } | RiskCommand::Evaluate { json, .. } => *json,
            RiskCommand::Suggest(a) => a.json,
            RiskCommand::Train { .. } | RiskCommand::Score { .. } => false,
        },
        Command::Export { .. } | Command::Report { .. } => false,
    }
}

/// Prints why a command did not do what was asked, in `lang` (JSON keeps the English the code
/// wrote, for scripts); the exit code says how.
fn report_error(e: &AppError, json: bool, max_problems: usize, lang: Lang) -> ExitCode {
    match e {
        AppError::Refused(r) => {
            if json {
                let v = if r.detail.is_null() {
                    json!({"ok": false, "error": r.to_string(), "problems": r.problems})
                } else {
                    r.detail.clone()
                };
                println!("{v}");
            }
            for n in r.notes.iter().take(max_problems) {
                say(lang, "note", n);
            }
            for p in r.problems.iter().take(max_problems) {
                say(lang, "error", p);
            }
            if r.problems.len() > max_problems {
                eprintln!(
                    "{}",
                    tr_fill(
                        lang,
                        "… and {} more problems (raise --max-problems to see them)",
                        &[&(r.problems.len() - max_problems)]
                    )
                );
            }
            if let Some(h) = &r.hint {
                eprintln!("{}", tr_message(lang, h));
            }
            ExitCode::from(EXIT_REFUSED)
        }
        AppError::NotFound(m)
        | AppError::Stale(m)
        | AppError::Forbidden(m)
        | AppError::Unauthorized(m)
        | AppError::Conflict(m) => {
            if json {
                println!("{}", json!({"ok": false, "error": m}));
            }
            say(lang, "error", m);
            ExitCode::from(EXIT_REFUSED)
        }
        AppError::Internal(e) => {
            if json {
                println!("{}", json!({"ok": false, "error": format!("{e:#}")}));
            }
            say(lang, "error", &format!("{e:#}"));
            ExitCode::from(1)
        }
    }
}

fn actor(cli: &Cli) -> Actor {
    let name = cli
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    Actor::local(&name)
}

async fn open(db: &str) -> AppResult<Registry> {
    Registry::open(&Location::parse(db)?).await
}

fn date(flag: &str, s: &Option<String>) -> AppResult<Option<chrono::NaiveDate>> {
    demine_app::util::parse_opt_date(flag, s.as_deref())
}

fn print_json(v: &impl serde::Serialize) -> AppResult<ExitCode> {
    println!("{}", serde_json::to_string(v).map_err(anyhow::Error::from)?);
    Ok(ExitCode::SUCCESS)
}

/// `import layer NAME FILE` takes two positionals, the other kinds one.
fn layer_target(kind: Kind, target: &str, layer_file: Option<PathBuf>) -> AppResult<(String, PathBuf)> {
    match (kind, layer_file) {
        (Kind::Layer, Some(file)) => Ok((target.to_string(), file)),
        (Kind::Layer, None) => Err(AppError::refused(
            "`layer` needs a NAME and a FILE, e.g. `demine import layer roads roads.geojson`",
        )),
        (_, Some(extra)) => Err(AppError::refused(format!(
            "unexpected second file {}: only `layer` takes a NAME and a FILE",
            extra.display()
        ))),
        (_, None) => Ok((String::new(), PathBuf::from(target))),
    }
}

fn record_kind(kind: Kind) -> AppResult<RecordKind> {
    kind.record_kind()
        .ok_or_else(|| AppError::refused("`layer` is not a record kind here; use hazards, activities, finds, accidents, organisations, teams, progress or qa"))
}

async fn dispatch(cli: Cli) -> AppResult<ExitCode> {
    let actor = actor(&cli);
    let lang = cli.lang();
    let bars = Bars::new(lang);
    match cli.command {
        Command::Init { json } => {
            let i = demine_app::registry::init(&Location::parse(&cli.db)?).await?;
            if json {
                return print_json(&i);
            }
            println!(
                "{}",
                tr_fill(
                    lang,
                    if i.created {
                        "created an empty registry {}"
                    } else {
                        "there already is a registry {}"
                    },
                    &[&i.db]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            kind,
            target,
            layer_file,
            replace,
            upsert,
            reason,
            fix,
            dry_run,
            json,
            format,
            source_layer,
            encoding,
            crs,
            profile,
            strict,
            chunk_rows,
            ..
        } => {
            let opts = demine_app::import::ImportOptions {
                fix,
                dry_run,
                upsert,
                replace,
                reason,
            };
            let src = demine_app::import::SourceOptions {
                format,
                layer: source_layer,
                encoding,
                crs,
                profile,
                strict,
                chunk_rows: Some(chunk_rows as usize),
            };
            let location = Location::parse(&cli.db)?;
            let (name, file) = layer_target(kind, &target, layer_file)?;
            bars.stage(&format!("reading and validating {}", file.display()));
            let done = match kind.record_kind() {
                Some(rk) => demine_app::import::import_file(&location, &actor, rk, &file, &opts, &src).await,
                None => demine_app::import::import_layer_file(&location, &actor, &name, &file, &opts, Some(&src)).await,
            };
            bars.finish();
            let i = done?;
            for n in &i.notes {
                say(lang, "note", &format!("{}: {n}", i.file));
            }
            for w in &i.warnings {
                say(lang, "warning", w);
            }
            if json {
                return print_json(&i);
            }
            if i.dry_run {
                eprintln!(
                    "{}",
                    tr_message(
                        lang,
                        &format!("{}: {} {} valid; --dry-run: nothing written", i.file, i.valid, i.kind)
                    )
                );
            } else {
                print!("{}", text::imported_text(&i, kind == Kind::Layer, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Amend {
            kind,
            id,
            set,
            geometry,
            reason,
            if_version,
            json,
        } => {
            let kind = record_kind(kind)?;
            let mut pairs = Vec::new();
            for s in &set {
                let (f, v) = s.split_once('=').ok_or_else(|| {
                    AppError::refused(format!("--set '{s}': write FIELD=VALUE, e.g. --set class=CHA"))
                })?;
                pairs.push((f.to_string(), v.to_string()));
            }
            let reg = open(&cli.db).await?;
            let a = demine_app::upkeep::Amendment {
                set: pairs,
                geometry_file: geometry,
                geometry: None,
                reason,
                based_on: if_version,
            };
            let c = demine_app::upkeep::amend(&reg, &actor, kind, &id, &a).await?;
            reg.close().await?;
            if json {
                return print_json(&c);
            }
            print!("{}", text::amended_text(kind, &c, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Retire {
            kind,
            id,
            reason,
            cascade,
            if_version,
            json,
        } => {
            let kind = record_kind(kind)?;
            let reg = open(&cli.db).await?;
            let r = demine_app::upkeep::RetireRequest {
                reason,
                cascade,
                based_on: if_version,
            };
            let c = demine_app::upkeep::retire(&reg, &actor, kind, &id, &r).await?;
            reg.close().await?;
            if json {
                return print_json(&c);
            }
            print!("{}", text::retired_text(kind, &c, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { kind, id, json } => {
            let kind = record_kind(kind)?;
            let reg = open(&cli.db).await?;
            let s = demine_app::show::show(&reg, &actor, kind, &id).await?;
            reg.close().await?;
            if json {
                return print_json(&s);
            }
            print!("{}", show_text(&s, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            kind,
            target,
            layer_file,
            as_of,
            format,
            crs,
            encoding,
        } => {
            let (name, file) = layer_target(kind, &target, layer_file)?;
            let as_of = date("--as-of", &as_of)?;
            let eo = demine_app::export::ExportOptions { format, crs, encoding };
            let reg = open(&cli.db).await?;
            let e = match kind.record_kind() {
                Some(rk) => demine_app::export::export_records_with(&reg, &actor, rk, &file, as_of, &eo).await?,
                None => demine_app::export::export_layer_with(&reg, &actor, &name, &file, &eo).await?,
            };
            reg.close().await?;
            let what = match kind {
                Kind::Layer => tr_fill(lang, "features of layer {}", &[&name]),
                Kind::Progress => tr(lang, "daily progress reports").to_string(),
                k => tr_any(lang, record_kind(k)?.as_str()).to_string(),
            };
            eprintln!(
                "{}{}",
                tr_fill(lang, "exported {} {} to {}", &[&e.records, &what, &e.file]),
                if e.synthetic { tr(lang, " (SYNTHETIC data)") } else { "" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Layers { json } => {
            let reg = open(&cli.db).await?;
            let layers = demine_app::export::layers(&reg, &actor).await?;
            if json {
                let v: Vec<_> = layers.iter().map(|(l, n)| json!({"layer": l, "features": n})).collect();
                return print_json(&v);
            }
            print!("{}", text::layers_text(&layers, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Release {
            json,
            csv,
            as_of,
            by,
            from,
            to,
            approved_only,
            timings_json,
        } => {
            let req = demine_app::release::ReleaseRequest {
                as_of: date("--as-of", &as_of)?,
                from: date("--from", &from)?,
                to: date("--to", &to)?,
                by: by.map(By::from),
                approved_only,
            };
            let t0 = std::time::Instant::now();
            let reg = open(&cli.db).await?;
            bars.stage("accounting land release");
            let r = demine_app::release::release(&reg, &actor, &req).await?;
            bars.finish();
            if let Some(path) = timings_json {
                let t = json!({
                    "total_s": t0.elapsed().as_secs_f64(),
                    "read_s": r.read_s,
                    "accounting_s": r.accounting_s,
                    "threads": rayon_threads(),
                });
                demine_io_write(&path, t.to_string().as_bytes())?;
            }
            let as_of = req.as_of.map(|d| d.to_string());
            if csv {
                if let Some((by, groups)) = &r.groups {
                    print!("{}", demine_app::release::groups_csv(*by, groups)?);
                }
                return Ok(ExitCode::SUCCESS);
            }
            if json {
                println!("{}", demine_app::release::release_json(&r));
                return Ok(ExitCode::SUCCESS);
            }
            print!(
                "{}",
                release_text(&r.hazards, &r.release, as_of.as_deref(), r.synthetic, lang)
            );
            if let Some((by, groups)) = &r.groups {
                print!("{}", groups_text(*by, groups, req.from, req.to, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            out,
            as_of,
            from,
            to,
            by,
            no_plan,
            title,
        } => {
            let ext = out.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
            if !matches!(ext.as_deref(), Some("html") | Some("htm") | Some("pdf")) {
                return Err(AppError::refused(format!(
                    "{}: write the report to a .html or .pdf file",
                    out.display()
                )));
            }
            let req = demine_app::report::ReportRequest {
                as_of: date("--as-of", &as_of)?,
                from: date("--from", &from)?,
                to: date("--to", &to)?,
                by: by.into_iter().map(By::from).collect(),
                title,
                plan: !no_plan,
                seed: 1,
                lang: lang.code().to_string(),
            };
            let reg = open(&cli.db).await?;
            let html = demine_app::report::report(&reg, &actor, &req, &bars).await?;
            reg.close().await?;
            if ext.as_deref() == Some("pdf") {
                demine_io_write(&out, &demine_app::report::print_pdf(&html)?)?;
            } else {
                demine_io_write(&out, html.as_bytes())?;
            }
            println!("{}", tr_fill(lang, "report written to {}", &[&out.display()]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let reg = open(&cli.db).await?;
            let s = demine_app::registry::status(&reg, &actor).await?;
            if json {
                return print_json(&s);
            }
            print!("{}", text::status_text(&s, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { json, strict } => {
            let reg = open(&cli.db).await?;
            bars.stage("checking data quality");
            let c = demine_app::registry::check(&reg, &actor).await?;
            bars.finish();
            if json {
                print_json(&c)?;
            } else {
                print!("{}", text::check_text(&c, lang));
            }
            Ok(if c.errors > 0 || (strict && !c.issues.is_empty()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Log { limit, id, json } => {
            let reg = open(&cli.db).await?;
            let q = demine_app::registry::LogQuery {
                limit: Some(limit),
                entity_id: id,
                ..Default::default()
            };
            let entries = demine_app::registry::change_log(&reg, &actor, &q).await?;
            if json {
                return print_json(&entries);
            }
            print!("{}", text::log_text(&entries));
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            out,
            force,
            seed,
            scale,
            json,
        } => {
            let r = demine_app::demo::DemoRequest {
                out,
                force,
                seed,
                scale: match scale {
                    Scale::Small => demine_app::demo::Scale::Small,
                    Scale::Region => demine_app::demo::Scale::Region,
                    Scale::National => demine_app::demo::Scale::National,
                },
                lang,
            };
            let s = demine_app::demo::demo(&actor, &r, &bars).await?;
            let login = demine_app::accounts::demo_admin(&s.db, &actor).await?;
            if json {
                let mut v = s.json.clone();
                v["login"] = json!({"username": login.username, "password": login.password, "synthetic": true});
                println!("{v}");
            } else {
                print!("{}", text::demo_text(&s, &login, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(a) => plan(&cli.db, &actor, a, lang).await,
        Command::Forecast(a) => forecast(&cli.db, &actor, a, &bars, lang).await,
        Command::Capacity(a) => capacity(&cli.db, &actor, a, lang).await,
        Command::Strategy(a) => strategy(&cli.db, &actor, a, &bars, lang).await,
        Command::Risk { command } => risk(&cli.db, &actor, command, &bars, lang).await,
        Command::Priority {
            weights,
            json,
            top,
            csv,
        } => {
            let reg = open(&cli.db).await?;
            let p = demine_app::priority::priority(&reg, &actor, weights.as_deref()).await?;
            if let Some(path) = &csv {
                demine_io_write(path, demine_app::priority::priority_csv(&p.report)?.as_bytes())?;
            }
            if json {
                let mut v = serde_json::to_value(&p.report).map_err(anyhow::Error::from)?;
                v["synthetic"] = p.synthetic.into();
                println!("{v}");
                return Ok(ExitCode::SUCCESS);
            }
            print!(
                "{}",
                demine_app::priority::priority_text(&p.report, top, p.synthetic, lang)
            );
            if let Some(path) = csv {
                println!(
                    "{}",
                    tr_fill(
                        lang,
                        "all {} ranked hazards: {}",
                        &[&p.report.hazards.len(), &path.display()]
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Qa { command } => qa(&cli.db, &actor, command, lang).await,
        Command::Lanes(a) => lanes(&cli.db, &actor, a, lang).await,
        Command::Progress { command } => progress(&cli.db, &actor, command, lang).await,
        Command::Residual(a) => residual(&cli.db, &actor, a, lang).await,
        Command::Certificate(a) => certificate(&cli.db, &actor, a, lang).await,
        Command::Serve {
            addr,
            tls_cert,
            tls_key,
            read_replica,
        } => serve(&cli.db, &addr, tls_cert.zip(tls_key), read_replica.as_deref(), lang).await,
        Command::User { command } => user(&cli.db, &actor, command, lang).await,
        Command::Profile { command } => match command {
            ProfileCommand::Check { file, json } => {
                let p = demine_app::import::check_profile(&file)?;
                if json {
                    return print_json(&p);
                }
                println!(
                    "{}",
                    tr_fill(
                        lang,
                        "profile {} is valid: kind {}, {} field(s) mapped, code lists for {}",
                        &[
                            &p.name,
                            &p.kind,
                            &p.fields,
                            &if p.code_lists.is_empty() {
                                tr(lang, "none").to_string()
                            } else {
                                p.code_lists.join(", ")
                            },
                        ]
                    )
                );
                Ok(ExitCode::SUCCESS)
            }
            ProfileCommand::List => {
                print!("{}", text::profiles_text(&demine_app::import::shipped_profiles()));
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Audit { command } => audit(&cli.db, &actor, command, lang).await,
        Command::Backup { file, json } => {
            let reg = open(&cli.db).await?;
            let bytes = demine_app::audit::backup(&reg, &actor, &file).await?;
            if json {
                return print_json(&json!({"backup": file.display().to_string(), "bytes": bytes}));
            }
            print!("{}", text::backup_text(&file, bytes, &cli.db, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { from, to, json } => {
            let m = demine_app::audit::migrate(&Location::parse(&from)?, &Location::parse(&to)?, &actor, &bars).await?;
            if json {
                return print_json(&m);
            }
            println!("{}", demine_app::text::migrated(&m, lang));
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, json } => {
            let r = demine_app::audit::restore(&file, &Location::parse(&cli.db)?, &actor).await?;
            if json {
                return print_json(&r);
            }
            println!(
                "{}",
                tr_fill(
                    lang,
                    "restored {} into {} (audit log verified: {} entries); the replaced registry, if any, is {}.before-restore",
                    &[
                        &r.from,
                        &r.to,
                        &thousands(lang, r.audit_entries as f64),
                        &r.to.trim_end_matches(".gpkg"),
                    ]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Exit status when the audit log does not hold.
pub const EXIT_TAMPERED: u8 = 3;

async fn serve(
    db: &str,
    addr: &str,
    tls: Option<(PathBuf, PathBuf)>,
    replica: Option<&str>,
    lang: Lang,
) -> AppResult<ExitCode> {
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| AppError::refused(format!("--addr {addr}: {e}; give HOST:PORT, e.g. 127.0.0.1:8080")))?;
    let reg = Registry::open_with_replica(&Location::parse(db)?, replica)
        .await?
        .watching_changes();
    let users = demine_app::accounts::count_users(&reg).await?;
    crate::ui::init_logs();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let tell = |line: &str| eprintln!("{}", tr_message(lang, line));
    tell(&format!(
        "demine serving {} on {scheme}://{addr}",
        reg.location.describe()
    ));
    if let Some(r) = replica {
        tell(&format!(
            "  reads that may lag go to the replica {}",
            demine_app::registry::redact(r)
        ));
    }
    tell(&format!(
        "  API {scheme}://{addr}/api/v1 (docs {scheme}://{addr}/api/v1/docs); log in with POST /api/v1/auth/token"
    ));
    if demine_server::web_app_embedded() {
        tell(&format!("  web application {scheme}://{addr}/"));
    }
    if users == 0 {
        tell(&format!("  no accounts yet: create one with `demine --db {db} user add NAME --role admin` (password on standard input)"));
    }
    if !addr.ip().is_loopback() && tls.is_none() {
        tell("  warning: serving plain HTTP beyond this machine; passwords and tokens cross the network in clear. Give --tls-cert and --tls-key.");
    }
    let state = demine_server::AppState::new(reg);
    demine_server::serve(state, demine_server::ServeOptions { addr, tls })
        .await
        .map_err(AppError::Internal)?;
    Ok(ExitCode::SUCCESS)
}

async fn user(db: &str, actor: &Actor, command: UserCommand, lang: Lang) -> AppResult<ExitCode> {
    use demine_app::accounts;
    let reg = open(db).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            org,
            assigned,
        } => {
            let password = crate::ui::read_password(&tr_message(lang, &format!("password for {username}: ")))?;
            let u = accounts::add_user(
                &reg,
                actor,
                &accounts::NewUser {
                    username,
                    role: role.into(),
                    organisation: org,
                    assigned,
                    password,
                },
            )
            .await?;
            println!(
                "{}",
                tr_fill(
                    lang,
                    "user {} added: {}{}",
                    &[
                        &u.username,
                        &u.role,
                        &u.organisation
                            .map(|o| tr_fill(lang, " of {}", &[&o]))
                            .unwrap_or_default(),
                    ]
                )
            );
        }
        UserCommand::List { json } => {
            let users = accounts::list_users(&reg, actor).await?;
            let rows: Vec<Value> = users
                .iter()
                .map(|u| {
                    json!({"username": u.username, "role": u.role, "organisation": u.organisation,
                           "assigned": u.assigned, "disabled": u.disabled, "locked_until": u.locked_until,
                           "created_at": u.created_at})
                })
                .collect();
            if json {
                return print_json(&rows);
            }
            print!("{}", text::users_text(&users, lang));
        }
        UserCommand::Disable { username } => {
            accounts::set_disabled(&reg, actor, &username, true).await?;
            println!(
                "{}",
                tr_fill(lang, "user {} disabled; their tokens are revoked", &[&username])
            );
        }
        UserCommand::Enable { username } => {
            accounts::set_disabled(&reg, actor, &username, false).await?;
            println!("{}", tr_fill(lang, "user {} enabled", &[&username]));
        }
        UserCommand::Passwd { username } => {
            let password = crate::ui::read_password(&tr_message(lang, &format!("new password for {username}: ")))?;
            accounts::set_password(&reg, actor, &username, &password).await?;
            println!(
                "{}",
                tr_fill(
                    lang,
                    "password of {} changed; the account is unlocked and its tokens revoked",
                    &[&username]
                )
            );
        }
    }
    reg.close().await?;
    Ok(ExitCode::SUCCESS)
}

async fn audit(db: &str, actor: &Actor, command: AuditCommand, lang: Lang) -> AppResult<ExitCode> {
    use demine_app::audit;
    let reg = open(db).await?;
    match command {
        AuditCommand::Verify { checkpoint, json } => {
            let c = checkpoint.as_deref().map(audit::read_checkpoint).transpose()?;
            let v = audit::verify(&reg, actor, c.as_ref()).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&json!({"ok": v.ok(), "verification": v})).map_err(anyhow::Error::from)?
                );
            } else {
                match &v.first_bad {
                    None => println!(
                        "{}",
                        tr_fill(
                            lang,
                            "audit log holds: {} entries, head entry {} ({})",
                            &[
                                &thousands(lang, v.entries as f64),
                                &v.head_seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                                &v.head_hash.as_deref().unwrap_or("-"),
                            ]
                        )
                    ),
                    Some(b) => say(
                        lang,
                        "error",
                        &format!("the audit log does not hold at entry {}: {}", b.seq, b.problem),
                    ),
                }
                if let Some(c) = &v.checkpoint {
                    match &c.problem {
                        None => println!(
                            "{}",
                            tr_fill(
                                lang,
                                "checkpoint holds: entry {} signed by key {}",
                                &[&c.seq, &c.public_key]
                            )
                        ),
                        Some(p) => say(lang, "error", &format!("checkpoint (entry {}): {p}", c.seq)),
                    }
                }
            }
            Ok(if v.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_TAMPERED)
            })
        }
        AuditCommand::Checkpoint { out, key } => {
            let key_path = key.unwrap_or_else(default_audit_key);
            let (key, created) = audit::signing_key(&key_path)?;
            let c = audit::checkpoint(&reg, actor, &key).await?;
            let pretty = serde_json::to_string_pretty(&c).map_err(anyhow::Error::from)?;
            demine_io_write(&out, pretty.as_bytes())?;
            print!("{}", text::checkpoint_text(&c, &out, &key_path, created, lang));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `$XDG_CONFIG_HOME/demine/audit-signing-key.pem` (or under ~/.config).
fn default_audit_key() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("demine").join("audit-signing-key.pem")
}

fn demine_io_write(path: &Path, bytes: &[u8]) -> AppResult<()> {
    demine_app::util::write_file(path, bytes)
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

// ---------------------------------------------------------------- planning

fn plan_input(i: &PlanInput) -> demine_app::plan::PlanInput {
    demine_app::plan::PlanInput {
        tasks: i.tasks.clone(),
        teams: i.teams.clone(),
        start: i.start.clone(),
        calendar: match i.calendar {
            crate::cli::CalendarArg::Working => demine_app::plan::CalendarKind::Working,
            crate::cli::CalendarArg::None => demine_app::plan::CalendarKind::None,
        },
        downtime_rate: i.downtime_rate,
        nts_cancel_share: i.nts_cancel_share,
        ts_reduce_share: i.ts_reduce_share,
        road_factor: i.road_factor,
        speed_km_per_h: i.speed_km_per_h,
        strategy: i.strategy.clone(),
        evidence: i.evidence.settings(),
    }
}

async fn strategy(
    db: &str,
    actor: &Actor,
    a: crate::cli::StrategyArgs,
    bars: &Bars,
    lang: Lang,
) -> AppResult<ExitCode> {
    let reg = open(db).await?;
    let input = demine_app::plan::PlanInput {
        teams: a.teams.clone(),
        start: a.start.clone(),
        evidence: a.evidence.settings(),
        ..Default::default()
    };
    let s = demine_app::strategy::StrategySettings {
        deadline: a.deadline.clone(),
        max_residual_items: a.max_residual_items,
        confidence: a.confidence,
        runs: a.runs,
        seed: a.seed,
        search_budget_s: a.search_budget,
    };
    let r = demine_app::strategy::strategies(&reg, actor, &input, &s, bars).await?;
    if a.json {
        println!("{}", demine_app::strategy::strategies_json(&r, usize::MAX));
    } else {
        print!("{}", text::strategy_text(&r, a.hazards, lang));
    }
    Ok(ExitCode::SUCCESS)
}

async fn forecast_history(db: &str, actor: &Actor, a: &ForecastArgs, history: &str, lang: Lang) -> AppResult<ExitCode> {
    let r = demine_app::plan::HistoryRequest {
        history: history.to_string(),
        columns: a.columns.clone(),
        sum_rows: a.sum_rows,
        cumulative: a.cumulative,
        sheet: a.sheet.clone(),
        encoding: a.encoding.clone(),
        remaining_m2: a.remaining_m2,
        fit_until: a.fit_until.clone(),
        start: a.input.start.clone(),
        runs: a.runs,
        seed: a.seed,
    };
    let needs_db = history.eq_ignore_ascii_case("registry") || (a.fit_until.is_none() && a.remaining_m2.is_none());
    let reg = if needs_db { Some(open(db).await?) } else { None };
    let ans = demine_app::plan::forecast_history(reg.as_ref(), actor, &r).await?;
    if a.json {
        println!("{}", demine_app::plan::history_json(&ans));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", history_text(&ans, a.runs, a.seed, lang));
    Ok(ExitCode::SUCCESS)
}

/// The registry a plan reads, unless both CSVs are given.
async fn plan_registry(db: &str, input: &PlanInput) -> AppResult<Option<Registry>> {
    if input.tasks.is_some() {
        return Ok(None);
    }
    Ok(Some(open(db).await?))
}

/// What loading the plan noted (no risk map, no priorities, odd method settings), on stderr.
fn say_notes(loaded: &demine_app::plan::Loaded, lang: Lang) {
    for n in &loaded.notes {
        say(lang, "note", n);
    }
}

async fn plan(db: &str, actor: &Actor, a: PlanArgs, lang: Lang) -> AppResult<ExitCode> {
    let reg = plan_registry(db, &a.input).await?;
    let settings = demine_app::plan::PlanSettings {
        search_budget_s: a.search_budget,
        seed: a.seed,
        lns_steps: a.lns_steps,
    };
    let p = demine_app::plan::plan(reg.as_ref(), actor, &plan_input(&a.input), &settings).await?;
    say_notes(&p.loaded, lang);
    if let Some(path) = &a.csv {
        demine_io_write(path, demine_app::plan::plan_csv(&p)?.as_bytes())?;
    }
    if let Some(path) = &a.gantt {
        let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        demine_io_write(path, demine_app::plan::gantt(&p, svg, lang.code())?.as_bytes())?;
    }
    if a.json {
        println!("{}", demine_app::plan::plan_json(&p));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", text::plan_text(&p, lang));
    Ok(ExitCode::SUCCESS)
}

async fn forecast(db: &str, actor: &Actor, a: ForecastArgs, bars: &Bars, lang: Lang) -> AppResult<ExitCode> {
    if let Some(h) = &a.history {
        return forecast_history(db, actor, &a, h, lang).await;
    }
    let reg = plan_registry(db, &a.input).await?;
    let s = demine_app::plan::ForecastSettings {
        runs: a.runs,
        seed: a.seed,
        add_teams: a.add_teams.clone(),
        search_budget_s: a.search_budget,
        productivity_sigma: a.productivity_sigma,
    };
    let f = demine_app::plan::forecast(reg.as_ref(), actor, &plan_input(&a.input), &s, bars).await?;
    say_notes(&f.loaded, lang);
    if a.json {
        println!("{}", demine_app::plan::forecast_json(&f));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", text::forecast_text(&f, lang));
    Ok(ExitCode::SUCCESS)
}

async fn capacity(db: &str, actor: &Actor, a: CapacityArgs, lang: Lang) -> AppResult<ExitCode> {
    let reg = plan_registry(db, &a.input).await?;
    let s = demine_app::plan::CapacitySettings {
        deadline: a.deadline.clone(),
        confidence: a.confidence,
        runs: a.runs,
        seed: a.seed,
        search_budget_s: a.search_budget,
        max_rounds: a.max_rounds,
    };
    let c = demine_app::plan::capacity(reg.as_ref(), actor, &plan_input(&a.input), &s).await?;
    say_notes(&c.loaded, lang);
    if a.json {
        println!("{}", demine_app::plan::capacity_json(&c));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", text::capacity_text(&c, lang));
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- risk

fn cells_spec(c: &crate::cli::CellsArgs) -> demine_app::risk::CellsSpec {
    demine_app::risk::CellsSpec {
        cells: c.cells.clone(),
        label: c.label.clone(),
        exclude: c.exclude.clone(),
        model: c.model.into(),
        seed: c.seed,
        unlabelled_value: c.unlabelled_value.clone(),
    }
}

async fn risk(db: &str, actor: &Actor, cmd: RiskCommand, bars: &Bars, lang: Lang) -> AppResult<ExitCode> {
    match cmd {
        RiskCommand::Build {
            res,
            model,
            seed,
            bandwidth_m,
            margin_m,
            region,
            folds,
            cv_max_rows,
            train_max_rows,
            json,
        } => {
            demine_app::risk::check_grid_args(res, bandwidth_m, margin_m)?;
            let region = region.as_deref().map(demine_app::risk::read_region).transpose()?;
            let o = demine_app::risk::BuildOptions {
                resolution: res,
                model: model.into(),
                seed,
                bandwidth_m,
                margin_m,
                region,
                folds,
                cv_max_rows,
                train_max_rows,
            };
            let reg = open(db).await?;
            let m = demine_app::risk::risk_build(&reg, actor, &o, bars).await?;
            let path = reg.name();
            reg.close().await?;
            if json {
                return print_json(&m);
            }
            print!("{}", text::risk_build_text(&m, lang));
            eprintln!("timings (s): {}", m.timings);
            println!(
                "{}",
                tr_fill(
                    lang,
                    "saved: layer risk_cells and hazards.risk_p_any / risk_expected_share in {}",
                    &[&path]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        RiskCommand::Suggest(a) => {
            let region = a.region.as_deref().map(demine_app::risk::read_region).transpose()?;
            let req = demine_app::risk::SuggestRequest {
                resolution: a.res,
                margin_m: a.margin_m,
                region,
                region_file: a.region.clone(),
                bandwidth_m: a.bandwidth_m,
                threshold: a.threshold,
                max: a.max,
                min_cells: a.min_cells,
                model: a.model.into(),
                seed: a.seed,
                out: a.out.clone(),
            };
            let reg = open(db).await?;
            bars.stage("scoring the land around the hazards");
            let s = demine_app::risk::suggest(&reg, actor, &req).await?;
            bars.finish();
            if a.json {
                println!("{}", s.json);
                return Ok(ExitCode::SUCCESS);
            }
            print!("{}", text::risk_suggest_text(&s, &req, lang));
            Ok(ExitCode::SUCCESS)
        }
        RiskCommand::Evaluate {
            cells,
            group,
            folds,
            folds_out,
            json,
        } => {
            let e = demine_app::risk::evaluate(&cells_spec(&cells), &group, folds, folds_out.as_deref(), bars)?;
            if json {
                println!("{}", e.json);
            } else {
                print!("{}", evaluate_text(&e.json, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        RiskCommand::Train { cells, group, out } => {
            let msg = demine_app::risk::train(&cells_spec(&cells), group.as_deref(), &out, bars)?;
            eprintln!("{}", tr_message(lang, &msg));
            Ok(ExitCode::SUCCESS)
        }
        RiskCommand::Score { cells, model, out } => {
            let msg = demine_app::risk::score(&cells, &model, &out)?;
            eprintln!("{}", tr_message(lang, &msg));
            Ok(ExitCode::SUCCESS)
        }
    }
}

// ---------------------------------------------------------------- field work

/// Opens the registry only when a hazard is named (a polygon needs none).
async fn maybe_open(db: &str, needed: bool) -> AppResult<Option<Registry>> {
    if needed {
        Ok(Some(open(db).await?))
    } else {
        Ok(None)
    }
}

async fn qa(db: &str, actor: &Actor, cmd: QaCommand, lang: Lang) -> AppResult<ExitCode> {
    match cmd {
        QaCommand::Plan {
            lot_units,
            lq,
            beta,
            c,
            budget,
            json,
        } => {
            let a = demine_app::field::qa_plan(&demine_app::field::QaPlanRequest {
                lot_units,
                lq,
                beta,
                c,
                budget,
            })?;
            if json {
                return print_json(&a);
            }
            print!("{}", text::qa_plan_text(&a, lang));
            Ok(ExitCode::SUCCESS)
        }
        QaCommand::Sample {
            hazard_id,
            polygon,
            units,
            box_m,
            seed,
            out,
            json,
        } => {
            let reg = maybe_open(db, hazard_id.is_some() && polygon.is_none()).await?;
            let s = demine_app::field::qa_sample(
                reg.as_ref(),
                actor,
                &demine_app::field::QaSampleRequest {
                    hazard_id: hazard_id.as_deref(),
                    polygon: polygon.as_deref(),
                    units,
                    box_m,
                    seed,
                    out: &out,
                },
            )
            .await?;
            if json {
                return print_json(&s);
            }
            print!("{}", text::qa_sample_text(&s, lang));
            Ok(ExitCode::SUCCESS)
        }
        QaCommand::Record {
            hazard_id,
            date,
            lot_units,
            sample_units,
            defects,
            c,
            box_m,
            detection,
            nonconformity,
            inspector,
            id,
            json,
        } => {
            let reg = open(db).await?;
            let rec = demine_app::field::qa_record(
                &reg,
                actor,
                &demine_app::field::QaRecordRequest {
                    hazard_id,
                    date,
                    lot_units,
                    sample_units,
                    defects,
                    c,
                    box_m,
                    detection,
                    nonconformities: nonconformity,
                    inspector,
                    id,
                },
            )
            .await?;
            reg.close().await?;
            if json {
                return print_json(&rec);
            }
            print!("{}", text::qa_record_text(&rec, lang));
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn lanes(db: &str, actor: &Actor, a: LanesArgs, lang: Lang) -> AppResult<ExitCode> {
    let reg = maybe_open(db, a.task_id.is_some() && a.polygon.is_none()).await?;
    let r = demine_app::field::lanes(
        reg.as_ref(),
        actor,
        &demine_app::field::LanesRequest {
            task_id: a.task_id.as_deref(),
            polygon: a.polygon.as_deref(),
            width_m: a.width,
            heading: &a.heading,
            access: a.access.as_deref(),
            boxes_m: a.boxes,
            out: &a.out,
        },
    )
    .await?;
    if a.json {
        println!("{}", r.json);
    } else {
        print!("{}", text::lanes_text(&r, lang));
    }
    Ok(ExitCode::SUCCESS)
}

async fn progress(db: &str, actor: &Actor, cmd: ProgressCommand, lang: Lang) -> AppResult<ExitCode> {
    match cmd {
        ProgressCommand::Add(a) => {
            let reg = open(db).await?;
            let r = demine_app::field::progress_add(
                &reg,
                actor,
                &demine_app::field::ProgressAddRequest {
                    date: &a.date,
                    geometry: None,
                    task: &a.task,
                    team: &a.team,
                    team_kind: a.team_kind.as_deref(),
                    polygon: a.polygon.as_deref(),
                    lanes: a.lanes.as_deref(),
                    lane_plan: a.lane_plan.as_deref(),
                    hours: a.hours,
                    downtime_hours: a.downtime_hours,
                    downtime_reason: a.downtime_reason.as_deref(),
                    finds: a.finds,
                    terrain: a.terrain.as_deref(),
                    id: a.id.as_deref(),
                    max_m2_per_hour: a.max_m2_per_hour.as_deref(),
                    dry_run: a.dry_run,
                },
            )
            .await?;
            reg.close().await?;
            for w in &r.warnings {
                say(lang, "warning", w);
            }
            if a.json {
                return print_json(&r);
            }
            print!("{}", text::progress_added_text(&r, &a.task, a.hours, lang));
            Ok(ExitCode::SUCCESS)
        }
        ProgressCommand::Stats { json } => {
            let reg = open(db).await?;
            let s = demine_app::field::progress_stats(&reg, actor).await?;
            if json {
                return print_json(&s);
            }
            print!("{}", text::progress_stats_text(&s, lang));
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn residual(db: &str, actor: &Actor, a: ResidualArgs, lang: Lang) -> AppResult<ExitCode> {
    let reg = open(db).await?;
    let r = demine_app::field::residual(
        &reg,
        actor,
        &a.hazard_id,
        &demine_app::field::ResidualRequest {
            density_per_m2: a.density_per_m2,
            prior_shape: Some(a.prior_shape.clone()),
            detection: a.detection.clone(),
        },
    )
    .await?;
    if a.json {
        println!("{}", r.json);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", text::residual_text(&r, &a.hazard_id, lang));
    Ok(ExitCode::SUCCESS)
}

async fn certificate(db: &str, actor: &Actor, a: CertificateArgs, lang: Lang) -> AppResult<ExitCode> {
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if !matches!(ext.as_deref(), Some("html") | Some("htm") | Some("pdf")) {
        return Err(AppError::refused(format!(
            "{}: write the certificate to a .html or .pdf file",
            a.out.display()
        )));
    }
    let reg = open(db).await?;
    let c = demine_app::field::certificate(&reg, actor, &a.hazard_id, lang.code(), a.draft).await?;
    demine_app::field::write_certificate(&c, &a.out)?;
    if a.json {
        let mut v = serde_json::to_value(&c).map_err(anyhow::Error::from)?;
        v["out"] = json!(a.out.display().to_string());
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", text::certificate_text(&c, &a.out, lang));
    Ok(ExitCode::SUCCESS)
}
