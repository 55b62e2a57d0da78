//! Gzip request bodies (`Content-Encoding: gzip`), which phones send to
//! spend less of a paid, slow link. The body is unpacked before any
//! extractor sees it, and never past the server's body limit: a small
//! body that unpacks to gigabytes (a zip bomb) is refused with 413 as soon
//! as the limit is passed, having cost at most the limit in memory.

use std::io::Read;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::read::GzDecoder;

use super::errors::ApiError;
use super::AppState;

pub async fn gunzip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(encoding) = request.headers().get(CONTENT_ENCODING) else {
        return next.run(request).await;
    };
    match encoding.as_bytes() {
        b"gzip" | b"x-gzip" => {}
        b"identity" => return next.run(request).await,
        _ => {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_encoding",
                "this server takes request bodies plain or as gzip (Content-Encoding: gzip)",
            )
            .into_response()
        }
    }
    let limit = state.config.max_body_bytes;
    let (mut parts, body) = request.into_parts();
    let Ok(packed) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    let mut plain = Vec::new();
    let unpacked = GzDecoder::new(&packed[..])
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut plain);
    match unpacked {
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("the body says it is gzip but does not unpack: {e}"),
            )
            .into_response()
        }
        Ok(n) if n > limit => return too_large(),
        Ok(_) => {}
    }
    parts.headers.remove(CONTENT_ENCODING);
    parts.headers.remove(CONTENT_LENGTH);
    next.run(Request::from_parts(parts, Body::from(plain)))
        .await
}

fn too_large() -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the request body, unpacked, is larger than this server accepts; send fewer records per batch",
    )
    .into_response()
}
