//! The HTTP API: `/healthz` and `/api/v1/*`. Routes are registered through
//! `utoipa_axum::routes!`, which reads each handler's `#[utoipa::path]`, so a
//! route cannot exist without its OpenAPI entry.

pub mod enrol;
pub mod errors;
pub mod extract;
pub mod feedback;
pub mod gzip;
pub mod media;
pub mod openapi;
pub mod openapi_events;
pub mod openapi_feedback;
pub mod packs;
pub mod protocols;
pub mod records;
pub mod tombstones;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::limits::RateLimiter;
use crate::store::Store;
use crate::verify::ProtocolCache;
use errors::ApiError;
use openapi::HealthDoc;

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub cache: Arc<ProtocolCache>,
    /// Requests per device.
    pub limiter: Arc<RateLimiter>,
    /// Enrolment attempts per source address, and from everyone.
    pub enrol_by_source: Arc<RateLimiter<Option<std::net::IpAddr>>>,
    pub enrol_limiter: Arc<RateLimiter<()>>,
    pub config: Arc<Config>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        AppState {
            store,
            cache: Arc::new(ProtocolCache::default()),
            limiter: Arc::new(RateLimiter::new(config.rate_per_minute, config.rate_burst)),
            enrol_by_source: Arc::new(RateLimiter::new(
                config.enrol_per_minute_per_source,
                config.enrol_per_minute_per_source,
            )),
            enrol_limiter: Arc::new(RateLimiter::new(
                config.enrol_per_minute,
                config.enrol_per_minute,
            )),
            config: Arc::new(config),
        }
    }
}

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .routes(routes!(enrol::enrol))
        .routes(routes!(protocols::list_protocols))
        .routes(routes!(packs::list_packs))
        .routes(routes!(media::get_media))
        .routes(routes!(records::submit_records))
        .routes(routes!(records::sync_status))
        .routes(routes!(tombstones::submit_tombstones))
        .routes(routes!(feedback::feedback))
        .routes(routes!(feedback::acknowledge))
}

/// The OpenAPI document of every route [`app`] serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    documented_routes().into_openapi()
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (router, _) = documented_routes().split_for_parts();
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gzip::gunzip,
        ))
        .with_state(state)
}

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The server is up", body = HealthDoc)))]
async fn healthz(State(_): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "This document", content_type = "application/json")))]
async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(openapi::served(openapi_document(), state.config.max_batch))
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /api/v1/openapi.json for the API",
    )
}

async fn not_found() -> impl IntoResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/v1/openapi.json for the API",
    )
}
