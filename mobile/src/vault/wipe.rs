//! Erasing a store: crypto-shred first, then remove the files; and leaving
//! no dead data behind after a delete.
//!
//! Deleting a file on flash storage does not erase its blocks, so the wipe
//! does not rely on it: the header row that holds the wrapped keys is first
//! overwritten with random bytes, checkpointed into the main file and synced,
//! with the WAL truncated. After that every sealed record left anywhere is
//! ciphertext under a key nobody has. Only then are the files removed, with
//! every other file Fieldkit keeps in the folder (the language preference).
//!
//! After an ordinary delete (a withdrawal, a finished session's raw events, a
//! purged record, an old wrapped key) [`scrub`] does the same for the rows
//! that went: `secure_delete` has zeroed them in their pages, and the
//! checkpoint copies those pages into the main file and empties the WAL,
//! where the last copies of the deleted ciphertext were.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};

use super::error::VaultError;
use super::keys::random_bytes;

/// Files Fieldkit keeps beside its stores that are not stores themselves:
/// removed by a wipe too, so an erased phone says nothing (not even the
/// language the researcher worked in).
pub const PREFERENCE_FILES: &[&str] = &["language", "language.partial"];

/// Overwrites every key column of the header with random bytes of the same
/// length, and forces the change out of the WAL into the synced main file.
pub(crate) fn shred_header(conn: &Connection) -> Result<(), VaultError> {
    let lengths: Option<(i64, i64, i64, i64, i64)> = conn
        .query_row(
            "SELECT length(salt), length(wrapped_key), length(duress_tag), length(mac),
                    length(checksum)
             FROM header WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .ok();
    // A damaged header is still overwritten, with generous lengths.
    let (salt, wrapped, dtag, mac, sum) = lengths.unwrap_or((16, 72, 32, 32, 32));
    let random = |len: i64| random_bytes(usize::try_from(len.max(1)).unwrap_or(1));
    conn.execute(
        "UPDATE header SET salt = ?1, wrapped_key = ?2, duress_tag = ?3, mac = ?4,
             checksum = ?5 WHERE id = 1",
        params![
            random(salt),
            random(wrapped),
            random(dtag),
            random(mac),
            random(sum)
        ],
    )?;
    scrub(conn)
}

/// Moves everything in the WAL into the main file, syncs it and truncates the
/// WAL to zero bytes, so no old copy of a page (a deleted record, an old
/// wrapped key) survives there. Call it after every delete has committed.
pub(crate) fn scrub(conn: &Connection) -> Result<(), VaultError> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    if busy != 0 {
        tracing::warn!("vault: a checkpoint was blocked by another reader; the WAL is kept");
    }
    Ok(())
}

/// Removes the preference files beside the stores.
pub(crate) fn remove_preferences(dir: &Path) -> Result<(), VaultError> {
    for name in PREFERENCE_FILES {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(VaultError::Io { path, source }),
        }
    }
    Ok(())
}

/// Shreds and removes one store file (with its WAL and shared-memory files)
/// if it exists. Used for the store another handle does not hold open.
pub(crate) fn wipe_file(path: &Path) -> Result<(), VaultError> {
    if !path.exists() {
        return Ok(());
    }
    match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) {
        Ok(conn) => {
            let _ = conn.execute_batch("PRAGMA secure_delete = ON;");
            if let Err(err) = shred_header(&conn) {
                // The file may be too damaged for SQL; overwrite it instead.
                tracing::warn!(%err, "vault wipe: header shred failed, overwriting the file");
                overwrite(path)?;
            }
        }
        Err(_) => overwrite(path)?,
    }
    remove_files(path)
}

/// Removes a store file and its companions. Missing files are fine.
pub(crate) fn remove_files(path: &Path) -> Result<(), VaultError> {
    for file in companions(path) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(VaultError::Io { path: file, source }),
        }
    }
    Ok(())
}

fn companions(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

fn overwrite(path: &Path) -> Result<(), VaultError> {
    let io = |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    let noise = random_bytes(
        usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(64 * 1024 * 1024),
    );
    std::fs::write(path, noise).map_err(io)?;
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::super::keys::{Kek, Passphrase};
    use super::super::{KdfParams, Vault, VaultSettings, VAULT_FILE};
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Stops a wipe after the shred, before the files are removed, to show
    /// that the shred alone already makes the vault undecryptable: someone
    /// who recovers the deleted files finds no usable key in them.
    #[test]
    fn after_the_shred_no_copy_of_the_wrapped_key_is_left_and_nothing_unlocks() {
        let dir = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("pass phrase");
        let kdf = KdfParams::INSECURE_TEST_ONLY;
        let vault = Vault::create(
            dir.path(),
            &pass,
            VaultSettings {
                kdf,
                ..VaultSettings::default()
            },
        )
        .unwrap();
        let conn = &vault.open.as_ref().unwrap().conn;
        let (salt, wrapped): (Vec<u8>, Vec<u8>) = conn
            .query_row("SELECT salt, wrapped_key FROM header", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        shred_header(conn).unwrap();
        drop(vault);

        let path = dir.path().join(VAULT_FILE);
        for file in companions(&path).iter().filter(|f| f.exists()) {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !contains(&bytes, &wrapped),
                "wrapped key still in {}",
                file.display()
            );
            assert!(!contains(&bytes, &salt), "salt still in {}", file.display());
        }
        assert!(Vault::unlock_with(
            dir.path(),
            &pass,
            &VaultSettings {
                kdf,
                ..VaultSettings::default()
            }
        )
        .is_err());
        // Even bypassing the header checksum, the shredded bytes unwrap nothing.
        let conn = Connection::open(&path).unwrap();
        let (salt, wrapped): (Vec<u8>, Vec<u8>) = conn
            .query_row("SELECT salt, wrapped_key FROM header", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let kek = Kek::derive(kdf, pass.expose().as_bytes(), &salt).unwrap();
        assert!(kek.unwrap(&wrapped).is_none());
    }
}
