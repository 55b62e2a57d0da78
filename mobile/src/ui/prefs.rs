//! Non-secret preferences kept beside the vault in plain text: only the
//! language of the app's own strings, which the lock screen needs before
//! any passphrase is typed. Nothing about respondents is ever kept here, and
//! a wipe removes it with the vault (`vault::PREFERENCE_FILES`).

use std::path::Path;

use super::i18n::Lang;

const LANGUAGE_FILE: &str = "language";

/// The language saved in `dir`, if there is one the app still ships.
pub fn load_language(dir: &Path) -> Option<Lang> {
    let code = std::fs::read_to_string(dir.join(LANGUAGE_FILE)).ok()?;
    Lang::from_code(&code)
}

/// Saves the choice by writing a new file and renaming it over the old one,
/// so a crash never leaves half a file. A failure is logged, not shown: the
/// app then asks for the language again at the next start.
pub fn save_language(dir: &Path, lang: Lang) {
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        let partial = dir.join(format!("{LANGUAGE_FILE}.partial"));
        std::fs::write(&partial, lang.code())?;
        std::fs::rename(&partial, dir.join(LANGUAGE_FILE))
    });
    if let Err(error) = result {
        tracing::warn!(dir = %dir.display(), %error, "could not keep the language choice");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_language_is_read_back_and_an_unknown_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_language(dir.path()), None);
        save_language(dir.path(), Lang::Fr);
        assert_eq!(load_language(dir.path()), Some(Lang::Fr));
        save_language(dir.path(), Lang::En);
        assert_eq!(load_language(dir.path()), Some(Lang::En));
        std::fs::write(dir.path().join(LANGUAGE_FILE), "xx").unwrap();
        assert_eq!(load_language(dir.path()), None);
    }
}
