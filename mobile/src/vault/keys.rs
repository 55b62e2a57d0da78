//! Secrets and key wrapping: the passphrase, the supervisor's code, the data
//! key, and how the data key is stored wrapped under a key derived from a
//! secret a person types (Argon2id, then XChaCha20-Poly1305).
//!
//! Secret types zeroize on drop, print as `<redacted>` and have no
//! `Serialize` impl, so they cannot end up in a log, a JSON body or a file.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const NONCE_LEN: usize = 24;
const SALT_LEN: usize = 16;
/// Binds a wrapped key to its purpose, so a wrapped key cannot be mistaken
/// for a record (records use another associated-data prefix).
const WRAP_AAD: &[u8] = b"fieldkit-wrapped-key-v1";
const DURESS_DOMAIN: &[u8] = b"fieldkit-duress-tag-v1";

macro_rules! redacted_debug {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }
    };
}

/// The researcher's passphrase. Opens the research vault.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);
redacted_debug!(Passphrase);

impl Passphrase {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The typed text, for a strength meter; never log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A supervisor's code: the second person who must be present to open the
/// identity store (R21).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SupervisorCode(String);
redacted_debug!(SupervisorCode);

impl SupervisorCode {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The random 256-bit key that encrypts every record of one store.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);
redacted_debug!(DataKey);

impl DataKey {
    pub(crate) fn random() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Argon2id cost parameters, kept in the store's header so a later app
/// version can raise them for new vaults and still open old ones.
///
/// The default (64 MiB, 3 passes, 1 lane) is the second recommendation of
/// RFC 9106 for memory-constrained machines: about half a second to a second
/// on a mid-range phone from the last years, which a researcher pays once per
/// unlock, while each guess costs an attacker who copied the file the same
/// 64 MiB. One lane because phones give an app few cores and the cost should
/// not depend on how many it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Checks the parameters without deriving anything.
    pub fn validate(&self) -> Result<(), String> {
        self.argon2().map(|_| ())
    }

    fn argon2(&self) -> Result<Argon2<'static>, String> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| format!("Argon2 parameters {self:?} are not usable: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Derives a 256-bit key-encryption key from a typed secret.
    fn derive(&self, secret: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
        let mut out = Zeroizing::new([0u8; 32]);
        self.argon2()?
            .hash_password_into(secret, salt, out.as_mut())
            .map_err(|e| format!("Argon2 failed: {e}"))?;
        Ok(out)
    }
}

/// A data key as stored: wrapped under a key derived from a typed secret.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct WrappedKey {
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    /// nonce || ciphertext || tag
    pub wrapped: Vec<u8>,
}

/// The secret did not unwrap the key (or the wrapped key is damaged, which
/// the header checksum rules out before we get here).
#[derive(Debug)]
pub(crate) struct WrongSecret;

impl WrappedKey {
    pub fn wrap(key: &DataKey, secret: &[u8], kdf: KdfParams) -> Result<Self, String> {
        let salt = random_bytes(SALT_LEN);
        let kek = kdf.derive(secret, &salt)?;
        let wrapped = seal_raw(&kek, WRAP_AAD, key.bytes());
        Ok(Self { kdf, salt, wrapped })
    }

    pub fn unwrap(&self, secret: &[u8]) -> Result<DataKey, WrongSecret> {
        let kek = self
            .kdf
            .derive(secret, &self.salt)
            .map_err(|_| WrongSecret)?;
        let plain = open_raw(&kek, WRAP_AAD, &self.wrapped).ok_or(WrongSecret)?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| WrongSecret)?;
        Ok(DataKey(bytes))
    }
}

/// What lets the app recognise the duress passphrase without storing it: a
/// salt and a hash of its Argon2id output (as costly to guess as the real one).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DuressTag {
    pub salt: Vec<u8>,
    pub tag: Vec<u8>,
}

impl DuressTag {
    pub fn new(secret: &[u8], kdf: KdfParams) -> Result<Self, String> {
        let salt = random_bytes(SALT_LEN);
        let tag = Self::compute(secret, &salt, kdf)?;
        Ok(Self { salt, tag })
    }

    fn compute(secret: &[u8], salt: &[u8], kdf: KdfParams) -> Result<Vec<u8>, String> {
        use sha2::{Digest, Sha256};
        let derived = kdf.derive(secret, salt)?;
        let mut hasher = Sha256::new();
        hasher.update(DURESS_DOMAIN);
        hasher.update(derived.as_ref());
        Ok(hasher.finalize().to_vec())
    }

    pub fn matches(&self, secret: &[u8], kdf: KdfParams) -> bool {
        Self::compute(secret, &self.salt, kdf)
            .is_ok_and(|tag| bool::from(tag.as_slice().ct_eq(&self.tag)))
    }
}

pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    OsRng.fill_bytes(&mut out);
    out
}

/// XChaCha20-Poly1305 with a fresh random nonce: returns nonce || ciphertext.
pub(crate) fn seal_raw(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encrypts any length a phone can hold");
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

/// The inverse of [`seal_raw`]; `None` if the key, the associated data or a
/// single byte differs.
pub(crate) fn open_raw(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn secrets_print_redacted() {
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2")),
            "Passphrase(<redacted>)"
        );
        assert_eq!(
            format!("{:?}", SupervisorCode::new("4711")),
            "SupervisorCode(<redacted>)"
        );
        assert_eq!(format!("{:?}", DataKey::random()), "DataKey(<redacted>)");
    }

    #[test]
    fn zeroize_clears_the_secret_bytes() {
        let mut pass = Passphrase::new("correct horse");
        pass.zeroize();
        assert!(pass.expose().is_empty());
        let mut key = DataKey::random();
        key.zeroize();
        assert_eq!(key.bytes(), &[0u8; 32]);
    }

    #[test]
    fn wrapped_key_opens_only_with_its_secret() {
        let key = DataKey::random();
        let wrapped = WrappedKey::wrap(&key, b"right", CHEAP).unwrap();
        assert_eq!(wrapped.unwrap(b"right").unwrap().bytes(), key.bytes());
        assert!(wrapped.unwrap(b"wrong").is_err());
        let mut damaged = wrapped;
        damaged.wrapped[30] ^= 1;
        assert!(damaged.unwrap(b"right").is_err());
    }

    #[test]
    fn duress_tag_recognises_only_its_passphrase() {
        let tag = DuressTag::new(b"duress", CHEAP).unwrap();
        assert!(tag.matches(b"duress", CHEAP));
        assert!(!tag.matches(b"duress ", CHEAP));
    }

    #[test]
    fn default_parameters_are_the_documented_ones() {
        let kdf = KdfParams::default();
        assert_eq!(
            (kdf.memory_kib, kdf.iterations, kdf.parallelism),
            (65536, 3, 1)
        );
        assert!(kdf.validate().is_ok());
        assert!(KdfParams {
            memory_kib: 1,
            ..kdf
        }
        .validate()
        .is_err());
    }
}
