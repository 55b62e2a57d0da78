//! `GET /api/v1/packs`: every published findings pack (issue 22) with its
//! JSON exactly as hashed, so the phone pins each by hash like a protocol
//! (R4) and shows it in validation sessions.

use axum::extract::State;
use axum::Json;
use fieldkit_protocols::findings::PackListing;
use utoipa::ToSchema;

use super::errors::{ApiError, ErrorBody};
use super::extract::DeviceAuth;
use super::AppState;
use crate::access::Access;

/// Schema twin of `PackListing` (see `openapi.rs`).
#[derive(ToSchema)]
#[schema(as = PackListing)]
#[allow(dead_code)]
pub struct PackListingDoc {
    /// `sha256:<hex>` of the pack's canonical JSON.
    hash: String,
    /// Where the findings go back to.
    site: String,
    /// The pack: findings with small cells suppressed (R27), the caveat
    /// (R25) and the definitions (R24), in every language.
    pack_json: String,
}

#[utoipa::path(get, path = "/api/v1/packs", tag = "protocols",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Published findings packs, oldest first", body = Vec<PackListingDoc>,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn list_packs(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> Result<Json<Vec<PackListing>>, ApiError> {
    auth.require(Access::DownloadProtocols)?;
    let packs = tokio::task::spawn_blocking(move || state.store.packs()).await??;
    Ok(Json(
        packs
            .into_iter()
            .map(|p| PackListing {
                hash: p.hash,
                site: p.site,
                pack_json: p.pack_json,
            })
            .collect(),
    ))
}
