//! The one-row key header of a store: the wrapped data key, the Argon2id
//! parameters, the optional duress tag and the failed-unlock counter.
//!
//! A checksum over everything but the counter tells a damaged header apart
//! from a wrong passphrase, so disk damage is reported as such and never
//! counts towards the self-wipe.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::error::VaultError;
use super::keys::{DuressTag, KdfParams, WrappedKey};

#[derive(Clone)]
pub(crate) struct Header {
    pub key: WrappedKey,
    pub duress: Option<DuressTag>,
    pub max_failed_unlocks: u32,
    pub failed_unlocks: u32,
}

impl Header {
    fn checksum(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"fieldkit-header-v1\0");
        let kdf = self.key.kdf;
        for n in [
            kdf.memory_kib,
            kdf.iterations,
            kdf.parallelism,
            self.max_failed_unlocks,
        ] {
            h.update(n.to_be_bytes());
        }
        for part in [&self.key.salt, &self.key.wrapped] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        if let Some(duress) = &self.duress {
            h.update(b"duress");
            h.update(&duress.salt);
            h.update(&duress.tag);
        }
        h.finalize().to_vec()
    }

    pub fn insert(&self, conn: &Connection) -> Result<(), VaultError> {
        conn.execute(
            "INSERT INTO header (id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt,
                 wrapped_key, duress_salt, duress_tag, max_failed_unlocks, checksum, failed_unlocks)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                self.key.kdf.memory_kib,
                self.key.kdf.iterations,
                self.key.kdf.parallelism,
                self.key.salt,
                self.key.wrapped,
                self.duress.as_ref().map(|d| &d.salt),
                self.duress.as_ref().map(|d| &d.tag),
                self.max_failed_unlocks,
                self.checksum(),
                self.failed_unlocks,
            ],
        )?;
        Ok(())
    }

    /// Replaces the wrapped key and duress tag (a new passphrase, a new
    /// duress passphrase) in one statement.
    pub fn save_keys(&self, conn: &Connection) -> Result<(), VaultError> {
        conn.execute(
            "UPDATE header SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3,
                 salt = ?4, wrapped_key = ?5, duress_salt = ?6, duress_tag = ?7,
                 max_failed_unlocks = ?8, checksum = ?9
             WHERE id = 1",
            params![
                self.key.kdf.memory_kib,
                self.key.kdf.iterations,
                self.key.kdf.parallelism,
                self.key.salt,
                self.key.wrapped,
                self.duress.as_ref().map(|d| &d.salt),
                self.duress.as_ref().map(|d| &d.tag),
                self.max_failed_unlocks,
                self.checksum(),
            ],
        )?;
        Ok(())
    }

    pub fn read(conn: &Connection, path: &Path) -> Result<Header, VaultError> {
        let corrupt = || VaultError::CorruptHeader {
            path: path.to_path_buf(),
        };
        let row = conn
            .query_row(
                "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key,
                        duress_salt, duress_tag, max_failed_unlocks, checksum, failed_unlocks
                 FROM header WHERE id = 1",
                [],
                |row| {
                    let duress = match (
                        row.get::<_, Option<Vec<u8>>>(5)?,
                        row.get::<_, Option<Vec<u8>>>(6)?,
                    ) {
                        (Some(salt), Some(tag)) => Some(DuressTag { salt, tag }),
                        _ => None,
                    };
                    Ok((
                        Header {
                            key: WrappedKey {
                                kdf: KdfParams {
                                    memory_kib: row.get(0)?,
                                    iterations: row.get(1)?,
                                    parallelism: row.get(2)?,
                                },
                                salt: row.get(3)?,
                                wrapped: row.get(4)?,
                            },
                            duress,
                            max_failed_unlocks: row.get(7)?,
                            failed_unlocks: row.get(9)?,
                        },
                        row.get::<_, Vec<u8>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| match e {
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..) => corrupt(),
                other => VaultError::from(other).at(path),
            })?;
        let (header, checksum) = row.ok_or_else(corrupt)?;
        if header.checksum() != checksum {
            return Err(corrupt());
        }
        Ok(header)
    }

    /// Persists the counter before the passphrase is even tried, so killing
    /// the app during the slow key derivation does not earn a free guess.
    pub fn set_failed_unlocks(conn: &Connection, count: u32) -> Result<(), VaultError> {
        conn.execute(
            "UPDATE header SET failed_unlocks = ?1 WHERE id = 1",
            [count],
        )?;
        Ok(())
    }
}
