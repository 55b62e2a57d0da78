//! A phone prepared through the library, as enrolment and a sync would have
//! left it: the shipped protocols pinned with their media, the app language
//! saved. Used by the window tests that start on a ready phone.

use fieldkit_mobile::vault::{
    CodeOfPracticeAck, DeviceToken, Passphrase, PinnedProtocol, Setting, Vault, VaultSettings,
};
use fieldkit_protocols::wire::ProtocolListing;
use fieldkit_protocols::{library, parse_protocol};

use super::PASSPHRASE;

/// Makes the vault in `dir` at the shipped Argon2 cost, in app language
/// `lang`, and hands it back still open.
pub fn enrolled_phone(dir: &std::path::Path, lang: &str) -> Vault {
    let mut vault =
        Vault::create(dir, &Passphrase::new(PASSPHRASE), VaultSettings::default()).unwrap();
    for setting in [
        Setting::CodeOfPracticeAcknowledged(CodeOfPracticeAck {
            language: lang.into(),
            at: time::OffsetDateTime::now_utc(),
        }),
        Setting::DeviceToken(DeviceToken::new("screenshot-token")),
        Setting::ResearcherName("Awa Diallo".into()),
    ] {
        vault.set_setting(&setting).unwrap();
    }
    for shipped in library::SHIPPED {
        // As `demo` publishes it: with its media manifest, and the media pinned.
        let (source, media) = library::demo_published(shipped.file);
        let protocol = parse_protocol(shipped.file, &source).unwrap();
        let listing = ProtocolListing::new(&protocol, source);
        vault
            .pin_protocol(&PinnedProtocol::from_listing(&listing))
            .unwrap();
        for (path, bytes) in &media.files {
            vault
                .pin_media(&media.manifest[path].sha256, bytes)
                .unwrap();
        }
    }
    std::fs::write(dir.join("language"), lang).unwrap();
    vault
}
