//! `POST /api/v1/tombstones`: withdrawals (R9). The record is deleted; only
//! the fact of a deletion is kept.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldkit_protocols::wire::{TombstoneBatch, TombstoneResponse, TombstoneResult};
use time::OffsetDateTime;

use super::errors::{ApiError, ErrorBody};
use super::extract::{DeviceAuth, WireJson};
use super::openapi::{TombstoneBatchDoc, TombstoneResponseDoc};
use super::records::check_batch_size;
use super::AppState;
use crate::access::Access;

#[utoipa::path(post, path = "/api/v1/tombstones", tag = "sync",
    security(("device_token" = [])),
    request_body = TombstoneBatchDoc,
    responses(
        (status = 200, description = "One result per tombstone: `deleted` when the record was this device's and is now gone for good, `already_deleted` for a resend, `unknown` when this device has no such record on the server (the tombstone is kept for this device only, R9)", body = TombstoneResponseDoc,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 400, description = "Malformed JSON or another wire version", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 403, description = "A tombstone names another device", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn submit_tombstones(
    State(state): State<AppState>,
    auth: DeviceAuth,
    WireJson(batch): WireJson<TombstoneBatch>,
) -> Result<Json<TombstoneResponse>, ApiError> {
    auth.require(Access::SubmitRecords)?;
    check_batch_size(batch.tombstones.len(), state.config.max_batch, "tombstones")?;
    let device = auth.device.device_id;
    if let Some(other) = batch.tombstones.iter().find(|t| t.device_id != device) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_your_record",
            format!(
                "tombstone {} names another device; a device may only withdraw its own records",
                other.tombstone_id
            ),
        ));
    }
    let results = tokio::task::spawn_blocking(move || {
        let now = OffsetDateTime::now_utc();
        batch
            .tombstones
            .iter()
            .map(|t| {
                let status = state.store.apply_tombstone(t, now)?;
                tracing::info!(%device, record = %t.record_id, ?status, "tombstone");
                Ok(TombstoneResult {
                    tombstone_id: t.tombstone_id,
                    record_id: t.record_id,
                    status,
                })
            })
            .collect::<Result<Vec<_>, crate::store::StoreError>>()
    })
    .await??;
    Ok(Json(TombstoneResponse { results }))
}
