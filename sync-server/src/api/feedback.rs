//! `GET /api/v1/feedback` (the supervisor's notes on this device's own
//! records) and `POST /api/v1/feedback/acks` (the researcher read them).
//! A note names its record by id and reference number, never anything
//! identifying; its text was scrubbed when the supervisor wrote it.

use axum::extract::State;
use axum::Json;
use fieldkit_protocols::feedback::{AckBatch, AckResponse, AckResult, FeedbackResponse};
use time::OffsetDateTime;

use super::errors::{ApiError, ErrorBody};
use super::extract::{DeviceAuth, WireJson};
use super::openapi_feedback::{AckBatchDoc, AckResponseDoc, FeedbackResponseDoc};
use super::records::check_batch_size;
use super::AppState;
use crate::access::Access;

#[utoipa::path(get, path = "/api/v1/feedback", tag = "sync",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Every supervisor note on this device's own records that it has not acknowledged yet, oldest first; the same note comes again until it is acknowledged", body = FeedbackResponseDoc,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn feedback(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> Result<Json<FeedbackResponse>, ApiError> {
    auth.require(Access::ReceiveFeedback)?;
    let device = auth.device.device_id;
    let notes =
        tokio::task::spawn_blocking(move || state.store.device_feedback(&auth.principal, device))
            .await??;
    tracing::info!(%device, notes = notes.len(), "feedback");
    Ok(Json(FeedbackResponse { notes }))
}

#[utoipa::path(post, path = "/api/v1/feedback/acks", tag = "sync",
    security(("device_token" = [])),
    request_body = AckBatchDoc,
    responses(
        (status = 200, description = "One result per acknowledgement, in order: `acknowledged` now, `already_acknowledged` for a resend (nothing changes), `unknown` when no note on this device's records has that id (deleted with a withdrawn record, or another device's)", body = AckResponseDoc,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 400, description = "Malformed JSON or another wire version", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn acknowledge(
    State(state): State<AppState>,
    auth: DeviceAuth,
    WireJson(batch): WireJson<AckBatch>,
) -> Result<Json<AckResponse>, ApiError> {
    auth.require(Access::ReceiveFeedback)?;
    check_batch_size(batch.acks.len(), state.config.max_batch, "acknowledgements")?;
    let device = auth.device.device_id;
    let results = tokio::task::spawn_blocking(move || {
        let now = OffsetDateTime::now_utc();
        let statuses =
            state
                .store
                .acknowledge_feedback(&auth.principal, device, &batch.acks, now)?;
        Ok::<_, crate::store::StoreError>(
            batch
                .acks
                .iter()
                .zip(statuses)
                .map(|(ack, status)| {
                    tracing::info!(%device, note = %ack.note_id, ?status, "feedback ack");
                    AckResult {
                        note_id: ack.note_id,
                        status,
                    }
                })
                .collect(),
        )
    })
    .await??;
    Ok(Json(AckResponse { results }))
}
