//! Findings packs on the server (issue 22): each stored once by its content
//! hash, never changed (R4), listed to devices and named by validation
//! records. Publishing is audited in the same transaction (R22).

use fieldkit_protocols::hash::ContentHash;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

use super::rows::{parse_ts, ts};
use super::sqlite::SqliteStore;
use super::StoreError;
use crate::access::Principal;

pub(super) const PACKS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS findings_packs (
    hash TEXT PRIMARY KEY, site TEXT NOT NULL, protocol_id TEXT NOT NULL,
    pack_json TEXT NOT NULL, published_by TEXT NOT NULL, published_at TEXT NOT NULL);
";

/// A published pack: its JSON exactly as hashed and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPack {
    pub hash: ContentHash,
    pub site: String,
    pub protocol_id: String,
    pub pack_json: String,
    pub published_by: String,
    pub published_at: OffsetDateTime,
}

/// What publishing, the device API and the analyst pages need. `Store`
/// requires it.
pub trait PackStore {
    /// Stores a pack and audits it; `false` (and nothing written) when a
    /// pack with this hash is already published.
    fn publish_pack(&self, who: &Principal, pack: &PublishedPack) -> Result<bool, StoreError>;
    /// Every published pack, oldest first.
    fn packs(&self) -> Result<Vec<PublishedPack>, StoreError>;
    fn pack(&self, hash: &ContentHash) -> Result<Option<PublishedPack>, StoreError>;
}

const COLUMNS: &str = "hash, site, protocol_id, pack_json, published_by, published_at";

type Raw = (String, String, String, String, String, String);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn cook(
    (hash, site, protocol_id, pack_json, published_by, at): Raw,
) -> Result<PublishedPack, StoreError> {
    Ok(PublishedPack {
        hash: ContentHash(hash),
        site,
        protocol_id,
        pack_json,
        published_by,
        published_at: parse_ts(&at)?,
    })
}

impl PackStore for SqliteStore {
    fn publish_pack(&self, who: &Principal, pack: &PublishedPack) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            &format!("INSERT INTO findings_packs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (hash) DO NOTHING"),
            params![
                pack.hash.0,
                pack.site,
                pack.protocol_id,
                pack.pack_json,
                pack.published_by,
                ts(pack.published_at)
            ],
        )?;
        if inserted == 1 {
            tx.execute(
                "INSERT INTO audit_log (actor, action, target, at) VALUES (?1, 'publish_pack', ?2, ?3)",
                params![who.to_string(), pack.hash.0, ts(pack.published_at)],
            )?;
        }
        tx.commit()?;
        Ok(inserted == 1)
    }

    fn packs(&self) -> Result<Vec<PublishedPack>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM findings_packs ORDER BY published_at, hash"
        ))?;
        let raws = stmt.query_map([], raw)?.collect::<Result<Vec<_>, _>>()?;
        raws.into_iter().map(cook).collect()
    }

    fn pack(&self, hash: &ContentHash) -> Result<Option<PublishedPack>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM findings_packs WHERE hash = ?1"),
            [&hash.0],
            raw,
        )
        .optional()?
        .map(cook)
        .transpose()
    }
}
