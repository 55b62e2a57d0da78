//! `fieldkit-server`: argument parsing only; the work is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use fieldkit_sync_server::admin_users::console;
use fieldkit_sync_server::config::{Config, DatabaseUrl, LogFormat};
use fieldkit_sync_server::store::{self, PublishOutcome, Store};
use fieldkit_sync_server::{admin, admin_web, xlsform};
use time::OffsetDateTime;
use uuid::Uuid;

mod cli_accounts;

#[derive(Parser)]
#[command(
    name = "fieldkit-server",
    version,
    about = "Fieldkit sync server and admin commands"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        place: Place,
        /// Address to listen on (overrides config and FIELDKIT_LISTEN).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Lint, show, publish and import research protocols.
    #[command(subcommand)]
    Protocol(ProtocolCommand),
    /// Enrol, list and revoke researchers' devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Add, list, disable, enable, remove web users and set passwords.
    #[command(subcommand)]
    User(cli_accounts::UserCommand),
    /// Read the audit log and apply its retention (R22).
    #[command(subcommand)]
    Audit(cli_accounts::AuditCommand),
    /// Write an export of a protocol's records (audited, R22).
    Export {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        protocol: String,
        /// csv-wide, csv-long, json, codebook or methodology.
        #[arg(long)]
        format: String,
        /// Age groups over whole-year ages.
        #[arg(long, default_value = fieldkit_sync_server::export::ages::DEFAULT_AGE_GROUPS)]
        age_groups: String,
        /// Output file (standard output if absent).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Publish every shipped protocol with the demo study (values that say
    /// they are not real) and print a demo enrolment code.
    Demo {
        #[command(flatten)]
        place: Place,
    },
    /// Copy everything from a SQLite data folder into PostgreSQL and check
    /// the copy (row counts and content hashes). Safe to run again.
    Migrate {
        /// The data folder holding fieldkit.sqlite3.
        #[arg(long)]
        from: PathBuf,
        /// postgres:// URL of the target database (FIELDKIT_DATABASE if absent).
        #[arg(long, env = "FIELDKIT_DATABASE", hide_env_values = true)]
        to: String,
    },
}

#[derive(Subcommand)]
enum ProtocolCommand {
    /// Check protocol files; exits non-zero on any error.
    Lint {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Study file merged into each protocol first (organisation,
        /// referral contacts, sites), as `publish --study` does.
        #[arg(long)]
        study: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print a protocol's outline.
    Show {
        file: PathBuf,
        /// Language code; the protocol's first language by default.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Publish protocol versions (refused with lint errors, placeholders
    /// included, or if the version exists with other content).
    Publish {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Study file merged into each protocol: the study's organisation,
        /// referral contacts and sites (see docs/protocols.md).
        #[arg(long)]
        study: Option<PathBuf>,
        #[command(flatten)]
        place: Place,
    },
    /// List published versions.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Convert an XLSForm spreadsheet into a protocol TOML draft.
    ImportXlsform {
        form: PathBuf,
        /// Where to write the TOML (standard output if absent).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Make a one-time enrolment code for a researcher's phone.
    Enrol {
        #[arg(long)]
        researcher: String,
        /// Languages the researcher speaks (R14), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "en")]
        languages: Vec<String>,
        #[command(flatten)]
        place: Place,
    },
    /// List enrolled devices.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Revoke a device's token.
    Revoke {
        id: Uuid,
        #[command(flatten)]
        place: Place,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Where the data lives: a config file and/or `--data DIR`.
#[derive(Args)]
struct Place {
    /// TOML config file; optional, defaults are embedded.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data folder (overrides config and FIELDKIT_DATA).
    #[arg(long)]
    data: Option<PathBuf>,
    /// PostgreSQL URL instead of the SQLite file in the data folder
    /// (overrides config and FIELDKIT_DATABASE; may hold a password, so
    /// prefer the variable on shared machines).
    #[arg(long)]
    database: Option<String>,
}

impl Place {
    fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        config.apply_env(|name| std::env::var(name).ok())?;
        if let Some(data) = &self.data {
            config.data.clone_from(data);
        }
        if let Some(url) = &self.database {
            config.database = Some(DatabaseUrl::new(url.clone()));
        }
        config.validate()?;
        Ok(config)
    }

    fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(store::open(&self.config()?)?)
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into())
        // The PostgreSQL driver's debug lines carry every statement's
        // parameters: envelopes with children's answers, token hashes.
        // Capped whatever RUST_LOG asks, so a debug log stays shareable.
        .add_directive("tokio_postgres=info".parse().expect("a valid directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    match cli.command {
        Command::Serve { place, listen } => {
            let mut config = place.config()?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            init_logging(config.log_format);
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(config.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", config.listen))?;
                fieldkit_sync_server::serve(config, listener).await?;
                anyhow::Ok(())
            })?;
        }
        Command::Protocol(command) => return protocol(command, now),
        Command::Device(command) => device(command, now)?,
        Command::User(command) => cli_accounts::user(command, now)?,
        Command::Audit(command) => cli_accounts::audit(command, now)?,
        Command::Export {
            place,
            protocol,
            format,
            age_groups,
            output,
        } => admin_web::export(
            &*place.store()?,
            &protocol,
            &format,
            &age_groups,
            output.as_deref(),
            now,
        )?,
        Command::Demo { place } => {
            let config = place.config()?;
            let store = store::open(&config)?;
            let report = admin::demo(&*store, config.enrol_code_days, now)?;
            for (id, version, outcome) in &report.published {
                println!("{id} v{version}: {}", describe(outcome));
            }
            println!(
                "Demo enrolment code (researcher \"{}\"): {}",
                admin::DEMO_RESEARCHER,
                report.code.expose()
            );
        }
        Command::Migrate { from, to } => migrate(&from, &to)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn migrate(from: &Path, to: &str) -> anyhow::Result<()> {
    use fieldkit_sync_server::store::postgres::copy::{self, MigrateError};
    let file = from.join("fieldkit.sqlite3");
    anyhow::ensure!(
        file.is_file(),
        "no Fieldkit database in {} (expected {}); name the folder given as --data to the server",
        from.display(),
        file.display()
    );
    let source = store::SqliteStore::open(&file)?;
    let target = store::PgStore::connect(&store::PgOptions::new(to))?;
    let print = |report: &[copy::TableCopy]| {
        for t in report {
            println!(
                "{:<20} {:>9} rows in SQLite, {:>9} copied now, {:>9} in PostgreSQL  {}",
                t.table,
                t.source_rows,
                t.copied,
                t.target_rows,
                if t.matches() {
                    "same content"
                } else {
                    "DIFFERS"
                }
            );
        }
    };
    match copy::sqlite_to_postgres(&source, &target) {
        Ok(report) => {
            print(&report);
            println!(
                "Copied and checked: every table has the same rows and content. Start the servers with database = \"{}\".",
                store::postgres::redacted(to)
            );
            Ok(())
        }
        Err(MigrateError::Differs { tables, report }) => {
            print(&report);
            Err(MigrateError::Differs { tables, report }.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn describe(outcome: &PublishOutcome) -> &'static str {
    match outcome {
        PublishOutcome::Published => "published",
        PublishOutcome::AlreadyPublished => "already published, unchanged",
        PublishOutcome::Refused { .. } => "refused",
    }
}

fn protocol(command: ProtocolCommand, now: OffsetDateTime) -> anyhow::Result<ExitCode> {
    match command {
        ProtocolCommand::Lint {
            files,
            study,
            format,
        } => {
            let study = match study.as_deref().map(admin::read_study) {
                Some(Ok(study)) => Some(study),
                Some(Err(lines)) => {
                    for line in &lines {
                        eprintln!("{}", line.render());
                    }
                    return Ok(ExitCode::FAILURE);
                }
                None => None,
            };
            let lines = admin::lint_files(&files, study.as_ref());
            match format {
                Format::Text => {
                    for line in &lines {
                        println!("{}", line.render());
                    }
                    let errors = lines
                        .iter()
                        .filter(|l| l.severity == fieldkit_protocols::lint::Severity::Error)
                        .count();
                    eprintln!(
                        "{} file(s), {errors} error(s), {} warning(s)",
                        files.len(),
                        lines.len() - errors
                    );
                }
                Format::Json => println!("{}", serde_json::to_string_pretty(&lines)?),
            }
            if admin::has_errors(&lines) {
                return Ok(ExitCode::FAILURE);
            }
        }
        ProtocolCommand::Show { file, lang } => {
            print!("{}", admin::show_file(&file, lang.as_deref())?);
        }
        ProtocolCommand::Publish {
            files,
            study,
            place,
        } => {
            let store = place.store()?;
            let study = study.as_deref().map(admin::StudyFile::read).transpose()?;
            for file in &files {
                let (protocol, outcome) = admin::publish_file(&*store, file, study.as_ref(), now)?;
                println!(
                    "{} v{} ({}): {}",
                    protocol.id,
                    protocol.version,
                    protocol.content_hash(),
                    describe(&outcome)
                );
            }
        }
        ProtocolCommand::List { place } => {
            for p in place.store()?.protocols()? {
                println!(
                    "{} v{}  {}  published {}",
                    p.protocol_id,
                    p.version,
                    p.content_hash,
                    p.published_at.date()
                );
            }
        }
        ProtocolCommand::ImportXlsform { form, output } => {
            import_xlsform(&form, output.as_deref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import_xlsform(form: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let bytes = std::fs::read(form).with_context(|| format!("cannot read {}", form.display()))?;
    let name = form.file_name().map_or_else(
        || form.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // `select_one_from_file towns.csv` reads the file beside the form, as ODK does.
    let folder = form.parent().unwrap_or(Path::new("."));
    let imported =
        xlsform::import_with_files(&bytes, &name, &|file| std::fs::read(folder.join(file)).ok())?;
    match output {
        Some(out) => {
            std::fs::write(out, &imported.toml)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
        None => print!("{}", imported.toml),
    }
    if !imported.checklist.is_empty() {
        eprintln!("Before publishing, check:");
        for item in &imported.checklist {
            eprintln!("  - {item}");
        }
    }
    Ok(())
}

fn device(command: DeviceCommand, now: OffsetDateTime) -> anyhow::Result<()> {
    match command {
        DeviceCommand::Enrol {
            researcher,
            languages,
            place,
        } => {
            let config = place.config()?;
            let store = store::open(&config)?;
            let code = admin::enrol(
                &*store,
                &researcher,
                &languages,
                config.enrol_code_days,
                now,
            )?;
            store.audit(&console(), "enrol_device", researcher.trim(), now)?;
            println!("One-time enrolment code: {}", code.expose());
            println!(
                "Valid for {} days. Type it into the app's enrolment screen.",
                config.enrol_code_days
            );
        }
        DeviceCommand::List { place } => {
            let devices = place.store()?.devices()?;
            print!("{}", admin::render_devices(&devices));
        }
        DeviceCommand::Revoke { id, place } => {
            let store = place.store()?;
            admin::revoke(&*store, id, now)?;
            store.audit(&console(), "revoke_device", &id.to_string(), now)?;
            println!("Device {id} revoked; its token no longer works.");
        }
    }
    Ok(())
}
