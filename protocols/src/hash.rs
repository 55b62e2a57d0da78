//! Stable content hashes: a protocol version, and separately its data-use
//! statement (R4), so the server can tell that consent was given to the exact
//! statement that was published.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{DataUse, Protocol};

/// `sha256:<64 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentHash(pub String);

impl ContentHash {
    /// Hashes a value's canonical JSON form. Struct fields serialise in
    /// declaration order and every map is a `BTreeMap`, so the bytes (and the
    /// hash) do not depend on how the TOML was laid out.
    pub fn of<T: Serialize>(value: &T) -> ContentHash {
        // Streamed into the hasher through a buffer: no copy of the whole
        // JSON, which the server made for every record it verifies.
        let mut out = std::io::BufWriter::with_capacity(4096, Hashing(Sha256::new()));
        serde_json::to_writer(&mut out, value).expect("model types always serialise");
        let Ok(Hashing(hasher)) = out.into_inner() else {
            unreachable!("hashing never fails to write")
        };
        ContentHash::from_digest(&hasher.finalize())
    }

    pub fn of_bytes(bytes: &[u8]) -> ContentHash {
        ContentHash::from_digest(&Sha256::digest(bytes))
    }

    fn from_digest(digest: &[u8]) -> ContentHash {
        ContentHash(format!("sha256:{}", hex::encode(digest)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SHA-256 named by its 64 lowercase hex digits (as in a media
    /// address); `None` for anything else.
    pub fn from_sha256_hex(hex: &str) -> Option<ContentHash> {
        let valid = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| ContentHash(format!("sha256:{hex}")))
    }

    /// The hex digits alone, without `sha256:` (a media file's address).
    pub fn hex(&self) -> &str {
        self.0.strip_prefix("sha256:").unwrap_or(&self.0)
    }

    /// The first hex digits, for people reading a list.
    pub fn short(&self) -> &str {
        let hex = self.hex();
        &hex[..hex.len().min(12)]
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Protocol {
    /// The hash of this whole protocol version.
    pub fn content_hash(&self) -> ContentHash {
        ContentHash::of(self)
    }

    /// The hash of the data-use statement alone; stored in every consent (R3, R4).
    pub fn data_use_hash(&self) -> ContentHash {
        ContentHash::of::<DataUse>(&self.data_use)
    }
}

/// A writer that only feeds SHA-256.
struct Hashing(Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
