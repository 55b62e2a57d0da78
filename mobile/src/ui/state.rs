//! Which screen the app shows, as plain data with the moves allowed between
//! screens. Components render an [`AppModel`] and call its methods; the rules
//! of the flow (no going back past a created vault, where unlocking resumes)
//! live here so they are tested without a window.

use super::i18n::Lang;

/// The first-run steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstRunStep {
    Language,
    Passphrase,
    CodeOfPractice,
    Enrol,
}

impl FirstRunStep {
    pub const ALL: [FirstRunStep; 4] = [
        FirstRunStep::Language,
        FirstRunStep::Passphrase,
        FirstRunStep::CodeOfPractice,
        FirstRunStep::Enrol,
    ];

    /// 1-based position, for "Step 2 of 4".
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    FirstRun(FirstRunStep),
    /// Set up and unlocked.
    Home,
    /// Quick-locked: nothing of the previous screen is kept or shown (R18).
    Locked,
}

/// What has been done on this phone so far. Comes from the vault when the
/// app starts, so a phone that was set up opens on the lock screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SetupProgress {
    pub vault_created: bool,
    pub code_acknowledged: bool,
    pub enrolled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppModel {
    pub lang: Lang,
    pub screen: Screen,
    pub progress: SetupProgress,
}

impl AppModel {
    /// The model for an app starting with `progress` already done. A phone with
    /// a vault starts locked; a fresh phone starts at the language choice.
    pub fn start(lang: Lang, progress: SetupProgress) -> Self {
        let mut model = Self {
            lang,
            screen: Screen::Locked,
            progress,
        };
        if !progress.vault_created {
            model.screen = model.resume_screen();
        }
        model
    }

    pub fn choose_language(&mut self, lang: Lang) {
        self.lang = lang;
    }

    pub fn language_confirmed(&mut self) {
        if self.screen == Screen::FirstRun(FirstRunStep::Language) {
            self.screen = self.resume_screen_after_language();
        }
    }

    pub fn vault_created(&mut self) {
        self.progress.vault_created = true;
        self.screen = self.resume_screen();
    }

    pub fn code_acknowledged(&mut self) {
        self.progress.code_acknowledged = true;
        self.screen = self.resume_screen();
    }

    pub fn enrolled(&mut self) {
        self.progress.enrolled = true;
        self.screen = self.resume_screen();
    }

    /// Back is offered only before anything is stored: once the vault exists,
    /// returning to the passphrase step would suggest it can be changed there.
    pub fn can_go_back(&self) -> bool {
        self.screen == Screen::FirstRun(FirstRunStep::Passphrase) && !self.progress.vault_created
    }

    pub fn back(&mut self) {
        if self.can_go_back() {
            self.screen = Screen::FirstRun(FirstRunStep::Language);
        }
    }

    /// Quick-lock (R18): from any screen, in one step.
    pub fn lock(&mut self) {
        self.screen = Screen::Locked;
    }

    /// After the passphrase opened the vault: back to where the person was in
    /// the setup (as the vault recorded it), or home.
    pub fn unlocked(&mut self, recorded: SetupProgress) {
        self.progress = recorded;
        self.screen = self.resume_screen();
    }

    /// Locked before any passphrase existed: nothing to unlock, start over.
    pub fn start_again(&mut self) {
        if !self.progress.vault_created {
            self.screen = Screen::FirstRun(FirstRunStep::Language);
        }
    }

    /// The first step not yet done, or home.
    pub fn resume_screen(&self) -> Screen {
        if !self.progress.vault_created {
            Screen::FirstRun(FirstRunStep::Language)
        } else {
            self.resume_screen_after_language()
        }
    }

    fn resume_screen_after_language(&self) -> Screen {
        let p = self.progress;
        match () {
            () if !p.vault_created => Screen::FirstRun(FirstRunStep::Passphrase),
            () if !p.code_acknowledged => Screen::FirstRun(FirstRunStep::CodeOfPractice),
            () if !p.enrolled => Screen::FirstRun(FirstRunStep::Enrol),
            () => Screen::Home,
        }
    }
}

/// Why the enrolment form cannot be sent yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolProblem {
    ServerAddress,
    Code,
}

/// A checked enrolment form: trimmed, with a usable address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrolForm {
    pub server: String,
    pub code: String,
}

/// Checks what the person typed before anything is sent.
pub fn check_enrol_form(server: &str, code: &str) -> Result<EnrolForm, EnrolProblem> {
    let server = server.trim().trim_end_matches('/');
    let host = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .ok_or(EnrolProblem::ServerAddress)?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(EnrolProblem::ServerAddress);
    }
    let code = code.trim();
    if code.is_empty() {
        return Err(EnrolProblem::Code);
    }
    Ok(EnrolForm {
        server: server.to_owned(),
        code: code.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> AppModel {
        AppModel::start(Lang::En, SetupProgress::default())
    }

    #[test]
    fn a_fresh_phone_walks_the_four_steps_in_order_then_reaches_home() {
        let mut m = fresh();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Language));
        m.choose_language(Lang::Fr);
        m.language_confirmed();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Passphrase));
        m.vault_created();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::CodeOfPractice));
        m.code_acknowledged();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Enrol));
        m.enrolled();
        assert_eq!(m.screen, Screen::Home);
        assert_eq!(m.lang, Lang::Fr);
    }

    #[test]
    fn a_phone_with_a_vault_starts_locked_and_resumes_the_unfinished_step() {
        let progress = SetupProgress {
            vault_created: true,
            ..SetupProgress::default()
        };
        let mut m = AppModel::start(Lang::En, progress);
        assert_eq!(m.screen, Screen::Locked);
        m.unlocked(progress);
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::CodeOfPractice));
    }

    #[test]
    fn lock_from_any_screen_and_unlock_returns_to_the_same_step() {
        let mut m = fresh();
        m.language_confirmed();
        m.vault_created();
        m.code_acknowledged();
        m.lock();
        assert_eq!(m.screen, Screen::Locked);
        let progress = m.progress;
        m.unlocked(progress);
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Enrol));
    }

    #[test]
    fn locking_before_a_vault_exists_starts_the_setup_again() {
        let mut m = fresh();
        m.language_confirmed();
        m.lock();
        m.start_again();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Language));
    }

    #[test]
    fn start_again_does_nothing_once_a_vault_exists() {
        let mut m = fresh();
        m.language_confirmed();
        m.vault_created();
        m.lock();
        m.start_again();
        assert_eq!(m.screen, Screen::Locked);
    }

    #[test]
    fn back_only_from_the_passphrase_step_before_the_vault_exists() {
        let mut m = fresh();
        assert!(!m.can_go_back());
        m.language_confirmed();
        assert!(m.can_go_back());
        m.back();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::Language));
        m.language_confirmed();
        m.vault_created();
        m.back();
        assert_eq!(m.screen, Screen::FirstRun(FirstRunStep::CodeOfPractice));
    }

    #[test]
    fn step_numbers_count_from_one() {
        assert_eq!(FirstRunStep::Language.number(), 1);
        assert_eq!(FirstRunStep::Enrol.number(), 4);
    }

    #[test]
    fn enrol_form_needs_an_http_address_and_a_code() {
        assert_eq!(
            check_enrol_form("fieldkit.example.org", "ABC"),
            Err(EnrolProblem::ServerAddress)
        );
        assert_eq!(
            check_enrol_form("https://", "ABC"),
            Err(EnrolProblem::ServerAddress)
        );
        assert_eq!(
            check_enrol_form("http://127.0.0.1:8080", "  "),
            Err(EnrolProblem::Code)
        );
        assert_eq!(
            check_enrol_form(" http://127.0.0.1:8080/ ", " K7P-2QX "),
            Ok(EnrolForm {
                server: "http://127.0.0.1:8080".into(),
                code: "K7P-2QX".into()
            })
        );
    }
}
