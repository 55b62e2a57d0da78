//! `fieldkit-server migrate`: copies everything from a SQLite data folder
//! into PostgreSQL, then checks it: the same number of rows in every table
//! and the same SHA-256 over every row's content, read back from both.
//!
//! Safe to rerun: rows already in PostgreSQL are skipped (`ON CONFLICT DO
//! NOTHING`), never changed or deleted, so a second run after more data
//! arrived copies just the rest. If the SQLite side deleted rows since the
//! first run (a withdrawal, R9), the check fails and says which table:
//! then migrate into a fresh, empty database.

use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use uuid::Uuid;

use super::{micros, PgStore};
use crate::store::{SqliteStore, StoreError};

/// Rows per round trip, both reading and inserting.
const CHUNK: usize = 500;
/// The same for a table of files (media, up to 1 MiB each): memory stays
/// at a few MiB however large the bundles.
const BLOB_CHUNK: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Uuid,
    Time,
    Blob,
}

/// A table as both stores hold it: columns in one order, the first
/// `key` of them its primary key (the order rows are hashed in).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    key: usize,
    /// The SQLite expression for a column, where it differs from its name.
    sqlite_id: Option<&'static str>,
}

use Kind::{Blob, Int, Text, Time, Uuid as Id};

/// Every table, parents before children (web sessions need their users).
const TABLES: &[Table] = &[
    Table {
        name: "protocols",
        columns: &[
            ("protocol_id", Text),
            ("version", Int),
            ("content_hash", Text),
            ("source_toml", Text),
            ("published_at", Time),
        ],
        key: 2,
        sqlite_id: None,
    },
    Table {
        name: "media",
        columns: &[("sha256", Text), ("mime", Text), ("bytes", Blob)],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "findings_packs",
        columns: &[
            ("hash", Text),
            ("site", Text),
            ("protocol_id", Text),
            ("pack_json", Text),
            ("published_by", Text),
            ("published_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "enrolments",
        columns: &[
            ("code_hash", Text),
            ("researcher", Text),
            ("languages", Text),
            ("expires_at", Time),
            ("redeemed_by", Id),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "devices",
        columns: &[
            ("device_id", Id),
            ("researcher", Text),
            ("languages", Text),
            ("token_hash", Text),
            ("enrolled_at", Time),
            ("revoked_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "code_of_practice",
        columns: &[("device_id", Id), ("language", Text), ("accepted_at", Time)],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "records",
        columns: &[
            ("record_id", Id),
            ("device_id", Id),
            ("protocol_id", Text),
            ("protocol_version", Int),
            ("content_hash", Text),
            ("envelope", Text),
            ("received_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "conflicts",
        columns: &[
            ("record_id", Id),
            ("content_hash", Text),
            ("device_id", Id),
            ("envelope", Text),
            ("received_at", Time),
        ],
        key: 2,
        sqlite_id: None,
    },
    Table {
        name: "rejections",
        columns: &[
            ("id", Int),
            ("record_id", Id),
            ("device_id", Id),
            ("rule", Text),
            ("at", Time),
        ],
        key: 1,
        // SQLite keeps no id column here: its rowid is the order of arrival.
        sqlite_id: Some("rowid"),
    },
    Table {
        name: "tombstones",
        columns: &[
            ("tombstone_id", Id),
            ("record_id", Id),
            ("device_id", Id),
            ("withdrawn_on", Text),
            ("received_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "withdrawals",
        columns: &[("record_id", Id), ("device_id", Id), ("at", Time)],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "compliance_findings",
        columns: &[
            ("id", Int),
            ("record_id", Id),
            ("rule", Text),
            ("message", Text),
            ("researcher", Text),
            ("protocol_id", Text),
            ("protocol_version", Int),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "audit_log",
        columns: &[
            ("id", Int),
            ("actor", Text),
            ("action", Text),
            ("target", Text),
            ("at", Time),
            ("source", Text),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "web_users",
        columns: &[
            ("login", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at", Time),
            ("disabled_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "web_sessions",
        columns: &[
            ("token_hash", Text),
            ("login", Text),
            ("csrf", Text),
            ("expires_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "review_states",
        columns: &[
            ("record_id", Id),
            ("state", Text),
            ("changed_by", Text),
            ("changed_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "review_notes",
        columns: &[
            ("note_id", Id),
            ("record_id", Id),
            ("rule", Text),
            ("text", Text),
            ("author", Text),
            ("written_at", Time),
            ("acknowledged_at", Time),
            ("ack_received_at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
    Table {
        name: "review_history",
        columns: &[
            ("id", Int),
            ("record_id", Id),
            ("actor", Text),
            ("change", Text),
            ("at", Time),
        ],
        key: 1,
        sqlite_id: None,
    },
];

/// One value, as both stores can give and take it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Text(String),
    Int(i64),
    Id(Uuid),
    Time(OffsetDateTime),
    Blob(Vec<u8>),
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Id(v) => v.to_sql(ty, out),
            Value::Time(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Value {
    /// The text hashed for this value: the same from either store.
    fn canonical(&self, into: &mut Vec<u8>) {
        match self {
            Value::Null => into.push(0),
            Value::Text(v) => into.extend_from_slice(v.as_bytes()),
            Value::Int(v) => into.extend_from_slice(v.to_string().as_bytes()),
            Value::Id(v) => into.extend_from_slice(v.hyphenated().to_string().as_bytes()),
            Value::Time(v) => into.extend_from_slice(
                v.format(&Rfc3339)
                    .unwrap_or_else(|_| v.unix_timestamp_nanos().to_string())
                    .as_bytes(),
            ),
            // A file by its digest: the row's line stays short and a
            // separator byte inside the file cannot shift the columns.
            Value::Blob(v) => into.extend_from_slice(hex::encode(Sha256::digest(v)).as_bytes()),
        }
    }
}

fn from_sqlite(value: ValueRef<'_>, kind: Kind, table: &str) -> Result<Value, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("{table}: {what}"));
    Ok(match (value, kind) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(n), Int) => Value::Int(n),
        (ValueRef::Blob(b), Blob) => Value::Blob(b.to_vec()),
        (ValueRef::Text(t), kind) => {
            let text = std::str::from_utf8(t).map_err(|_| bad("text that is not UTF-8"))?;
            match kind {
                Text => Value::Text(text.to_owned()),
                Id => {
                    Value::Id(Uuid::parse_str(text).map_err(|e| bad(&format!("id `{text}`: {e}")))?)
                }
                // PostgreSQL keeps microseconds; both sides hash the cut time.
                Time => Value::Time(micros(
                    OffsetDateTime::parse(text, &Rfc3339)
                        .map_err(|e| bad(&format!("time `{text}`: {e}")))?,
                )),
                Int | Blob => return Err(bad(&format!("`{text}` where {kind:?} belongs"))),
            }
        }
        (other, kind) => return Err(bad(&format!("{other:?} where {kind:?} belongs"))),
    })
}

fn from_postgres(row: &tokio_postgres::Row, i: usize, kind: Kind) -> Value {
    let value = match kind {
        Text => row.get::<_, Option<String>>(i).map(Value::Text),
        Int => row.get::<_, Option<i64>>(i).map(Value::Int),
        Id => row.get::<_, Option<Uuid>>(i).map(Value::Id),
        Time => row.get::<_, Option<OffsetDateTime>>(i).map(Value::Time),
        Blob => row.get::<_, Option<Vec<u8>>>(i).map(Value::Blob),
    };
    value.unwrap_or(Value::Null)
}

/// What `migrate` did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    /// Rows in the SQLite folder.
    pub source_rows: u64,
    /// Rows this run added to PostgreSQL (0 on a rerun with nothing new).
    pub copied: u64,
    /// Rows in PostgreSQL afterwards.
    pub target_rows: u64,
    /// SHA-256 over every row of each side, in key order.
    pub source_hash: String,
    pub target_hash: String,
}

impl TableCopy {
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_hash == self.target_hash
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the copy differs from the SQLite folder in {tables}: PostgreSQL holds rows the folder does not have, or other content (was this database used before, or were records withdrawn since an earlier run?). Nothing was deleted; run the migration again into a fresh, empty database")]
    Differs {
        tables: String,
        report: Vec<TableCopy>,
    },
}

/// Copies every table of `from` into `to` and checks the copy.
pub fn sqlite_to_postgres(
    from: &SqliteStore,
    to: &PgStore,
) -> Result<Vec<TableCopy>, MigrateError> {
    // One read transaction: the copy is one consistent state of the folder.
    let conn = from.conn();
    conn.execute_batch("BEGIN").map_err(StoreError::from)?;
    let result = TABLES
        .iter()
        .map(|table| copy_table(&conn, to, table))
        .collect::<Result<Vec<_>, StoreError>>();
    conn.execute_batch("COMMIT").map_err(StoreError::from)?;
    let report = result?;
    to.block(async {
        let client = to.client().await?;
        for table in [
            "rejections",
            "compliance_findings",
            "audit_log",
            "review_history",
        ] {
            // New rows go on after the copied ids.
            client
                .execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         GREATEST((SELECT MAX(id) FROM {table}), 1))"
                    ),
                    &[],
                )
                .await?;
        }
        Ok::<_, StoreError>(())
    })?;
    let differing: Vec<&str> = report
        .iter()
        .filter(|t| !t.matches())
        .map(|t| t.table)
        .collect();
    if differing.is_empty() {
        Ok(report)
    } else {
        Err(MigrateError::Differs {
            tables: differing.join(", "),
            report,
        })
    }
}

/// Rows per round trip for `table`.
fn chunk_rows(table: &Table) -> usize {
    if table.columns.iter().any(|(_, kind)| *kind == Blob) {
        BLOB_CHUNK
    } else {
        CHUNK
    }
}

fn column_list(table: &Table, sqlite: bool) -> String {
    table
        .columns
        .iter()
        .map(|(name, _)| match (sqlite, table.sqlite_id) {
            (true, Some(expr)) if *name == "id" => expr,
            _ => name,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn order_by(table: &Table, sqlite: bool) -> String {
    let columns = column_list(table, sqlite);
    let key: Vec<&str> = columns.split(", ").take(table.key).collect();
    if sqlite {
        key.join(", ")
    } else {
        key.iter()
            .zip(table.columns)
            .map(|(name, (_, kind))| match kind {
                Text => format!("{name} COLLATE \"C\""),
                _ => (*name).to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn row_hash(hasher: &mut Sha256, row: &[Value], line: &mut Vec<u8>) {
    line.clear();
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            line.push(0x1f);
        }
        value.canonical(line);
    }
    line.push(b'\n');
    hasher.update(&line);
}

fn copy_table(
    conn: &rusqlite::Connection,
    to: &PgStore,
    table: &Table,
) -> Result<TableCopy, StoreError> {
    let width = table.columns.len();
    let mut statement = conn.prepare(&format!(
        "SELECT {} FROM {} ORDER BY {}",
        column_list(table, true),
        table.name,
        order_by(table, true)
    ))?;
    let mut rows = statement.query([])?;
    let (mut hasher, mut line) = (Sha256::new(), Vec::new());
    let (mut source_rows, mut copied) = (0u64, 0u64);
    let rows_per_chunk = chunk_rows(table);
    let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(rows_per_chunk);
    loop {
        let row = rows.next()?;
        if let Some(row) = row {
            let values = (0..width)
                .map(|i| from_sqlite(row.get_ref(i)?, table.columns[i].1, table.name))
                .collect::<Result<Vec<_>, StoreError>>()?;
            row_hash(&mut hasher, &values, &mut line);
            source_rows += 1;
            chunk.push(values);
        }
        if chunk.len() == rows_per_chunk || (row.is_none() && !chunk.is_empty()) {
            copied += insert_chunk(to, table, &chunk)?;
            chunk.clear();
        }
        if row.is_none() {
            break;
        }
    }
    let (target_rows, target_hash) = hash_postgres(to, table)?;
    Ok(TableCopy {
        table: table.name,
        source_rows,
        copied,
        target_rows,
        source_hash: hex::encode(hasher.finalize()),
        target_hash,
    })
}

fn insert_chunk(to: &PgStore, table: &Table, rows: &[Vec<Value>]) -> Result<u64, StoreError> {
    let width = table.columns.len();
    let placeholders: Vec<String> = (0..rows.len())
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {} ON CONFLICT DO NOTHING",
        table.name,
        column_list(table, false),
        placeholders.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = rows
        .iter()
        .flatten()
        .map(|v| v as &(dyn ToSql + Sync))
        .collect();
    to.block(async {
        let client = to.client().await?;
        Ok(client.execute(&sql, &params).await?)
    })
}

/// Rows and the hash of `table` as PostgreSQL holds it, read in chunks.
fn hash_postgres(to: &PgStore, table: &Table) -> Result<(u64, String), StoreError> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        column_list(table, false),
        table.name,
        order_by(table, false)
    );
    let rows_per_chunk = chunk_rows(table);
    to.block(async {
        let mut client = to.client().await?;
        let tx = super::snapshot(&mut client).await?;
        let portal = tx.bind(sql.as_str(), &[]).await?;
        let (mut hasher, mut line, mut count) = (Sha256::new(), Vec::new(), 0u64);
        loop {
            let rows = tx.query_portal(&portal, rows_per_chunk as i32).await?;
            for row in &rows {
                let values: Vec<Value> = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| from_postgres(row, i, *kind))
                    .collect();
                row_hash(&mut hasher, &values, &mut line);
                count += 1;
            }
            if rows.len() < rows_per_chunk {
                break;
            }
        }
        tx.commit().await?;
        Ok((count, hex::encode(hasher.finalize())))
    })
}
