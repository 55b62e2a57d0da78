//! Request extractors: a JSON body read with the wire rules, and the device
//! behind a bearer token.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use fieldkit_protocols::wire::{self, WireError};
use serde::de::DeserializeOwned;

use super::errors::ApiError;
use super::AppState;
use crate::access::{check, Access, Principal, Role};
use crate::secrets::hash_secret;
use crate::store::Device;

/// A wire message in the body. Oversize bodies, bad JSON and another
/// `wire_version` each get their own error code.
#[derive(Debug)]
pub struct WireJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WireJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the request body is larger than this server accepts; send fewer records per batch",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", r.body_text())
            }
        })?;
        wire::from_json(&bytes)
            .or_else(|first| integral_floats_as_integers(&bytes).ok_or(first))
            .map(WireJson)
            .map_err(|e| match e {
                WireError::UnsupportedVersion { .. } => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_wire_version",
                    e.to_string(),
                ),
                other => {
                    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", other.to_string())
                }
            })
    }
}

/// JSON does not tell `2` from `2.0` (nor does JSON Schema), but serde's
/// integers refuse the second. On a failed read (never on the fast path)
/// the body is read again with every whole-number float as an integer.
fn integral_floats_as_integers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    fn fix(node: &mut serde_json::Value) -> bool {
        match node {
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                // Every float this large is whole; in range, it is exact.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let whole = if x.fract() != 0.0 || !x.is_finite() {
                    None
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&x) {
                    Some(serde_json::Value::from(x as u64))
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&x) {
                    Some(serde_json::Value::from(x as i64))
                } else {
                    None
                };
                match whole {
                    Some(integer) => {
                        *node = integer;
                        true
                    }
                    None => false,
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, i| fix(i) | c),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |c, v| fix(v) | c),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !fix(&mut value) {
        return None;
    }
    let text = serde_json::to_vec(&value).ok()?;
    wire::from_json(&text).ok()
}

/// The enrolled, unrevoked device that sent the request, within its rate.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device: Device,
    pub principal: Principal,
}

impl DeviceAuth {
    pub fn require(&self, access: Access) -> Result<(), ApiError> {
        Ok(check(&self.principal, access)?)
    }
}

fn unauthorised(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                unauthorised(
                    "missing_token",
                    "send the device token as `Authorization: Bearer <token>`; enrol the device first",
                )
            })?;
        let token_hash = hash_secret(token.trim());
        let store = state.store.clone();
        let device = tokio::task::spawn_blocking(move || store.device_by_token(&token_hash))
            .await??
            .ok_or_else(|| {
                unauthorised(
                    "unknown_token",
                    "this device token is not known to the server; enrol the device again",
                )
            })?;
        if device.revoked_at.is_some() {
            tracing::info!(device = %device.device_id, "request with a revoked token");
            return Err(unauthorised(
                "token_revoked",
                "this device's access was revoked; ask your coordinator for a new enrolment code",
            ));
        }
        if let Err(wait) = state.limiter.try_acquire(&device.device_id, Instant::now()) {
            tracing::warn!(device = %device.device_id, "rate limited");
            return Err(ApiError::rate_limited(
                "too many requests from this device; wait and sync again",
                wait,
            ));
        }
        let principal = Principal {
            role: Role::Device,
            id: device.device_id.to_string(),
        };
        Ok(DeviceAuth { device, principal })
    }
}
