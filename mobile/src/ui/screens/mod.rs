//! One component per screen.

mod code_of_practice;
mod enrol;
mod language;
mod locked;
mod passphrase;

pub use code_of_practice::CodeOfPracticeScreen;
pub use enrol::EnrolScreen;
pub use language::LanguageScreen;
pub use locked::LockedScreen;
pub use passphrase::PassphraseScreen;
pub(crate) use passphrase::StrengthMeter;
