//! The integrity ledger: what the whole research vault should hold, sealed
//! under its data key, so rows rolled back, removed or added outside the app
//! are noticed even though each of them still decrypts.
//!
//! Each row of each table counts as one term: an HMAC, under a key derived
//! from the data key, of the table's name and every column of the row
//! (ciphertexts, plain states, positions, session ids). The ledger keeps, per
//! table, the number of rows and the sum of their terms modulo 2^256. Every
//! write updates it in the same transaction (subtract the row's old term, add
//! its new one), so the sealed sums always describe what the app last wrote.
//! At unlock the sums are recomputed from the file; a table whose rows do not
//! add up is reported. Without the key nobody can compute a term, so no edit
//! can be balanced out; restoring an old copy of the *whole* file brings its
//! old ledger along, which only a platform counter could catch (see
//! `docs/threat-model.md`).

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Params};
use serde::{Deserialize, Serialize};

use super::crypto::{open_json, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::keys::{mac, DataKey, Subkeys};
use super::VaultError;

/// The tables the ledger covers: everything but the key header (which has
/// its own MAC) and the ledger itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    Sessions,
    Events,
    Drafts,
    Settings,
    Notes,
    Attachments,
    Outbox,
    Pinned,
    Media,
    OutboxPayloads,
}

impl Table {
    /// New tables go last: a ledger sealed before one existed has fewer
    /// tallies, and the new table starts empty.
    pub const ALL: [Table; 10] = [
        Table::Sessions,
        Table::Events,
        Table::Drafts,
        Table::Settings,
        Table::Notes,
        Table::Attachments,
        Table::Outbox,
        Table::Pinned,
        Table::Media,
        Table::OutboxPayloads,
    ];

    pub fn sql_name(self) -> &'static str {
        match self {
            Table::Sessions => "sessions",
            Table::Events => "events",
            Table::Drafts => "drafts",
            Table::Settings => "settings",
            Table::Notes => "notes",
            Table::Attachments => "attachments",
            Table::Outbox => "outbox",
            Table::Pinned => "pinned",
            Table::Media => "media",
            Table::OutboxPayloads => "outbox_payloads",
        }
    }

    /// What a person calls these rows.
    pub fn describe(self) -> &'static str {
        match self {
            Table::Sessions => "session summaries",
            Table::Events => "session events",
            Table::Drafts => "drafts",
            Table::Settings => "settings",
            Table::Notes => "field notes",
            Table::Attachments => "attachments",
            Table::Outbox => "outbox entries",
            Table::Pinned => "pinned protocols",
            Table::Media => "protocol pictures and sounds",
            Table::OutboxPayloads => "outbox contents",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Rows and sum of terms of one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Tally {
    rows: u64,
    /// Little-endian limbs of a number modulo 2^256.
    sum: [u64; 4],
}

impl Tally {
    fn add(&mut self, term: &[u64; 4]) {
        let mut carry = false;
        for (limb, t) in self.sum.iter_mut().zip(term) {
            let (s, c1) = limb.overflowing_add(*t);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *limb = s;
            carry = c1 || c2;
        }
        self.rows = self.rows.wrapping_add(1);
    }

    fn sub(&mut self, term: &[u64; 4]) {
        let mut borrow = false;
        for (limb, t) in self.sum.iter_mut().zip(term) {
            let (s, b1) = limb.overflowing_sub(*t);
            let (s, b2) = s.overflowing_sub(u64::from(borrow));
            *limb = s;
            borrow = b1 || b2;
        }
        self.rows = self.rows.wrapping_sub(1);
    }
}

/// What a table holds compared with what the ledger says it should.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityProblem {
    /// Which rows, in words ("session events", "outbox entries").
    pub what: &'static str,
    /// Rows the app last wrote, and rows found.
    pub expected_rows: u64,
    pub found_rows: u64,
}

impl std::fmt::Display for IntegrityProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, expected, found) = (self.what, self.expected_rows, self.found_rows);
        if expected == found {
            write!(
                f,
                "{what}: changed, replaced by older copies or swapped outside Fieldkit"
            )
        } else {
            write!(
                f,
                "{what}: Fieldkit last left {expected} row(s), the file has {found} \
                 (rows removed, restored or added outside Fieldkit)"
            )
        }
    }
}

/// The sealed sums, one per table, in [`Table::ALL`] order. A ledger
/// sealed before a table existed has fewer: the new table starts empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    tallies: Vec<Tally>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            tallies: vec![Tally::default(); Table::ALL.len()],
        }
    }
}

fn ledger_ref() -> RecordRef {
    RecordRef::new(RecordKind::Ledger, "ledger")
}

/// One row's term.
fn term(key: &[u8; 32], table: Table, row: &[Value]) -> [u64; 4] {
    let mut encoded = Vec::new();
    for value in row {
        match value {
            Value::Null => encoded.push(0),
            Value::Integer(n) => {
                encoded.push(1);
                encoded.extend_from_slice(&n.to_be_bytes());
            }
            Value::Real(x) => {
                encoded.push(2);
                encoded.extend_from_slice(&x.to_bits().to_be_bytes());
            }
            Value::Text(text) => {
                encoded.push(3);
                encoded.extend_from_slice(&(text.len() as u64).to_be_bytes());
                encoded.extend_from_slice(text.as_bytes());
            }
            Value::Blob(bytes) => {
                encoded.push(4);
                encoded.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                encoded.extend_from_slice(bytes);
            }
        }
    }
    let digest = mac(
        key,
        &[
            b"fieldkit-ledger-term-v2",
            table.sql_name().as_bytes(),
            &encoded,
        ],
    );
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(digest.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    limbs
}

/// Every column of the rows of `table` that match `filter` (an SQL
/// condition on the table's own columns).
fn rows<P: Params>(
    conn: &Connection,
    table: Table,
    filter: &str,
    params: P,
) -> Result<Vec<Vec<Value>>, VaultError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM {} WHERE {filter}",
        table.sql_name()
    ))?;
    let width = stmt.column_count();
    let found = stmt
        .query_map(params, |row| {
            (0..width)
                .map(|i| row.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found)
}

impl Ledger {
    /// Runs `change` (statements on `conn`) and keeps the tallies of `table`
    /// true for the rows matching `filter`, before and after.
    pub fn track<T, P: Params + Copy>(
        &mut self,
        conn: &Connection,
        ledger_key: &[u8; 32],
        table: Table,
        filter: &str,
        params: P,
        change: impl FnOnce() -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let before = rows(conn, table, filter, params)?;
        let out = change()?;
        let after = rows(conn, table, filter, params)?;
        let tally = &mut self.tallies[table.index()];
        for row in &before {
            tally.sub(&term(ledger_key, table, row));
        }
        for row in &after {
            tally.add(&term(ledger_key, table, row));
        }
        Ok(out)
    }

    /// Seals the ledger into its row (inside the caller's transaction).
    pub fn save(&self, conn: &Connection, key: &DataKey) -> Result<(), VaultError> {
        let sealed = seal_json(key, &ledger_ref(), self)?;
        conn.execute(
            "INSERT INTO ledger (id, format, sealed) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
            params![RECORD_FORMAT, sealed],
        )?;
        Ok(())
    }

    pub fn load(conn: &Connection, key: &DataKey) -> Result<Ledger, VaultError> {
        let row: Option<(u32, Vec<u8>)> = conn
            .query_row(
                "SELECT format, sealed FROM ledger WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (format, sealed) = row.ok_or_else(|| VaultError::Corrupt {
            record: ledger_ref().describe(),
        })?;
        let mut ledger: Ledger = open_json(key, &ledger_ref(), format, &sealed)?;
        if ledger.tallies.len() > Table::ALL.len() {
            return Err(VaultError::Corrupt {
                record: ledger_ref().describe(),
            });
        }
        ledger.tallies.resize(Table::ALL.len(), Tally::default());
        Ok(ledger)
    }

    /// The ledger of the file as it is now.
    pub fn recompute(conn: &Connection, ledger_key: &[u8; 32]) -> Result<Ledger, VaultError> {
        let mut ledger = Ledger::default();
        for table in Table::ALL {
            let tally = &mut ledger.tallies[table.index()];
            for row in rows(conn, table, "1", [])? {
                tally.add(&term(ledger_key, table, &row));
            }
        }
        Ok(ledger)
    }

    /// Where `found` differs from this (the sealed) ledger.
    pub fn differences(&self, found: &Ledger) -> Vec<IntegrityProblem> {
        Table::ALL
            .into_iter()
            .filter_map(|table| {
                let (expected, got) = (self.tallies[table.index()], found.tallies[table.index()]);
                (expected != got).then_some(IntegrityProblem {
                    what: table.describe(),
                    expected_rows: expected.rows,
                    found_rows: got.rows,
                })
            })
            .collect()
    }
}

/// One write transaction of the open vault: every change goes through
/// [`Writer::track`], so the ledger stays true.
pub(crate) struct Writer<'a> {
    pub conn: &'a Connection,
    pub key: &'a DataKey,
    pub sub: &'a Subkeys,
    pub(crate) ledger: &'a mut Ledger,
}

impl Writer<'_> {
    /// Runs `change` and keeps the ledger true for the rows of `table`
    /// matching `filter` (before and after the change).
    pub fn track<T, P: Params + Copy>(
        &mut self,
        table: Table,
        filter: &str,
        params: P,
        change: impl FnOnce(&Connection) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let conn = self.conn;
        self.ledger
            .track(conn, &self.sub.ledger, table, filter, params, || {
                change(conn)
            })
    }

    /// One statement on the rows of `table` matching `filter`.
    pub fn execute<P: Params + Copy, Q: Params>(
        &mut self,
        table: Table,
        filter: &str,
        filter_params: P,
        sql: &str,
        params: Q,
    ) -> Result<usize, VaultError> {
        self.track(table, filter, filter_params, |conn| {
            Ok(conn.prepare_cached(sql)?.execute(params)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Vec<[u64; 4]> {
        let key = [9u8; 32];
        (0..50)
            .map(|i| {
                term(
                    &key,
                    Table::Notes,
                    &[Value::Integer(i), Value::Blob(vec![1; 40])],
                )
            })
            .collect()
    }

    #[test]
    fn adding_then_removing_terms_in_any_order_returns_to_zero() {
        let mut tally = Tally::default();
        let terms = terms();
        for t in &terms {
            tally.add(t);
        }
        assert_eq!(tally.rows, 50);
        for t in terms
            .iter()
            .rev()
            .step_by(2)
            .chain(terms.iter().rev().skip(1).step_by(2))
        {
            tally.sub(t);
        }
        assert_eq!(tally, Tally::default());
    }

    #[test]
    fn a_term_depends_on_every_column_the_table_and_the_key() {
        let key = [9u8; 32];
        let row = [Value::Text("a".into()), Value::Integer(1), Value::Null];
        let base = term(&key, Table::Outbox, &row);
        assert_ne!(base, term(&[8u8; 32], Table::Outbox, &row));
        assert_ne!(base, term(&key, Table::Notes, &row));
        assert_ne!(
            base,
            term(
                &key,
                Table::Outbox,
                &[Value::Text("a".into()), Value::Integer(2), Value::Null]
            )
        );
        // No two lists of columns encode alike.
        assert_ne!(
            term(
                &key,
                Table::Outbox,
                &[Value::Text("ab".into()), Value::Text(String::new())]
            ),
            term(
                &key,
                Table::Outbox,
                &[Value::Text("a".into()), Value::Text("b".into())]
            )
        );
    }
}
