//! Enrolment and sync from the app. The sync client is async and needs the
//! open vault for the whole exchange, so the vault is *lent*: taken out of
//! [`VaultServices`] into a [`Loan`], used on a thread with its own small
//! tokio runtime (the app's event loop may already be inside one), and given
//! back when the loan drops. Screens asking for the vault meanwhile get
//! [`ServiceError::Busy`]. A quick-lock during a sync is final: the loan sees
//! the lock and drops the vault (its keys are wiped) instead of giving it back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldkit_protocols::wire::WireSecret;
use time::OffsetDateTime;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::fieldwork::SyncRun;
use super::services::ServiceError;
use super::state::EnrolForm;
use super::vault_services::VaultServices;
use crate::sync::{self, SyncClient, SyncConfig, SyncError, SyncOutcome};
use crate::vault::Vault;

/// Where the time of the last complete sync is kept, among the vault's
/// sealed drafts.
pub(crate) const LAST_SYNC_DRAFT: &str = "fieldkit/last-sync";

/// Where the latest comparison of this phone's clock with the server's is
/// kept ([`sync::ClockCheck::to_text`]): the home screen warns from it.
pub(crate) const CLOCK_DRAFT: &str = "fieldkit/clock-check";

/// The open vault, away from [`VaultServices`] for one network exchange.
pub(crate) struct Loan {
    vault: Option<Vault>,
    epoch: u64,
    open: Arc<Mutex<Option<Vault>>>,
    lent: Arc<AtomicBool>,
    lock_epoch: Arc<AtomicU64>,
}

impl Loan {
    pub(crate) fn take(services: &VaultServices) -> Result<Loan, ServiceError> {
        let mut open = services.open.lock().unwrap_or_else(|p| p.into_inner());
        if services.lent.load(Ordering::SeqCst) {
            return Err(ServiceError::Busy);
        }
        let vault = open
            .take()
            .ok_or_else(|| ServiceError::Failed("the vault is locked: unlock it first".into()))?;
        services.lent.store(true, Ordering::SeqCst);
        Ok(Loan {
            vault: Some(vault),
            epoch: services.lock_epoch.load(Ordering::SeqCst),
            open: Arc::clone(&services.open),
            lent: Arc::clone(&services.lent),
            lock_epoch: Arc::clone(&services.lock_epoch),
        })
    }

    fn vault(&mut self) -> &mut Vault {
        self.vault
            .as_mut()
            .expect("a loan holds its vault until dropped")
    }
}

impl Drop for Loan {
    fn drop(&mut self) {
        let Some(mut vault) = self.vault.take() else {
            return;
        };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if self.lock_epoch.load(Ordering::SeqCst) == self.epoch && open.is_none() {
            *open = Some(vault);
        } else {
            // Quick-locked meanwhile (R18): forget the keys, do not reopen.
            vault.lock();
        }
        self.lent.store(false, Ordering::SeqCst);
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServiceError> {
    // One worker besides this thread: a batch's request runs there while
    // this thread reads and writes the next batch (sync/drain.rs).
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| ServiceError::Failed(format!("cannot start the network task: {e}")))
}

/// Short: a person is waiting on the enrolment screen.
fn enrol_config() -> SyncConfig {
    SyncConfig {
        max_attempts: 2,
        base_delay: Duration::from_millis(300),
        max_delay: Duration::from_secs(2),
        request_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(5),
        ..SyncConfig::default()
    }
}

fn device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "fieldkit phone".to_owned())
}

fn to_service_error(error: &SyncError) -> ServiceError {
    ServiceError::Failed(error.to_string())
}

/// Trades the one-time code for this device's token, then downloads and
/// pins the project's protocols (R4). Blocks until both are done, so the
/// enrolment screen runs it on a thread of its own (`off_the_screen`),
/// outside any async runtime. A failed download after a good enrolment is
/// not an error: the code is used up, and the next sync downloads the
/// protocols.
pub(crate) fn enrol(services: &VaultServices, form: &EnrolForm) -> Result<(), ServiceError> {
    let mut loan = Loan::take(services)?;
    let code = WireSecret::new(form.code.clone());
    runtime()?.block_on(async {
        let config = enrol_config();
        let vault = loan.vault();
        let enrolment = sync::enrol(vault, &form.server, &code, &device_name(), &config)
            .await
            .map_err(|e| to_service_error(&e))?;
        match sync::download_protocols(vault, &config).await {
            Ok(report) => tracing::info!(
                project = %enrolment.project,
                pinned = report.pinned.len(),
                refused = report.refused.len(),
                "enrolled and protocols pinned"
            ),
            Err(error) => tracing::warn!(%error, "enrolled; protocols wait for the next sync"),
        }
        Ok(())
    })
}

/// Starts a sync on its own thread. The receiver gets the progress after
/// every batch and then the outcome; the vault is back before the outcome
/// is sent, so a screen that re-reads on the outcome finds it open.
pub(crate) fn start_sync(
    services: &VaultServices,
) -> Result<UnboundedReceiver<SyncRun>, ServiceError> {
    let mut loan = Loan::take(services)?;
    let (tx, rx) = unbounded_channel();
    let _ = tx.send(SyncRun::Running { done: 0, total: 0 });
    std::thread::spawn(move || {
        let outcome = match runtime() {
            Err(e) => SyncRun::Failed(e.to_string()),
            Ok(rt) => rt.block_on(sync_once(loan.vault(), |run| {
                let _ = tx.send(run);
            })),
        };
        drop(loan);
        let _ = tx.send(outcome);
    });
    Ok(rx)
}

async fn sync_once(vault: &mut Vault, mut report: impl FnMut(SyncRun)) -> SyncRun {
    let client = match SyncClient::from_vault(vault, SyncConfig::default()) {
        Ok(client) => client,
        Err(error) => return SyncRun::Failed(error.to_string()),
    };
    let outcome = client
        .sync(vault, |p| {
            report(SyncRun::Running {
                done: p.done,
                total: p.total,
            });
        })
        .await;
    let run = match outcome {
        Ok(SyncOutcome::Complete(done)) => {
            // New protocol versions come with a sync too; old pins stay (R4).
            let media = |p: sync::MediaProgress| report(SyncRun::Media(p));
            if let Err(error) = client.download_protocols_with(vault, media).await {
                tracing::warn!(%error, "protocols not refreshed");
            }
            // The supervisor's notes come back; acknowledgements go up.
            if let Err(error) = client.exchange_feedback(vault).await {
                tracing::warn!(%error, "supervisor notes not exchanged");
            }
            let now = OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            if let Err(error) = vault.put_draft(LAST_SYNC_DRAFT, &now) {
                tracing::warn!(%error, "last sync time not kept");
            }
            SyncRun::Done(done)
        }
        Ok(SyncOutcome::Offline { report, reason }) => {
            tracing::info!(%reason, "offline: records wait for the next sync");
            SyncRun::Offline { report }
        }
        Err(SyncError::Unreachable { reason, .. }) => {
            tracing::info!(%reason, "offline: records wait for the next sync");
            SyncRun::Offline {
                report: Default::default(),
            }
        }
        Err(error) => SyncRun::Failed(error.to_string()),
    };
    keep_clock_check(&client, vault);
    run
}

/// Whatever came of the sync, any answer told the server's time (issue 14):
/// the home screen warns from it before the next session.
fn keep_clock_check(client: &SyncClient, vault: &mut Vault) {
    let Some(check) = client.clock() else {
        return;
    };
    if check.is_off() {
        tracing::warn!(
            minutes = check.phone_ahead_by().whole_minutes(),
            "the phone's clock differs from the server's"
        );
    }
    if let Err(error) = vault.put_draft(CLOCK_DRAFT, &check.to_text()) {
        tracing::warn!(%error, "clock check not kept");
    }
}
