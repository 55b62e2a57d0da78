//! A phone that finished the first run and enrolment, with every shipped
//! protocol pinned as enrolment would have done, on the real vault.

use fieldkit_mobile::ui::services::EnrolDefaults;
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{KdfParams, Passphrase, PinnedProtocol, Vault, VaultSettings};
use fieldkit_protocols::wire::ProtocolListing;

use super::{Ui, STRONG};

fn settings() -> VaultSettings {
    VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    }
}

pub fn set_up(dir: &std::path::Path) {
    let mut vault = Vault::create(dir, &Passphrase::new(STRONG), settings()).unwrap();
    super::enrolment::enrol_as_demo(&mut vault, "en", "test-token");
}

/// The app on that phone, unlocked, on the fieldwork home screen.
pub fn unlocked(dir: &std::path::Path) -> Ui {
    let services = VaultServices::new(dir.to_path_buf(), settings(), EnrolDefaults::default());
    let mut ui = Ui::start(services);
    ui.type_into("unlock-passphrase", STRONG);
    ui.click("unlock");
    ui
}

/// Pins `protocol` (a test's own variant of a shipped one) in the vault.
pub fn pin(dir: &std::path::Path, protocol: &fieldkit_protocols::Protocol) {
    let source = fieldkit_protocols::to_toml(protocol);
    let listing = ProtocolListing::new(protocol, source);
    vault(dir)
        .pin_protocol(&PinnedProtocol::from_listing(&listing))
        .unwrap();
}

pub fn vault(dir: &std::path::Path) -> Vault {
    Vault::unlock_with(dir, &Passphrase::new(STRONG), &settings()).unwrap()
}
