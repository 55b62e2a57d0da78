//! `POST /api/v1/records` (verify, then store) and `GET /api/v1/status`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldkit_protocols::wire::{
    BatchResponse, RecordBatch, RecordResult, RecordStatus, SyncStatus,
};
use time::OffsetDateTime;

use super::errors::{ApiError, ErrorBody};
use super::extract::{DeviceAuth, WireJson};
use super::openapi::{BatchResponseDoc, RecordBatchDoc, SyncStatusDoc};
use super::AppState;
use crate::access::Access;
use crate::verify::verify_and_store_batch;

pub(super) fn check_batch_size(len: usize, max: usize, what: &str) -> Result<(), ApiError> {
    if len > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("{len} {what} in one batch; this server accepts at most {max}: send them in smaller batches"),
        ));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/records", tag = "sync",
    security(("device_token" = [])),
    request_body = RecordBatchDoc,
    responses(
        (status = 200, description = "One result per record, in order", body = BatchResponseDoc,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 400, description = "Malformed JSON or another wire version", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn submit_records(
    State(state): State<AppState>,
    auth: DeviceAuth,
    WireJson(batch): WireJson<RecordBatch>,
) -> Result<Json<BatchResponse>, ApiError> {
    auth.require(Access::SubmitRecords)?;
    check_batch_size(batch.records.len(), state.config.max_batch, "records")?;
    let results = tokio::task::spawn_blocking(move || {
        let now = OffsetDateTime::now_utc();
        let statuses = verify_and_store_batch(
            state.store.as_ref(),
            &state.cache,
            &auth.device,
            &batch.records,
            now,
        )?;
        Ok::<_, crate::store::StoreError>(
            batch
                .records
                .iter()
                .zip(statuses)
                .map(|(envelope, status)| {
                    log_result(&auth, envelope.record_id, &status);
                    RecordResult {
                        record_id: envelope.record_id,
                        status,
                    }
                })
                .collect::<Vec<_>>(),
        )
    })
    .await??;
    Ok(Json(BatchResponse { results }))
}

/// Ids and outcomes only: reasons can name question ids, never answers, but
/// the log does not need them.
fn log_result(auth: &DeviceAuth, record: uuid::Uuid, status: &RecordStatus) {
    let device = auth.device.device_id;
    match status {
        RecordStatus::Rejected { rule, .. } => {
            let rule = rule.map_or("-", |r| r.id());
            tracing::info!(%device, %record, outcome = "rejected", rule, "record");
        }
        RecordStatus::Stored => {
            tracing::info!(%device, %record, outcome = "stored", "record");
        }
        RecordStatus::Duplicate => {
            tracing::info!(%device, %record, outcome = "duplicate", "record");
        }
        RecordStatus::Conflict { .. } => {
            tracing::warn!(%device, %record, outcome = "conflict", "record");
        }
    }
}

#[utoipa::path(get, path = "/api/v1/status", tag = "sync",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "What the server holds from this device", body = SyncStatusDoc,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn sync_status(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> Result<Json<SyncStatus>, ApiError> {
    auth.require(Access::OwnSyncStatus)?;
    let device = auth.device.device_id;
    let status = tokio::task::spawn_blocking(move || state.store.sync_status(device)).await??;
    Ok(Json(status))
}
