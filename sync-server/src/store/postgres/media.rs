//! Protocol media on PostgreSQL (see [`crate::store::media`]): each file
//! once by its SHA-256, written in the same transaction as the protocol
//! version that names it, so every instance serves the same files and a
//! refused publish leaves nothing.

use fieldkit_protocols::hash::ContentHash;

use super::PgStore;
use crate::store::{MediaBlob, MediaStore, PublishOutcome, PublishedProtocol, StoreError};

impl MediaStore for PgStore {
    fn publish_with_media(
        &self,
        p: &PublishedProtocol,
        media: &[MediaBlob],
    ) -> Result<PublishOutcome, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let version = i64::from(p.version);
            // Two instances publishing the same version race on the primary
            // key: one inserts, the other finds it (and its own media are
            // not written).
            let inserted = tx
                .execute(
                    "INSERT INTO protocols VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[
                        &p.protocol_id,
                        &version,
                        &p.content_hash.0,
                        &p.source_toml,
                        &p.published_at,
                    ],
                )
                .await?;
            if inserted == 1 {
                let insert = tx
                    .prepare(
                        "INSERT INTO media (sha256, mime, bytes) VALUES ($1, $2, $3)
                         ON CONFLICT (sha256) DO NOTHING",
                    )
                    .await?;
                for blob in media {
                    tx.execute(&insert, &[&blob.sha256.0, &blob.mime, &blob.bytes])
                        .await?;
                }
                tx.commit().await?;
                return Ok(PublishOutcome::Published);
            }
            let existing: String = tx
                .query_one(
                    "SELECT content_hash FROM protocols WHERE protocol_id = $1 AND version = $2",
                    &[&p.protocol_id, &version],
                )
                .await?
                .get(0);
            Ok(if existing == p.content_hash.0 {
                PublishOutcome::AlreadyPublished
            } else {
                PublishOutcome::Refused {
                    existing_hash: ContentHash(existing),
                }
            })
        })
    }

    fn media_blob(&self, sha256: &ContentHash) -> Result<Option<MediaBlob>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT mime, bytes FROM media WHERE sha256 = $1",
                    &[&sha256.0],
                )
                .await?;
            Ok(row.map(|r| MediaBlob {
                sha256: sha256.clone(),
                mime: r.get(0),
                bytes: r.get(1),
            }))
        })
    }
}
