//! The one-row key header of a store: the Argon2id cost, the salt, the
//! wrapped data key, the duress slot, the wipe limit and the failed-attempt
//! counter.
//!
//! Three checks, in this order, decide what an unlock attempt may do:
//! - a plain checksum tells disk damage apart from a wrong passphrase
//!   (damage is reported, never counted);
//! - before any key is derived, the cost must be one this app ships, the
//!   limit within range and the counter within the limit: anything else was
//!   edited and is reported as tampering, never counted;
//! - a MAC under a key the attacker does not have covers every field that
//!   decides how the store opens and when it wipes. The research vault's MAC
//!   key comes from its data key, so it is checked once the passphrase is
//!   right (the counter changes without that key and so stays outside it);
//!   the identity store's comes from the open research vault, so it is
//!   checked before the supervisor's code is tried, counter included.
//!
//! The duress slot is always there, random bytes when no duress passphrase is
//! set, so the file does not say whether one is.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::error::VaultError;
use super::keys::{mac, random_bytes, KdfParams, DURESS_TAG_LEN, SALT_LEN, WRAPPED_LEN};

/// The most wrong attempts a store may allow before it erases itself.
pub(crate) const MAX_WIPE_LIMIT: u32 = 100;

const MAC_DOMAIN: &[u8] = b"fieldkit-header-v2";

/// Whether the header's MAC covers the failed-attempt counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counter {
    /// Research vault: counted without a key, so outside the MAC.
    Outside,
    /// Identity store: the vault's key is at hand at every attempt.
    Inside,
}

#[derive(Clone)]
pub(crate) struct Header {
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped: Vec<u8>,
    pub duress_tag: Vec<u8>,
    pub max_failed_unlocks: u32,
    pub failed_unlocks: u32,
    pub mac: Vec<u8>,
}

impl Header {
    /// A new header with no duress passphrase (a random slot) and no MAC yet.
    pub fn new(kdf: KdfParams, salt: Vec<u8>, wrapped: Vec<u8>, max_failed_unlocks: u32) -> Self {
        Header {
            kdf,
            salt,
            wrapped,
            duress_tag: random_bytes(DURESS_TAG_LEN),
            max_failed_unlocks,
            failed_unlocks: 0,
            mac: Vec::new(),
        }
    }

    fn mac_of(&self, key: &[u8; 32], counter: Counter) -> [u8; 32] {
        let kdf = self.kdf;
        let mut numbers = Vec::with_capacity(20);
        for n in [
            kdf.memory_kib,
            kdf.iterations,
            kdf.parallelism,
            self.max_failed_unlocks,
        ] {
            numbers.extend_from_slice(&n.to_be_bytes());
        }
        if counter == Counter::Inside {
            numbers.extend_from_slice(&self.failed_unlocks.to_be_bytes());
        }
        mac(
            key,
            &[
                MAC_DOMAIN,
                &numbers,
                &self.salt,
                &self.wrapped,
                &self.duress_tag,
            ],
        )
    }

    pub fn authenticate(&mut self, key: &[u8; 32], counter: Counter) {
        self.mac = self.mac_of(key, counter).to_vec();
    }

    pub fn is_authentic(&self, key: &[u8; 32], counter: Counter) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.mac_of(key, counter).as_slice().ct_eq(&self.mac))
    }

    /// Everything but the counter and the MAC: what disk damage is judged by.
    fn checksum(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"fieldkit-header-checksum-v2\0");
        let kdf = self.kdf;
        for n in [
            kdf.memory_kib,
            kdf.iterations,
            kdf.parallelism,
            self.max_failed_unlocks,
        ] {
            h.update(n.to_be_bytes());
        }
        for part in [&self.salt, &self.wrapped, &self.duress_tag] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().to_vec()
    }

    pub fn insert(&self, conn: &Connection) -> Result<(), VaultError> {
        conn.execute(
            "INSERT INTO header (id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt,
                 wrapped_key, duress_tag, max_failed_unlocks, failed_unlocks, mac, checksum)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                self.kdf.memory_kib,
                self.kdf.iterations,
                self.kdf.parallelism,
                self.salt,
                self.wrapped,
                self.duress_tag,
                self.max_failed_unlocks,
                self.failed_unlocks,
                self.mac,
                self.checksum(),
            ],
        )?;
        Ok(())
    }

    /// Replaces the whole row (a new passphrase, a new duress passphrase).
    pub fn save(&self, conn: &Connection) -> Result<(), VaultError> {
        conn.execute(
            "UPDATE header SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3,
                 salt = ?4, wrapped_key = ?5, duress_tag = ?6, max_failed_unlocks = ?7,
                 failed_unlocks = ?8, mac = ?9, checksum = ?10
             WHERE id = 1",
            params![
                self.kdf.memory_kib,
                self.kdf.iterations,
                self.kdf.parallelism,
                self.salt,
                self.wrapped,
                self.duress_tag,
                self.max_failed_unlocks,
                self.failed_unlocks,
                self.mac,
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
                        duress_tag, max_failed_unlocks, failed_unlocks, mac, checksum
                 FROM header WHERE id = 1",
                [],
                |row| {
                    Ok((
                        Header {
                            kdf: KdfParams {
                                memory_kib: row.get(0)?,
                                iterations: row.get(1)?,
                                parallelism: row.get(2)?,
                            },
                            salt: row.get(3)?,
                            wrapped: row.get(4)?,
                            duress_tag: row.get(5)?,
                            max_failed_unlocks: row.get(6)?,
                            failed_unlocks: row.get(7)?,
                            mac: row.get(8)?,
                        },
                        row.get::<_, Vec<u8>>(9)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| match e {
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..) => corrupt(),
                other => VaultError::from(other).at(path),
            })?;
        let (header, checksum) = row.ok_or_else(corrupt)?;
        if header.checksum() != checksum {
            return Err(corrupt());
        }
        Ok(header)
    }

    /// The checks made before any key is derived. `chosen` is the cost the
    /// caller's own settings name (see [`KdfParams::allowed`]).
    pub fn check_before_trying(&self, chosen: KdfParams, path: &Path) -> Result<(), VaultError> {
        let tampered = |what: &'static str| VaultError::Tampered {
            path: path.to_path_buf(),
            what,
        };
        if self.salt.len() != SALT_LEN
            || self.wrapped.len() != WRAPPED_LEN
            || self.duress_tag.len() != DURESS_TAG_LEN
            || self.mac.len() != 32
        {
            return Err(tampered("the key header's layout"));
        }
        if !self.kdf.allowed(chosen) {
            return Err(tampered("the Argon2 cost"));
        }
        if !(1..=MAX_WIPE_LIMIT).contains(&self.max_failed_unlocks) {
            return Err(tampered("the wipe limit"));
        }
        // Equal to the limit is possible: the app was stopped while the last
        // allowed attempt was being checked.
        if self.failed_unlocks > self.max_failed_unlocks {
            return Err(tampered("the failed-attempt counter"));
        }
        Ok(())
    }

    /// Persists the counter before the secret is even tried, so killing the
    /// app during the slow key derivation does not earn a free guess. With
    /// `mac_key` (identity store) the MAC is renewed to cover the new count.
    pub fn store_counter(
        &mut self,
        conn: &Connection,
        count: u32,
        mac_key: Option<&[u8; 32]>,
    ) -> Result<(), VaultError> {
        self.failed_unlocks = count;
        match mac_key {
            None => {
                conn.execute(
                    "UPDATE header SET failed_unlocks = ?1 WHERE id = 1",
                    [count],
                )?;
            }
            Some(key) => {
                self.authenticate(key, Counter::Inside);
                conn.execute(
                    "UPDATE header SET failed_unlocks = ?1, mac = ?2 WHERE id = 1",
                    params![count, self.mac],
                )?;
            }
        }
        Ok(())
    }
}
