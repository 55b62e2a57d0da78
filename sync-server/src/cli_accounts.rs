//! `fieldkit-server user ...` and `audit ...`: argument parsing for the web
//! users' lifecycle and the audit log; the work is in `admin_users`.

use std::path::PathBuf;

use clap::Subcommand;
use fieldkit_sync_server::admin_users::{self, console, parse_day};
use fieldkit_sync_server::admin_web::read_password;
use fieldkit_sync_server::store::AuditFilter;
use time::OffsetDateTime;

use crate::Place;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a web user. The password is read from --password-file, or from
    /// standard input (first line), never from the command line.
    Add {
        login: String,
        #[arg(long, value_parser = ["supervisor", "analyst", "admin"])]
        role: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        place: Place,
    },
    /// List web users: role, status, last login.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Stop a user from logging in; their open sessions end at once.
    Disable {
        login: String,
        #[command(flatten)]
        place: Place,
    },
    /// Let a disabled user log in again (also lifts a login lock).
    Enable {
        login: String,
        #[command(flatten)]
        place: Place,
    },
    /// Remove a user; the audit log keeps what they did.
    Remove {
        login: String,
        #[command(flatten)]
        place: Place,
    },
    /// Set a new password (read like `add`'s); the user's sessions end at
    /// once and a login lock is lifted.
    SetPassword {
        login: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        place: Place,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List audit entries, newest first (R22).
    List {
        /// Part of who did it: a login, a role (`Analyst:`), a device id.
        #[arg(long)]
        who: Option<String>,
        /// Part of what was done: `export`, `login_failed`, `view:tables`.
        #[arg(long)]
        action: Option<String>,
        /// First day, YYYY-MM-DD (UTC).
        #[arg(long, value_parser = parse_day)]
        from: Option<time::Date>,
        /// Last day, YYYY-MM-DD (UTC).
        #[arg(long, value_parser = parse_day)]
        to: Option<time::Date>,
        /// Most entries shown.
        #[arg(long, default_value_t = 500)]
        limit: u32,
        /// CSV instead of a table (formula-safe).
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        place: Place,
    },
    /// Drop entries older than the retention (`audit_retention_days`, or
    /// --days). The running server does this once a day too.
    Prune {
        #[arg(long)]
        days: Option<u32>,
        #[command(flatten)]
        place: Place,
    },
}

pub fn user(command: UserCommand, now: OffsetDateTime) -> anyhow::Result<()> {
    let by = console();
    match command {
        UserCommand::Add {
            login,
            role,
            password_file,
            place,
        } => {
            let password = read_password(password_file.as_deref())?;
            admin_users::add(&*place.store()?, &by, &login, &role, &password, now)?;
            println!("Web user {login} ({role}) added.");
        }
        UserCommand::List { place } => {
            print!(
                "{}",
                admin_users::render_users(&place.store()?.web_users()?)
            );
        }
        UserCommand::Disable { login, place } => {
            admin_users::set_disabled(&*place.store()?, &by, &login, true, now)?;
            println!("{login} is disabled; their sessions have ended.");
        }
        UserCommand::Enable { login, place } => {
            admin_users::set_disabled(&*place.store()?, &by, &login, false, now)?;
            println!("{login} can log in again.");
        }
        UserCommand::Remove { login, place } => {
            admin_users::remove(&*place.store()?, &by, &login, now)?;
            println!("{login} is removed; the audit log keeps what they did.");
        }
        UserCommand::SetPassword {
            login,
            password_file,
            place,
        } => {
            let password = read_password(password_file.as_deref())?;
            admin_users::set_password(&*place.store()?, &by, &login, &password, now)?;
            println!("{login} has a new password; their sessions have ended.");
        }
    }
    Ok(())
}

pub fn audit(command: AuditCommand, now: OffsetDateTime) -> anyhow::Result<()> {
    match command {
        AuditCommand::List {
            who,
            action,
            from,
            to,
            limit,
            csv,
            place,
        } => {
            let store = place.store()?;
            let filter = AuditFilter {
                who,
                action,
                from,
                to,
                limit,
            };
            if csv {
                print!(
                    "{}",
                    admin_users::audit_csv(&*store, &console(), &filter, now)?
                );
            } else {
                let entries = store.audit_entries(&console(), &filter)?;
                print!("{}", admin_users::render_entries(&entries));
            }
        }
        AuditCommand::Prune { days, place } => {
            let config = place.config()?;
            let days = days.unwrap_or(config.audit_retention_days);
            let store = fieldkit_sync_server::store::open(&config)?;
            let dropped = admin_users::prune_audit(&*store, days, now)?;
            if days == 0 {
                println!("Retention is 0 (keep everything): nothing dropped.");
            } else {
                println!("{dropped} audit entr(y/ies) older than {days} days dropped.");
            }
        }
    }
    Ok(())
}
