//! `GET /api/v1/protocols`: every published version with its TOML source,
//! so the phone can pin each by hash.

use axum::extract::State;
use axum::Json;
use fieldkit_protocols::wire::ProtocolListing;

use super::errors::{ApiError, ErrorBody};
use super::extract::DeviceAuth;
use super::openapi::ProtocolListingDoc;
use super::AppState;
use crate::access::Access;
use crate::store::StoreError;

#[utoipa::path(get, path = "/api/v1/protocols", tag = "protocols",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Published protocol versions", body = Vec<ProtocolListingDoc>,
            headers(("Date" = String, description = "The server's time (an HTTP date, as on every answer): the phone compares its own clock with it at each sync and warns the researcher when they differ by more than 10 minutes"))),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn list_protocols(
    State(state): State<AppState>,
    auth: DeviceAuth,
) -> Result<Json<Vec<ProtocolListing>>, ApiError> {
    auth.require(Access::DownloadProtocols)?;
    let listings = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let mut listings = Vec::new();
        for published in state.store.protocols()? {
            let protocol = state
                .cache
                .get(
                    state.store.as_ref(),
                    &published.protocol_id,
                    published.version,
                )?
                .ok_or_else(|| StoreError::Corrupt("protocol vanished while listing".into()))?;
            listings.push(ProtocolListing::new(&protocol, published.source_toml));
        }
        Ok(listings)
    })
    .await??;
    Ok(Json(listings))
}
