//! Where a sync started from the app stands, as plain data, and how it is
//! said. No connection is a normal state, said calmly, never an error.

use crate::sync::{MediaProgress, SyncReport};
use crate::ui::i18n::{fill, text, Key, Lang};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SyncRun {
    /// No sync since the app was unlocked.
    #[default]
    Idle,
    /// `done` of the `total` entries waiting at the start have an answer.
    Running { done: usize, total: usize },
    /// The protocols' pictures and sounds are arriving (after the outbox).
    Media(MediaProgress),
    /// Everything waiting was answered (refused records keep their rule).
    Done(SyncReport),
    /// The server could not be reached; what was answered is kept.
    Offline { report: SyncReport },
    /// Something needs a person (e.g. the device was revoked).
    Failed(String),
}

impl SyncRun {
    pub fn is_running(&self) -> bool {
        matches!(self, SyncRun::Running { .. } | SyncRun::Media(_))
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
            SyncRun::Media(p) => Some(fill(
                lang,
                Key::FwMediaRunning,
                &[
                    ("files", &p.files_done.to_string()),
                    ("total", &p.files_total.to_string()),
                    ("done", &size(lang, p.bytes_done)),
                    ("size", &size(lang, p.bytes_total)),
                ],
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

    /// The media download as a fraction of its bytes, for a progress bar.
    pub fn media(&self) -> Option<MediaProgress> {
        match self {
            SyncRun::Media(p) => Some(*p),
            _ => None,
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

/// A size for people: whole kilobytes under a megabyte, else megabytes
/// with one decimal (a comma in French).
pub(crate) fn size(lang: Lang, bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        let n = bytes.div_ceil(1024);
        fill(lang, Key::FwKilobytes, &[("n", &n.to_string())])
    } else {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        let mut n = format!("{}.{}", tenths / 10, tenths % 10);
        if lang == Lang::Fr {
            n = n.replace('.', ",");
        }
        fill(lang, Key::FwMegabytes, &[("n", &n)])
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

    #[test]
    fn media_progress_says_files_and_sizes_in_both_languages() {
        let run = SyncRun::Media(MediaProgress {
            files_done: 3,
            files_total: 10,
            bytes_done: 300 * 1024 + 1,
            bytes_total: 1_900_000,
        });
        assert!(run.is_running());
        assert_eq!(
            run.describe(Lang::En).unwrap(),
            "Pictures and sounds: 3 of 10 files, 301 KB of 1.8 MB"
        );
        assert_eq!(
            run.describe(Lang::Fr).unwrap(),
            "Images et sons : 3 sur 10 fichiers, 301 Ko sur 1,8 Mo"
        );
        assert_eq!(size(Lang::En, 0), "0 KB");
        assert_eq!(size(Lang::En, 1024 * 1024), "1.0 MB");
    }
}
