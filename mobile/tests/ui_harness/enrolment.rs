//! What enrolment and a first sync leave in a vault, written directly: the
//! code of practice accepted in `lang`, a device token, the researcher's
//! name, and every shipped protocol pinned as `demo` publishes it, media
//! included. Shared by the headless screen tests and the window tests
//! (`app_window_support` includes this file by path).

use fieldkit_mobile::vault::{CodeOfPracticeAck, DeviceToken, PinnedProtocol, Setting, Vault};
use fieldkit_protocols::wire::ProtocolListing;
use fieldkit_protocols::{library, parse_protocol};

pub fn enrol_as_demo(vault: &mut Vault, lang: &str, token: &str) {
    for setting in [
        Setting::CodeOfPracticeAcknowledged(CodeOfPracticeAck {
            language: lang.into(),
            at: time::OffsetDateTime::now_utc(),
        }),
        Setting::DeviceToken(DeviceToken::new(token)),
        Setting::ResearcherName("Awa Diallo".into()),
    ] {
        vault.set_setting(&setting).unwrap();
    }
    pin_shipped(vault, true);
}

/// Every shipped protocol pinned as `demo` publishes it, but none of its
/// pictures and sounds yet: a phone whose signal went right after
/// enrolment. Returns the bytes of media the pinned protocols name.
pub fn pin_without_media(vault: &mut Vault) -> u64 {
    pin_shipped(vault, false)
}

/// Pins every shipped protocol (and its media, with `media`); returns the
/// bytes of media the protocols name.
fn pin_shipped(vault: &mut Vault, media: bool) -> u64 {
    let mut media_bytes = 0;
    for shipped in library::SHIPPED {
        let (source, bundle) = library::demo_published(shipped.file);
        let protocol = parse_protocol(shipped.file, &source).unwrap();
        media_bytes += protocol.media.values().map(|m| m.bytes).sum::<u64>();
        let listing = ProtocolListing::new(&protocol, source);
        vault
            .pin_protocol(&PinnedProtocol::from_listing(&listing))
            .unwrap();
        if !media {
            continue;
        }
        for (path, bytes) in &bundle.files {
            vault
                .pin_media(&bundle.manifest[path].sha256, bytes)
                .unwrap();
        }
    }
    media_bytes
}
