//! `GET /web/media/{sha256}`: a published protocol's picture, from the
//! stored media by its hash, for the pages that show an image choice by its
//! picture (the codebook page, the analyst tables). Logged-in users only, to
//! whoever may read the protocols; images only (a sound has no place on a
//! page). The bytes are those checked at publish: metadata stripped, SVG
//! reduced to drawing elements. The security headers apply as everywhere:
//! the CSP takes images from this server only and runs no script, which
//! also holds when an SVG is opened on its own.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fieldkit_protocols::hash::ContentHash;

use super::{blocking, PageError, User};
use crate::access::{allows, Access};
use crate::api::AppState;

/// An image choice's picture on a page, `size` pixels square, before its
/// text (which says what it shows, so the picture itself has no alt text).
pub fn picture_img(sha256: &ContentHash, size: u32) -> String {
    format!(
        "<img class=\"choice-picture\" src=\"/web/media/{}\" alt=\"\" width=\"{size}\" height=\"{size}\"> ",
        sha256.hex()
    )
}

pub async fn picture(
    State(state): State<AppState>,
    user: User,
    Path(sha256): Path<String>,
) -> Result<Response, PageError> {
    if !allows(user.principal().role, Access::DownloadProtocols) {
        return Err(PageError::forbidden(
            user.principal(),
            "see protocol pictures",
        ));
    }
    let not_found = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "no published protocol has this picture",
        )
    };
    let hash = ContentHash::from_sha256_hex(&sha256).ok_or_else(not_found)?;
    let blob = blocking(&state, move |store| Ok(store.media_blob(&hash)?)).await?;
    let Some(blob) = blob.filter(|b| b.mime.starts_with("image/")) else {
        return Err(not_found());
    };
    Ok((
        [
            (CONTENT_TYPE, blob.mime),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        blob.bytes,
    )
        .into_response())
}
