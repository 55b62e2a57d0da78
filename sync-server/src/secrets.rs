//! Enrolment codes and device tokens: made from the OS random source, handed
//! out once, stored only as SHA-256 hashes.

use fieldkit_protocols::wire::WireSecret;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Crockford base32: no I, L, O, U, so a code read aloud or copied by hand
/// survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A one-time enrolment code: 16 characters (80 bits) in groups of four,
/// `K7QM-3XRA-P9TD-2HWE`.
pub fn new_enrolment_code() -> WireSecret {
    let mut bytes = Zeroizing::new([0u8; 16]);
    OsRng.fill_bytes(bytes.as_mut());
    let mut code = String::with_capacity(19);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    WireSecret::new(code)
}

/// The code as typed, made canonical: case, dashes and spaces ignored, and
/// the letters people confuse with digits read as those digits.
pub fn normalise_code(typed: &str) -> Zeroizing<String> {
    Zeroizing::new(
        typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect(),
    )
}

/// A device token: 256 random bits, hex.
pub fn new_device_token() -> WireSecret {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    WireSecret::new(hex::encode(bytes.as_ref()))
}

/// What the database keeps of a code or token.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_survive_being_typed_sloppily() {
        let code = new_enrolment_code();
        assert_eq!(code.expose().len(), 19);
        let typed = code.expose().to_lowercase().replace('-', " ");
        assert_eq!(*normalise_code(&typed), code.expose().replace('-', ""));
        assert_eq!(*normalise_code("o0-Il"), "0011");
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_device_token();
        let b = new_device_token();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_ne!(hash_secret(a.expose()), a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
