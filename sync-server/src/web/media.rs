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

/// Where the pages find a picture: its hash in the address.
pub fn picture_url(sha256: &ContentHash) -> String {
    let hex = sha256.as_str().strip_prefix("sha256:").unwrap_or_default();
    format!("/web/media/{hex}")
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
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(not_found());
    }
    let hash = ContentHash(format!("sha256:{sha256}"));
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
