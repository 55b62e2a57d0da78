//! Protocol media on the server: the files of published bundles, stored by
//! their SHA-256 (the manifest inside each published protocol names them),
//! and served to devices by that hash. A file is stored only in the same
//! transaction as the protocol version that names it, so every stored file
//! belongs to a published version and a refused publish leaves nothing.

use fieldkit_protocols::hash::ContentHash;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::sqlite::{publish_in, SqliteStore};
use super::{PublishOutcome, PublishedProtocol, StoreError};

pub(super) const MEDIA_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS media (
    sha256 TEXT PRIMARY KEY, mime TEXT NOT NULL, bytes BLOB NOT NULL);
";

/// One media file as stored and served.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaBlob {
    /// `sha256:<hex>` of `bytes`.
    pub sha256: ContentHash,
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for MediaBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaBlob")
            .field("sha256", &self.sha256)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What the media routes and `protocol publish` need from storage. `Store`
/// requires it, so handlers reach it through the same `Arc<dyn Store>`.
pub trait MediaStore {
    /// Publishes a protocol version and its media in one transaction. Media
    /// are written only when the version is new: `AlreadyPublished` and
    /// `Refused` store nothing.
    fn publish_with_media(
        &self,
        protocol: &PublishedProtocol,
        media: &[MediaBlob],
    ) -> Result<PublishOutcome, StoreError>;

    /// A stored media file by its hash.
    fn media_blob(&self, sha256: &ContentHash) -> Result<Option<MediaBlob>, StoreError>;
}

impl MediaStore for SqliteStore {
    fn publish_with_media(
        &self,
        protocol: &PublishedProtocol,
        media: &[MediaBlob],
    ) -> Result<PublishOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = publish_in(&tx, protocol)?;
        if outcome == PublishOutcome::Published {
            let mut insert = tx.prepare(
                "INSERT INTO media (sha256, mime, bytes) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO NOTHING",
            )?;
            for blob in media {
                insert.execute(params![blob.sha256.0, blob.mime, blob.bytes])?;
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn media_blob(&self, sha256: &ContentHash) -> Result<Option<MediaBlob>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT mime, bytes FROM media WHERE sha256 = ?1",
                [&sha256.0],
                |r| {
                    Ok(MediaBlob {
                        sha256: sha256.clone(),
                        mime: r.get(0)?,
                        bytes: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }
}
