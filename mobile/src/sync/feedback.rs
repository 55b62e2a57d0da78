//! The second direction of sync: acknowledgements of the supervisor's
//! notes go up (until the server confirms each; a resend changes nothing
//! there), then the notes on this device's own records come down into the
//! vault. Runs after the outbox is drained, so a note about a record never
//! arrives before the phone knows the record reached the server.

use fieldkit_protocols::feedback::{AckBatch, AckResponse, FeedbackResponse};
use uuid::Uuid;

use super::transport::Transport;
use super::{SyncConfig, SyncError};
use crate::vault::Vault;

const ACKS: &str = "/api/v1/feedback/acks";

/// What one exchange did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedbackReport {
    /// Notes this phone had not seen before.
    pub received: usize,
    /// Acknowledgements the server confirmed.
    pub acknowledged: usize,
}

pub(super) async fn exchange(
    transport: &Transport,
    config: &SyncConfig,
    vault: &mut Vault,
) -> Result<FeedbackReport, SyncError> {
    let deadline = transport.deadline();
    let mut report = FeedbackReport::default();
    let pending = vault.pending_acks()?;
    for chunk in pending.chunks(config.batch_size.max(1)) {
        let sent: Vec<Uuid> = chunk.iter().map(|a| a.note_id).collect();
        let response: AckResponse = transport
            .post_json(ACKS, &AckBatch::new(chunk.to_vec()), deadline)
            .await
            .map_err(|f| f.into_error("send acknowledgements"))?;
        // Acknowledged now, before, or unknown (the record was withdrawn):
        // the server has settled each id it names. An id this phone did not
        // send is ignored, never trusted.
        let confirmed: Vec<Uuid> = response
            .results
            .iter()
            .map(|r| r.note_id)
            .filter(|id| sent.contains(id))
            .collect();
        vault.confirm_acks(&confirmed)?;
        report.acknowledged += confirmed.len();
    }
    let response: FeedbackResponse = transport
        .get_json("/api/v1/feedback", "fetch the supervisor's notes")
        .await?;
    report.received = vault.receive_feedback(&response.notes)?;
    tracing::info!(
        received = report.received,
        acknowledged = report.acknowledged,
        "feedback exchanged"
    );
    Ok(report)
}
