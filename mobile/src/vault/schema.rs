//! Opening a store file: the schema version check that comes before anything
//! else, the connection settings, and the migrations.
//!
//! The schema version is SQLite's `user_version`. A file with a newer version
//! than this app knows is refused before any write, so an old app can never
//! damage a vault that a newer one upgraded.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::error::VaultError;

/// A store's schema: migration `i` takes the file from version `i` to `i + 1`.
#[derive(Debug)]
pub(crate) struct Schema {
    pub migrations: &'static [&'static str],
}

impl Schema {
    pub fn version(&self) -> u32 {
        u32::try_from(self.migrations.len()).expect("fewer than 4 billion migrations")
    }
}

/// The key header both stores share: one row, the wrapped data key and what
/// is needed to unwrap it, the duress tag and the failed-unlock counter.
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
    duress_salt BLOB,
    duress_tag BLOB,
    max_failed_unlocks INTEGER NOT NULL,
    checksum BLOB NOT NULL,
    failed_unlocks INTEGER NOT NULL DEFAULT 0
);"
    };
}

const VAULT_V1: &str = concat!(
    header_table!(),
    "
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

pub(crate) const VAULT_SCHEMA: Schema = Schema {
    migrations: &[VAULT_V1],
};

const IDENTITY_V1: &str = concat!(
    header_table!(),
    "
CREATE TABLE people (id TEXT PRIMARY KEY, format INTEGER NOT NULL, sealed BLOB NOT NULL);"
);

pub(crate) const IDENTITY_SCHEMA: Schema = Schema {
    migrations: &[IDENTITY_V1],
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
    let tx = conn.transaction()?;
    for (index, sql) in schema.migrations.iter().enumerate().skip(from as usize) {
        tx.execute_batch(sql)?;
        tracing::info!(to_version = index + 1, "vault schema migrated");
    }
    tx.pragma_update(None, "user_version", schema.version())?;
    tx.commit()?;
    Ok(())
}
