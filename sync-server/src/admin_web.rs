//! The operator's commands for the web side: `user add` and `export`.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::access::{Principal, Role};
use crate::export::{write_export, AgeGroups, Format};
use crate::store::Store;

/// The first line of `file`, or of standard input.
pub fn read_password(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    match file {
        Some(path) => {
            let text =
                Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the password file {}", path.display())
                })?);
            line.push_str(text.lines().next().unwrap_or(""));
        }
        None => {
            std::io::stdin().lock().read_line(&mut line)?;
        }
    }
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if trimmed.is_empty() {
        anyhow::bail!("no password given; give it on standard input or with --password-file");
    }
    Ok(trimmed)
}

pub fn add_user(
    store: &dyn Store,
    login: &str,
    role: &str,
    password: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    crate::admin_users::add(
        store,
        &crate::admin_users::console(),
        login,
        role,
        password,
        now,
    )?;
    Ok(())
}

/// The command line exports as an analyst named `cli` (answers are read;
/// the audit log says it was the operator's console).
fn cli() -> Principal {
    Principal {
        role: Role::Analyst,
        id: "cli".to_owned(),
    }
}

pub fn export(
    store: &dyn Store,
    protocol: &str,
    format: &str,
    age_groups: &str,
    output: Option<&Path>,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let format: Format = format.parse().map_err(anyhow::Error::msg)?;
    let groups = AgeGroups::parse(age_groups)?;
    let count = match output {
        Some(path) => {
            // Write beside the target and rename, so a failed export never
            // leaves half a file under the real name.
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let written = (|| -> anyhow::Result<u64> {
                let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
                let count = write_export(store, &cli(), protocol, format, &groups, &mut out, now)?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                Ok(count)
            })();
            let count = written.inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })?;
            std::fs::rename(&partial, path).with_context(|| {
                format!("cannot rename {} to {}", partial.display(), path.display())
            })?;
            count
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
            let count = write_export(store, &cli(), protocol, format, &groups, &mut out, now)?;
            out.flush()?;
            count
        }
    };
    eprintln!("{count} record(s) exported as {}", format.name());
    Ok(())
}
