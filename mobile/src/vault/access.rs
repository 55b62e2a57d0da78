//! Getting into the research vault: creating it, unlocking it (the counter,
//! the self-wipe, the duress passphrase, the tamper checks), changing the
//! passphrase and the duress passphrase.
//!
//! Each unlock attempt derives one key with Argon2id and checks it against
//! both the wrapped data key and the duress slot, so an attempt takes the
//! same time whether or not a duress passphrase is set.

use std::path::Path;
use std::time::Instant;

use super::header::{Counter, Header, MAX_WIPE_LIMIT};
use super::keys::{random_bytes, DataKey, Kek, Subkeys, SALT_LEN};
use super::ledger::{IntegrityProblem, Ledger};
use super::{
    erase, outbox, records, schema, wipe, Open, Passphrase, Policy, Vault, VaultError,
    VaultSettings, VAULT_FILE,
};

impl Vault {
    /// Makes a new vault with a fresh random data key.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        settings: VaultSettings,
    ) -> Result<Vault, VaultError> {
        if Vault::exists(dir) {
            return Err(VaultError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        if passphrase.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the passphrase is empty: choose one".into(),
            ));
        }
        if !(1..=MAX_WIPE_LIMIT).contains(&settings.max_failed_unlocks) {
            return Err(VaultError::InvalidSettings(format!(
                "max_failed_unlocks must be between 1 and {MAX_WIPE_LIMIT}"
            )));
        }
        settings
            .kdf
            .validate()
            .map_err(VaultError::InvalidSettings)?;
        std::fs::create_dir_all(dir).map_err(|source| VaultError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(VAULT_FILE);
        let key = DataKey::random();
        let salt = random_bytes(SALT_LEN);
        let kek = Kek::derive(settings.kdf, passphrase.expose().as_bytes(), &salt)
            .map_err(VaultError::InvalidSettings)?;
        let sub = Subkeys::of(&key);
        let mut header = Header::new(
            settings.kdf,
            salt,
            kek.wrap(&key),
            settings.max_failed_unlocks,
        );
        header.authenticate(&sub.header, Counter::Outside);
        let policy = Policy {
            idle_lock_secs: settings.idle_lock.as_secs(),
            retention: settings.retention,
        };
        let made = schema::open(&path, &schema::VAULT_SCHEMA, true).and_then(|conn| {
            let mut open = Open {
                conn,
                key,
                sub,
                kdf: settings.kdf,
                ledger: Ledger::default(),
                problems: Vec::new(),
            };
            open.write(|w| {
                header.insert(w.conn)?;
                records::save_policy(w, &policy)
            })?;
            Ok(open)
        });
        let open = match made {
            Ok(open) => open,
            Err(err) => {
                // A half-made vault would block the next attempt to create one.
                let _ = wipe::remove_files(&path);
                return Err(err);
            }
        };
        tracing::info!("vault created");
        Ok(Vault {
            dir: dir.to_path_buf(),
            open: Some(open),
            chosen_kdf: settings.kdf,
            policy,
            last_activity: Instant::now(),
        })
    }

    /// Opens the vault at the shipped Argon2 cost. A wrong passphrase counts
    /// towards the self-wipe; the duress passphrase wipes and then reports a
    /// plain wrong passphrase; an edited header is reported as tampering and
    /// never counted.
    pub fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<Vault, VaultError> {
        Vault::unlock_with(dir, passphrase, &VaultSettings::default())
    }

    /// As [`Vault::unlock`], also accepting the Argon2 cost `settings` name
    /// (only [`super::KdfParams::INSECURE_TEST_ONLY`] differs from the
    /// shipped one): the explicit path for tests. What the file says is
    /// never enough to lower the cost.
    pub fn unlock_with(
        dir: &Path,
        passphrase: &Passphrase,
        settings: &VaultSettings,
    ) -> Result<Vault, VaultError> {
        let path = dir.join(VAULT_FILE);
        if !path.is_file() {
            return Err(VaultError::NotFound {
                dir: dir.to_path_buf(),
            });
        }
        let conn = schema::open(&path, &schema::VAULT_SCHEMA, false)?;
        let mut header = Header::read(&conn, &path)?;
        header.check_before_trying(settings.kdf, &path)?;
        let before = header.failed_unlocks;
        let attempt = before.saturating_add(1);
        header
            .store_counter(&conn, attempt, None)
            .map_err(|e| e.at(&path))?;
        let kek = Kek::derive(header.kdf, passphrase.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        let duress = kek.matches_duress(&header.duress_tag);
        let Some(key) = kek.unwrap(&header.wrapped) else {
            let attempts_left = header.max_failed_unlocks.saturating_sub(attempt);
            if duress || attempts_left == 0 {
                tracing::warn!("vault erased after an unlock attempt");
                erase(dir, Some(conn))?;
                if attempts_left == 0 && !duress {
                    return Err(VaultError::Wiped);
                }
            }
            return Err(VaultError::WrongPassphrase { attempts_left });
        };
        let sub = Subkeys::of(&key);
        if !header.is_authentic(&sub.header, Counter::Outside) {
            header.store_counter(&conn, before, None)?;
            tracing::warn!("vault header edited outside the app");
            return Err(VaultError::Tampered {
                path,
                what: "the wipe limit or the duress slot of the key header",
            });
        }
        header.store_counter(&conn, 0, None)?;
        let found = Ledger::recompute(&conn, &sub.ledger)?;
        let (ledger, problems) = match Ledger::load(&conn, &key) {
            Ok(sealed) => {
                let problems = sealed.differences(&found);
                (sealed, problems)
            }
            Err(_) => (
                found,
                vec![IntegrityProblem {
                    what: "integrity ledger (missing or damaged)",
                    expected_rows: 1,
                    found_rows: 0,
                }],
            ),
        };
        if !problems.is_empty() {
            tracing::warn!(
                tables = problems.len(),
                "vault rows differ from what the app last wrote"
            );
        }
        let policy = records::load_policy(&conn, &key, &sub)?;
        let mut open = Open {
            conn,
            key,
            sub,
            kdf: header.kdf,
            ledger,
            problems,
        };
        outbox::move_older_payloads(&mut open)?;
        tracing::info!("vault unlocked");
        Ok(Vault {
            dir: dir.to_path_buf(),
            open: Some(open),
            chosen_kdf: settings.kdf,
            policy,
            last_activity: Instant::now(),
        })
    }

    /// Rewraps the data key under a new passphrase; no record is re-encrypted.
    /// The failed-unlock counter is not touched by a wrong `old`; the vault is
    /// already open, so a wrong `old` only returns the error. The old wrapped
    /// key is scrubbed from the WAL before this returns.
    pub fn change_passphrase(
        &mut self,
        old: &Passphrase,
        new: &Passphrase,
    ) -> Result<(), VaultError> {
        let path = self.path();
        let open = self.open()?;
        if new.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the new passphrase is empty: choose one".into(),
            ));
        }
        let mut header = Header::read(&open.conn, &path)?;
        let wrong = VaultError::WrongPassphrase {
            attempts_left: header
                .max_failed_unlocks
                .saturating_sub(header.failed_unlocks),
        };
        let kek = Kek::derive(header.kdf, old.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        if kek.unwrap(&header.wrapped).is_none() {
            return Err(wrong);
        }
        let kek = Kek::derive(header.kdf, new.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        if kek.matches_duress(&header.duress_tag) {
            return Err(VaultError::InvalidSettings(
                "the new passphrase is the duress passphrase: choose another".into(),
            ));
        }
        header.wrapped = kek.wrap(&open.key);
        header.authenticate(&open.sub.header, Counter::Outside);
        header.save(&open.conn)?;
        wipe::scrub(&open.conn)?;
        tracing::info!("vault passphrase changed");
        Ok(())
    }

    /// Sets (or with `None` removes) the duress passphrase: typing it at
    /// unlock erases the vault and shows an ordinary "wrong passphrase".
    pub fn set_duress_passphrase(&mut self, duress: Option<&Passphrase>) -> Result<(), VaultError> {
        let path = self.path();
        let open = self.open()?;
        let mut header = Header::read(&open.conn, &path)?;
        header.duress_tag = match duress {
            None => random_bytes(header.duress_tag.len()),
            Some(duress) => {
                let kek = Kek::derive(header.kdf, duress.expose().as_bytes(), &header.salt)
                    .map_err(VaultError::InvalidSettings)?;
                if duress.expose().is_empty() || kek.unwrap(&header.wrapped).is_some() {
                    return Err(VaultError::InvalidSettings(
                        "the duress passphrase must be non-empty and differ from the passphrase"
                            .into(),
                    ));
                }
                kek.duress_tag().to_vec()
            }
        };
        header.authenticate(&open.sub.header, Counter::Outside);
        header.save(&open.conn)?;
        wipe::scrub(&open.conn)?;
        Ok(())
    }
}
