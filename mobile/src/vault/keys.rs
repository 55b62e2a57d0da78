//! Secrets and key wrapping: the passphrase, the supervisor's code, the data
//! key, and how the data key is stored wrapped under a key derived from a
//! secret a person types (Argon2id, then XChaCha20-Poly1305).
//!
//! Secret types zeroize on drop, print as `<redacted>` and have no
//! `Serialize` impl, so they cannot end up in a log, a JSON body or a file.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const NONCE_LEN: usize = 24;
pub(crate) const SALT_LEN: usize = 16;
/// nonce || 32-byte key || tag.
pub(crate) const WRAPPED_LEN: usize = NONCE_LEN + 32 + 16;
pub(crate) const DURESS_TAG_LEN: usize = 32;
/// Binds a wrapped key to its purpose, so a wrapped key cannot be mistaken
/// for a record (records use another associated-data prefix).
const WRAP_AAD: &[u8] = b"fieldkit-wrapped-key-v2";
const DURESS_DOMAIN: &[u8] = b"fieldkit-duress-tag-v2";

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

/// Argon2id cost parameters, kept in the store's header.
///
/// The default (64 MiB, 3 passes, 1 lane) is the second recommendation of
/// RFC 9106 for memory-constrained machines: about half a second to a second
/// on a mid-range phone from the last years, which a researcher pays once per
/// unlock, while each guess costs an attacker who copied the file the same
/// 64 MiB. One lane because phones give an app few cores and the cost should
/// not depend on how many it gets.
///
/// The header's parameters are not trusted: a store opens only with a cost
/// this app ships ([`KdfParams::DEFAULT`]), so an edited header can neither
/// make guessing cheap nor make the right passphrase fail without being
/// reported as tampering. Tests use [`KdfParams::INSECURE_TEST_ONLY`], which
/// is accepted only when the caller's own settings name it: a file alone can
/// never lower the cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl KdfParams {
    /// What every store on a phone is made with.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// The cheapest cost Argon2id allows, so tests do not spend a second per
    /// unlock. Never for a real phone: production settings refuse it.
    pub const INSECURE_TEST_ONLY: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    /// The costs this app makes stores with and accepts from a header. A
    /// later version that raises the cost adds its own here.
    const SHIPPED: &'static [KdfParams] = &[KdfParams::DEFAULT];

    pub fn is_shipped(&self) -> bool {
        Self::SHIPPED.contains(self)
    }

    /// Whether a store may be made or opened at this cost when the caller's
    /// settings ask for `chosen`: a shipped cost always, the test cost only
    /// when the caller chose exactly it, nothing else.
    pub(crate) fn allowed(&self, chosen: KdfParams) -> bool {
        self.is_shipped() || (*self == chosen && chosen == Self::INSECURE_TEST_ONLY)
    }

    /// Checks that a store may be made with these parameters.
    pub fn validate(&self) -> Result<(), String> {
        if !self.allowed(*self) {
            return Err(format!(
                "Argon2 parameters {self:?} are not a cost this app ships \
                 (use KdfParams::DEFAULT, or KdfParams::INSECURE_TEST_ONLY in tests)"
            ));
        }
        self.argon2().map(|_| ())
    }

    fn argon2(&self) -> Result<Argon2<'static>, String> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| format!("Argon2 parameters {self:?} are not usable: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The associated data that binds a wrapped key to these parameters.
    fn wrap_aad(&self) -> Vec<u8> {
        let mut aad = WRAP_AAD.to_vec();
        for n in [self.memory_kib, self.iterations, self.parallelism] {
            aad.extend_from_slice(&n.to_be_bytes());
        }
        aad
    }
}

/// A key-encryption key: Argon2id of what a person typed. One derivation
/// per attempt answers both "does it open the store" and "is it the duress
/// passphrase", so an attempt costs the same whether or not a duress
/// passphrase is set.
pub(crate) struct Kek {
    key: Zeroizing<[u8; 32]>,
    kdf: KdfParams,
}

impl Kek {
    pub fn derive(kdf: KdfParams, secret: &[u8], salt: &[u8]) -> Result<Kek, String> {
        let mut key = Zeroizing::new([0u8; 32]);
        kdf.argon2()?
            .hash_password_into(secret, salt, key.as_mut())
            .map_err(|e| format!("Argon2 failed: {e}"))?;
        Ok(Kek { key, kdf })
    }

    /// nonce || ciphertext || tag of the data key, bound to the parameters.
    pub fn wrap(&self, data: &DataKey) -> Vec<u8> {
        seal_raw(&self.key, &self.kdf.wrap_aad(), data.bytes())
    }

    pub fn unwrap(&self, wrapped: &[u8]) -> Option<DataKey> {
        let plain = open_raw(&self.key, &self.kdf.wrap_aad(), wrapped)?;
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(DataKey(bytes))
    }

    /// What the header keeps to recognise the duress passphrase: a keyed
    /// hash of this key, as costly to guess as the passphrase itself.
    pub fn duress_tag(&self) -> [u8; DURESS_TAG_LEN] {
        mac(self.key.as_ref(), &[DURESS_DOMAIN])
    }

    pub fn matches_duress(&self, tag: &[u8]) -> bool {
        bool::from(self.duress_tag().as_slice().ct_eq(tag))
    }
}

/// Keys derived from a store's data key, one per purpose, so the AEAD key
/// is never used for anything else.
pub(crate) struct Subkeys {
    /// Row ids that do not reveal the name they were made from.
    pub ids: Zeroizing<[u8; 32]>,
    /// The integrity ledger's row terms.
    pub ledger: Zeroizing<[u8; 32]>,
    /// The key header's authentication.
    pub header: Zeroizing<[u8; 32]>,
}

impl Subkeys {
    pub fn of(key: &DataKey) -> Subkeys {
        let derive =
            |label: &[u8]| Zeroizing::new(mac(key.bytes(), &[b"fieldkit-subkey-v2\0", label]));
        Subkeys {
            ids: derive(b"ids"),
            ledger: derive(b"ledger"),
            header: derive(b"header"),
        }
    }
}

/// HMAC-SHA-256 of the parts, each length-prefixed so no two lists of parts
/// give the same input.
pub(crate) fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hmac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        hmac.update(&(part.len() as u64).to_be_bytes());
        hmac.update(part);
    }
    hmac.finalize().into_bytes().into()
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
    open_raw_owned(key, aad, sealed.to_vec())
}

/// [`open_raw`] in the sealed bytes' own buffer: a long read opens
/// hundreds of records, and a copy and an allocation each add up.
pub(crate) fn open_raw_owned(
    key: &[u8; 32],
    aad: &[u8],
    sealed: Vec<u8>,
) -> Option<Zeroizing<Vec<u8>>> {
    let mut buffer = Zeroizing::new(sealed);
    let plain_len = open_in_place(key, aad, &mut buffer)?.len();
    buffer.copy_within(NONCE_LEN..NONCE_LEN + plain_len, 0);
    buffer.truncate(plain_len);
    Some(buffer)
}

/// Decrypts sealed bytes where they lie (in a buffer that holds several
/// records, say) and returns the plaintext: the part between nonce and tag.
/// Whoever owns the buffer zeroes it.
pub(crate) fn open_in_place<'a>(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &'a mut [u8],
) -> Option<&'a [u8]> {
    const TAG_LEN: usize = 16;
    let plain_len = sealed.len().checked_sub(NONCE_LEN + TAG_LEN)?;
    let (nonce, rest) = sealed.split_at_mut(NONCE_LEN);
    let (text, tag) = rest.split_at_mut(plain_len);
    // The tag is checked before anything is decrypted.
    XChaCha20Poly1305::new(key.into())
        .decrypt_in_place_detached(XNonce::from_slice(nonce), aad, text, Tag::from_slice(tag))
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams::INSECURE_TEST_ONLY;

    /// draft-irtf-cfrg-xchacha-03, appendix A.3.1, in the vault's layout
    /// (nonce, ciphertext, tag). Whichever Poly1305 backend a build picks
    /// (`.cargo/config.toml`), a record sealed by one build opens on another.
    #[test]
    fn records_open_as_the_published_xchacha20_poly1305_vector_says() {
        let key: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let sealed = hex::decode(concat!(
            "404142434445464748494a4b4c4d4e4f5051525354555657",
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb",
            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452",
            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9",
            "21f9664c97637da9768812f615c68b13b52e",
            "c0875924c1c7987947deafd8780acf49",
        ))
        .unwrap();
        let opened = open_raw(&key, &aad, &sealed).expect("the published vector opens");
        assert_eq!(
            &opened[..],
            &b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip \
               for the future, sunscreen would be it."[..]
        );
        let mut forged = sealed;
        *forged.last_mut().unwrap() ^= 1;
        assert!(open_raw(&key, &aad, &forged).is_none());
    }

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
    fn a_wrapped_key_opens_only_with_its_secret_salt_and_parameters() {
        let key = DataKey::random();
        let salt = random_bytes(SALT_LEN);
        let wrapped = Kek::derive(CHEAP, b"right", &salt).unwrap().wrap(&key);
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        let opened = Kek::derive(CHEAP, b"right", &salt)
            .unwrap()
            .unwrap(&wrapped);
        assert_eq!(opened.unwrap().bytes(), key.bytes());
        assert!(Kek::derive(CHEAP, b"wrong", &salt)
            .unwrap()
            .unwrap(&wrapped)
            .is_none());
        let other_salt = random_bytes(SALT_LEN);
        assert!(Kek::derive(CHEAP, b"right", &other_salt)
            .unwrap()
            .unwrap(&wrapped)
            .is_none());
        let dearer = KdfParams {
            iterations: 2,
            ..CHEAP
        };
        assert!(Kek::derive(dearer, b"right", &salt)
            .unwrap()
            .unwrap(&wrapped)
            .is_none());
        let mut damaged = wrapped;
        damaged[30] ^= 1;
        assert!(Kek::derive(CHEAP, b"right", &salt)
            .unwrap()
            .unwrap(&damaged)
            .is_none());
    }

    #[test]
    fn the_duress_tag_recognises_only_its_passphrase() {
        let salt = random_bytes(SALT_LEN);
        let tag = Kek::derive(CHEAP, b"duress", &salt).unwrap().duress_tag();
        assert!(Kek::derive(CHEAP, b"duress", &salt)
            .unwrap()
            .matches_duress(&tag));
        assert!(!Kek::derive(CHEAP, b"duress ", &salt)
            .unwrap()
            .matches_duress(&tag));
    }

    #[test]
    fn only_the_shipped_cost_is_accepted_unless_the_caller_chose_the_test_cost() {
        let kdf = KdfParams::default();
        assert_eq!(
            (kdf.memory_kib, kdf.iterations, kdf.parallelism),
            (65536, 3, 1)
        );
        assert!(kdf.validate().is_ok());
        assert!(kdf.allowed(KdfParams::DEFAULT) && kdf.allowed(CHEAP));
        // The test cost opens only for a caller that chose it.
        assert!(!CHEAP.allowed(KdfParams::DEFAULT));
        assert!(CHEAP.allowed(CHEAP));
        // Anything else never: cheaper, dearer, or merely different.
        for other in [
            KdfParams {
                memory_kib: 1024,
                ..CHEAP
            },
            KdfParams {
                memory_kib: 32 * 1024,
                ..kdf
            },
            KdfParams {
                iterations: 4,
                ..kdf
            },
            KdfParams {
                parallelism: 2,
                ..kdf
            },
        ] {
            assert!(!other.allowed(KdfParams::DEFAULT), "{other:?}");
            assert!(!other.allowed(other), "{other:?}");
            assert!(other.validate().is_err(), "{other:?}");
        }
    }
}
