//! Where a sync started from the app stands, as plain data, and how it is
//! said. No connection is a normal state, said calmly, never an error.

use crate::sync::SyncReport;
use crate::ui::i18n::{fill, text, Key, Lang};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SyncRun {
    /// No sync since the app was unlocked.
    #[default]
    Idle,
    /// `done` of the `total` entries waiting at the start have an answer.
    Running { done: usize, total: usize },
    /// Everything waiting was answered (refused records keep their rule).
    Done(SyncReport),
    /// The server could not be reached; what was answered is kept.
    Offline { report: SyncReport },
    /// Something needs a person (e.g. the device was revoked).
    Failed(String),
}

impl SyncRun {
    pub fn is_running(&self) -> bool {
        matches!(self, SyncRun::Running { .. })
    }

    /// The status line for the sync card, in the app's language.
    pub fn describe(&self, lang: Lang) -> Option<String> {
        match self {
            SyncRun::Idle => None,
            SyncRun::Running { done, total } => Some(fill(
                lang,
                Key::FwSyncRunning,
                &[("done", &done.to_string()), ("total", &total.to_string())],
            )),
            SyncRun::Done(report) => Some(fill(
                lang,
                Key::FwSyncDone,
                &[
                    ("stored", &report.stored.to_string()),
                    ("duplicates", &report.duplicates.to_string()),
                    ("rejected", &report.rejected.to_string()),
                    ("tombstones", &report.tombstones.to_string()),
                ],
            )),
            SyncRun::Offline { .. } => Some(text(lang, Key::FwSyncOffline).to_owned()),
            SyncRun::Failed(detail) => Some(fill(lang, Key::FwSyncFailed, &[("detail", detail)])),
        }
    }

    /// CSS class: offline is plain information, not a warning.
    pub fn class(&self) -> &'static str {
        match self {
            SyncRun::Failed(_) => "error",
            SyncRun::Done(_) => "ok",
            _ => "muted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_and_offline_is_calm_in_both_languages() {
        let running = SyncRun::Running { done: 2, total: 5 };
        assert!(running.is_running());
        assert_eq!(running.describe(Lang::En).unwrap(), "Sending: 2 of 5 sent");
        assert_eq!(
            running.describe(Lang::Fr).unwrap(),
            "Envoi : 2 sur 5 envoyés"
        );
        let offline = SyncRun::Offline {
            report: SyncReport::default(),
        };
        assert_eq!(offline.class(), "muted");
        assert!(offline
            .describe(Lang::En)
            .unwrap()
            .contains("stays safe on this phone"));
        assert_eq!(SyncRun::Idle.describe(Lang::En), None);
        assert_eq!(SyncRun::Failed("revoked".into()).class(), "error");
    }
}
