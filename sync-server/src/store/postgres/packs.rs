//! Findings packs on PostgreSQL (see [`crate::store::packs`]): one row per
//! hash, written with its audit entry in one transaction; two instances
//! publishing the same pack race on the primary key and one wins.

use fieldkit_protocols::hash::ContentHash;
use tokio_postgres::Row;

use super::PgStore;
use crate::access::Principal;
use crate::store::{PackStore, PublishedPack, StoreError};

const COLUMNS: &str = "hash, site, protocol_id, pack_json, published_by, published_at";

fn pack(r: &Row) -> PublishedPack {
    PublishedPack {
        hash: ContentHash(r.get(0)),
        site: r.get(1),
        protocol_id: r.get(2),
        pack_json: r.get(3),
        published_by: r.get(4),
        published_at: r.get(5),
    }
}

impl PackStore for PgStore {
    fn publish_pack(&self, who: &Principal, p: &PublishedPack) -> Result<bool, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let inserted = tx
                .execute(
                    &format!("INSERT INTO findings_packs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"),
                    &[
                        &p.hash.0,
                        &p.site,
                        &p.protocol_id,
                        &p.pack_json,
                        &p.published_by,
                        &p.published_at,
                    ],
                )
                .await?;
            if inserted == 1 {
                tx.execute(
                    "INSERT INTO audit_log (actor, action, target, at) VALUES ($1, 'publish_pack', $2, $3)",
                    &[&who.to_string(), &p.hash.0, &p.published_at],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(inserted == 1)
        })
    }

    fn packs(&self) -> Result<Vec<PublishedPack>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    &format!("SELECT {COLUMNS} FROM findings_packs ORDER BY published_at, hash"),
                    &[],
                )
                .await?;
            Ok(rows.iter().map(pack).collect())
        })
    }

    fn pack(&self, hash: &ContentHash) -> Result<Option<PublishedPack>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM findings_packs WHERE hash = $1"),
                    &[&hash.0],
                )
                .await?;
            Ok(row.as_ref().map(pack))
        })
    }
}
