//! `POST /api/v1/enrol`: a one-time code becomes a device token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldkit_protocols::wire::{CodeOfPracticeAcceptance, EnrolRequest, EnrolResponse};
use time::OffsetDateTime;
use uuid::Uuid;

use super::errors::{ApiError, ErrorBody};
use super::extract::WireJson;
use super::openapi::{EnrolRequestDoc, EnrolResponseDoc};
use super::AppState;
use crate::limits::Source;
use crate::secrets::{hash_secret, new_device_token, normalise_code};

#[utoipa::path(post, path = "/api/v1/enrol", tag = "devices",
    request_body = EnrolRequestDoc,
    responses(
        (status = 200, description = "The device's token; shown once", body = EnrolResponseDoc),
        (status = 400, description = "Malformed JSON, another wire version, or no valid code-of-practice acceptance (R15)", body = ErrorBody),
        (status = 401, description = "Unknown, used or expired code (checked first)", body = ErrorBody),
        (status = 413, description = "Body larger than the server accepts", body = ErrorBody),
        (status = 429, description = "Too many enrolment attempts from this source address, or from everyone", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn enrol(
    State(state): State<AppState>,
    source: Source,
    WireJson(request): WireJson<EnrolRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    // Each source address has its own bucket, so one caller sending wrong
    // codes slows only itself; a global bucket above it keeps a crowd of
    // addresses from flooding the store. Guessing stays slow either way,
    // before the 80 bits of a code count.
    let now = std::time::Instant::now();
    if let Err(wait) = state.enrol_by_source.try_acquire(&source.bucket(), now) {
        tracing::warn!("enrolment attempts from one source rate limited");
        return Err(ApiError::rate_limited(
            "too many enrolment attempts from this network",
            wait,
        ));
    }
    if let Err(wait) = state.enrol_limiter.try_acquire(&(), now) {
        tracing::warn!("enrolment attempts rate limited");
        return Err(ApiError::rate_limited(
            "too many enrolment attempts on this server",
            wait,
        ));
    }
    let code_hash = hash_secret(&normalise_code(request.code.expose()));
    // An unknown code is refused before anything else about the request.
    let store = state.store.clone();
    let lookup = code_hash.clone();
    let pending = tokio::task::spawn_blocking(move || {
        store.enrolment_code_pending(&lookup, OffsetDateTime::now_utc())
    })
    .await??;
    if !pending {
        return Err(unknown_code());
    }
    let code_of_practice = accepted_code_of_practice(request.code_of_practice)?;
    let token = new_device_token();
    let token_hash = hash_secret(token.expose());
    let device_id = Uuid::new_v4();
    let store = state.store.clone();
    let device = tokio::task::spawn_blocking(move || {
        store.redeem_enrolment(
            &code_hash,
            device_id,
            &token_hash,
            &code_of_practice,
            OffsetDateTime::now_utc(),
        )
    })
    .await??
    .ok_or_else(unknown_code)?;
    tracing::info!(device = %device.device_id, "device enrolled");
    Ok(Json(EnrolResponse {
        device_id: device.device_id,
        token,
        project: state.config.project.clone(),
        researcher: device.researcher,
    }))
}

fn unknown_code() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_enrolment_code",
        "this enrolment code is unknown, already used or expired; ask your coordinator for a new one",
    )
}

/// R15: no device joins a project before its researcher has accepted the
/// code of practice in the app. The phone sends that acceptance; a request
/// without one (or with a nonsensical one) is refused, saying what to do.
fn accepted_code_of_practice(
    acceptance: Option<CodeOfPracticeAcceptance>,
) -> Result<CodeOfPracticeAcceptance, ApiError> {
    let refuse = |message: &str| {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "code_of_practice_missing",
            message,
        ))
    };
    let Some(acceptance) = acceptance else {
        return refuse(
            "R15: the researcher has not accepted the code of practice on this phone; \
             finish that step in the app, then enrol",
        );
    };
    let language = &acceptance.language;
    if !language.starts_with(|c: char| c.is_ascii_alphabetic())
        || language.len() > 16
        || !language
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        return refuse("R15: the code-of-practice language must be a language code such as `en`");
    }
    // A phone's clock may be off by hours, not by days.
    if acceptance.accepted_at > OffsetDateTime::now_utc() + time::Duration::days(1) {
        return refuse(
            "R15: the code of practice was accepted in the future; check the phone's date",
        );
    }
    Ok(acceptance)
}
