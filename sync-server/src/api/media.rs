//! `GET /api/v1/media/{sha256}`: a published bundle's file by its hash, with
//! single byte ranges so a download cut by a poor connection resumes where
//! it stopped. The phone checks the whole file's SHA-256 before keeping it.

use axum::extract::{Path, State};
use axum::http::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldkit_protocols::hash::ContentHash;

use super::errors::{ApiError, ErrorBody};
use super::extract::DeviceAuth;
use super::AppState;
use crate::access::Access;

/// A single range, as `bytes=START-END` (END inclusive, optional) or
/// `bytes=-SUFFIX`. Several ranges are not served: `None` means "send it all".
fn parse_range(header: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let suffix: u64 = suffix.parse().map_err(|_| ())?;
            if suffix == 0 {
                return Err(());
            }
            (len.saturating_sub(suffix), len.saturating_sub(1))
        }
        (start, "") => (start.parse().map_err(|_| ())?, len.saturating_sub(1)),
        (start, end) => {
            let end: u64 = end.parse().map_err(|_| ())?;
            (
                start.parse().map_err(|_| ())?,
                end.min(len.saturating_sub(1)),
            )
        }
    };
    if start >= len || end < start {
        return Err(());
    }
    Ok(Some((start, end)))
}

#[utoipa::path(get, path = "/api/v1/media/{sha256}", tag = "protocols",
    security(("device_token" = [])),
    params(
        ("sha256" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The file's SHA-256 in lowercase hex, as in the `[media]` manifest of a published protocol (without `sha256:`)"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=START-`, `bytes=START-END` or `bytes=-SUFFIX`, to resume a cut download; several ranges are answered with the whole file"),
    ),
    responses(
        (status = 200, description = "The whole file", content_type = "application/octet-stream", body = Vec<u8>,
            headers(("Accept-Ranges" = String, description = "`bytes`"), ("ETag" = String, description = "The hash, quoted"))),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>,
            headers(("Content-Range" = String, description = "`bytes START-END/LENGTH`"))),
        (status = 400, description = "The hash is not 64 lowercase hex digits", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 404, description = "No published protocol has a file with this hash", body = ErrorBody),
        (status = 416, description = "The range starts past the end of the file", body = ErrorBody,
            headers(("Content-Range" = String, description = "`bytes */LENGTH`"))),
        (status = 429, description = "Too many requests from this device", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ))]
pub async fn get_media(
    State(state): State<AppState>,
    auth: DeviceAuth,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    auth.require(Access::DownloadProtocols)?;
    let Some(hash) = ContentHash::from_sha256_hex(&sha256) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_media_hash",
            "a media file is named by its SHA-256 in 64 lowercase hex digits",
        ));
    };
    let blob = tokio::task::spawn_blocking(move || state.store.media_blob(&hash))
        .await??
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_media",
                "no published protocol has a file with this hash",
            )
        })?;
    let len = blob.bytes.len() as u64;
    let etag = HeaderValue::from_str(&format!("\"{sha256}\"")).expect("hex is a valid header");
    let range = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| parse_range(r, len));
    let mut response = match range {
        Some(Err(())) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the file has {len} bytes"),
            )
            .into_response();
            r.headers_mut().insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("digits"),
            );
            return Ok(r);
        }
        Some(Ok(Some((start, end)))) => {
            let part = blob.bytes[start as usize..=end as usize].to_vec();
            let mut r = (StatusCode::PARTIAL_CONTENT, part).into_response();
            r.headers_mut().insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")).expect("digits"),
            );
            r
        }
        _ => (StatusCode::OK, blob.bytes).into_response(),
    };
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(ETAG, etag);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-", 10), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=4-6", 10), Ok(Some((4, 6))));
        assert_eq!(parse_range("bytes=4-60", 10), Ok(Some((4, 9))));
        assert_eq!(parse_range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(parse_range("items=0-1", 10), Ok(None));
        assert_eq!(parse_range("bytes=10-", 10), Err(()));
        assert_eq!(parse_range("bytes=5-4", 10), Err(()));
        assert_eq!(parse_range("bytes=x-", 10), Err(()));
    }
}
