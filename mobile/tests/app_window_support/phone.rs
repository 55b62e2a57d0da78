//! A phone prepared through the library, as enrolment and a sync would have
//! left it: the shipped protocols pinned with their media, the app language
//! saved. Used by the window tests that start on a ready phone.

use fieldkit_mobile::vault::{Passphrase, Vault, VaultSettings};

use super::PASSPHRASE;

/// Makes the vault in `dir` at the shipped Argon2 cost, in app language
/// `lang`, and hands it back still open.
pub fn enrolled_phone(dir: &std::path::Path, lang: &str) -> Vault {
    let mut vault =
        Vault::create(dir, &Passphrase::new(PASSPHRASE), VaultSettings::default()).unwrap();
    super::enrolment::enrol_as_demo(&mut vault, lang, "screenshot-token");
    std::fs::write(dir.join("language"), lang).unwrap();
    vault
}
