//! Opening a store file: the schema version check that comes before anything
//! else, the connection settings, and the migrations.
//!
//! The schema version is SQLite's `user_version`. A file with a newer version
//! than this app knows is refused before any write, so an old app can never
//! damage a vault that a newer one upgraded. Version 2 (authenticated header,
//! integrity ledger, keyed names) is a clean break: a version 1 file, which
//! only pre-release builds made, is refused untouched with a message that
//! says what to do.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::error::VaultError;

/// A store's schema: the first migration makes a new file at version
/// `base`, migration `i` takes it from version `base + i - 1` to `base + i`.
#[derive(Debug)]
pub(crate) struct Schema {
    pub base: u32,
    pub migrations: &'static [&'static str],
}

impl Schema {
    pub fn version(&self) -> u32 {
        self.base - 1
            + u32::try_from(self.migrations.len()).expect("fewer than 4 billion migrations")
    }
}

/// The key header both stores share (see `header.rs`): one row, the wrapped
/// data key and what is needed to unwrap it, the duress slot, the wipe limit,
/// the failed-attempt counter, a MAC and a checksum.
macro_rules! header_table {
    () => {
        "
CREATE TABLE header (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kdf_memory_kib INTEGER NOT NULL,
    kdf_iterations INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    salt BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    duress_tag BLOB NOT NULL,
    max_failed_unlocks INTEGER NOT NULL,
    failed_unlocks INTEGER NOT NULL,
    mac BLOB NOT NULL,
    checksum BLOB NOT NULL
);"
    };
}

/// Setting names and pinned protocol ids are keyed hashes, so the file
/// names no study, protocol or setting.
const VAULT_V2: &str = concat!(
    header_table!(),
    "
CREATE TABLE ledger (id INTEGER PRIMARY KEY CHECK (id = 1), format INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE pinned (id TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    format INTEGER NOT NULL,
    summary BLOB NOT NULL
);
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    format INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE drafts (id TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE settings (name TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE notes (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    format INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    format INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX attachments_by_session ON attachments(session_id);
CREATE TABLE outbox (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    format INTEGER NOT NULL,
    meta BLOB NOT NULL,
    payload BLOB
);
CREATE INDEX outbox_by_state ON outbox(state, position);
"
);

/// Protocol media (pictures, sounds), sealed, under keyed names.
const VAULT_V3: &str =
    "CREATE TABLE IF NOT EXISTS media (id TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);";

/// An outbox entry's sealed content in a table of its own, so a change of
/// state rewrites (and the integrity ledger re-hashes) a row of a few
/// hundred bytes, not the content with it. `outbox.payload` stays, always
/// NULL once this version has unlocked the vault: the content an older one
/// left there moves at unlock (`outbox::move_older_payloads`), when the data
/// key is at hand to keep the ledger true.
const VAULT_V4: &str = "
CREATE TABLE outbox_payloads (
    record_id TEXT PRIMARY KEY REFERENCES outbox(record_id),
    format INTEGER NOT NULL,
    payload BLOB NOT NULL
);";

pub(crate) const VAULT_SCHEMA: Schema = Schema {
    base: 2,
    migrations: &[VAULT_V2, VAULT_V3, VAULT_V4],
};

/// People are found by a keyed hash of their reference number under a key
/// the research vault holds (see `identity.rs`).
const IDENTITY_V2: &str = concat!(
    header_table!(),
    "
CREATE TABLE people (id TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);"
);

pub(crate) const IDENTITY_SCHEMA: Schema = Schema {
    base: 2,
    migrations: &[IDENTITY_V2],
};

/// Opens (or, with `create`, makes) a store file and brings its schema up to
/// date. Checks the version first and touches nothing if it is newer.
pub(crate) fn open(path: &Path, schema: &Schema, create: bool) -> Result<Connection, VaultError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(|e| VaultError::from(e).at(path))?;
    let found: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| VaultError::from(e).at(path))?;
    if found > schema.version() {
        return Err(VaultError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: schema.version(),
        });
    }
    if found != 0 && found < schema.base {
        return Err(VaultError::PreReleaseFormat {
            path: path.to_path_buf(),
        });
    }
    configure(&conn).map_err(|e| e.at(path))?;
    migrate(&mut conn, schema, found).map_err(|e| e.at(path))?;
    Ok(conn)
}

/// WAL with full sync: a committed event survives a dead battery, and a
/// half-written one is rolled back on the next open. Temp files stay in
/// memory and freed pages are zeroed, so no copy of a sealed record lingers.
fn configure(conn: &Connection) -> Result<(), VaultError> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            mode,
            "vault could not switch to WAL; continuing with the default journal"
        );
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(())
}

fn migrate(conn: &mut Connection, schema: &Schema, from: u32) -> Result<(), VaultError> {
    if from == schema.version() {
        return Ok(());
    }
    let done = if from == 0 { 0 } else { from + 1 - schema.base };
    let tx = conn.transaction()?;
    for (index, sql) in schema.migrations.iter().enumerate().skip(done as usize) {
        tx.execute_batch(sql)?;
        tracing::info!(
            to_version = schema.base as usize + index,
            "vault schema migrated"
        );
    }
    tx.pragma_update(None, "user_version", schema.version())?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Schema = Schema {
        base: 1,
        migrations: &["CREATE TABLE t (x INTEGER NOT NULL);"],
    };
    const V2: Schema = Schema {
        base: 1,
        migrations: &[
            "CREATE TABLE t (x INTEGER NOT NULL);",
            "ALTER TABLE t ADD COLUMN y TEXT;",
        ],
    };
    const BROKEN_V3: Schema = Schema {
        base: 1,
        migrations: &[
            "CREATE TABLE t (x INTEGER NOT NULL);",
            "ALTER TABLE t ADD COLUMN y TEXT;",
            "CREATE TABLE u (a INTEGER); THIS IS NOT SQL;",
        ],
    };

    fn version(conn: &Connection) -> u32 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn an_older_file_is_migrated_forward_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let conn = open(&path, &V1, true).unwrap();
        conn.execute("INSERT INTO t (x) VALUES (5)", []).unwrap();
        drop(conn);

        let conn = open(&path, &V2, false).unwrap();
        assert_eq!(version(&conn), 2);
        let row: (i64, Option<String>) = conn
            .query_row("SELECT x, y FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, (5, None));
        drop(conn);

        let err = open(&path, &V1, false).unwrap_err();
        assert!(
            matches!(
                err,
                VaultError::NewerSchema {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_file_older_than_the_base_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        drop(open(&path, &V1, true).unwrap());
        let before = std::fs::read(&path).unwrap();
        const REBASED: Schema = Schema {
            base: 2,
            migrations: &["CREATE TABLE t2 (x INTEGER NOT NULL);"],
        };
        let err = open(&path, &REBASED, false).unwrap_err();
        assert!(matches!(err, VaultError::PreReleaseFormat { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // A new file starts at the base version.
        let fresh = dir.path().join("fresh.sqlite");
        assert_eq!(version(&open(&fresh, &REBASED, true).unwrap()), 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_file_at_its_old_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        drop(open(&path, &V2, true).unwrap());
        assert!(open(&path, &BROKEN_V3, false).is_err());
        let conn = open(&path, &V2, false).unwrap();
        assert_eq!(version(&conn), 2);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'u'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "the half-applied migration was rolled back");
    }

    #[test]
    fn the_connection_keeps_temp_data_in_memory_and_zeroes_freed_pages() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("store.sqlite"), &V1, true).unwrap();
        let temp_store: i64 = conn
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .unwrap();
        let secure_delete: i64 = conn
            .query_row("PRAGMA secure_delete", [], |r| r.get(0))
            .unwrap();
        let journal: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            (temp_store, secure_delete, journal.as_str(), synchronous),
            (2, 1, "wal", 2)
        );
    }
}
