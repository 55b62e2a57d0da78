//! Export downloads, streamed: the export runs on a blocking thread and hands
//! 64 KiB chunks to the response body through a small channel, so memory
//! stays flat and a slow client slows the export instead of filling memory.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{blocking, PageError, User};
use crate::access::{allows, Access};
use crate::api::AppState;
use crate::export::ages::{AgeGroups, DEFAULT_AGE_GROUPS};
use crate::export::{latest_protocol, write_export, Format};

const CHUNK: usize = 64 * 1024;

/// A `Write` that sends full chunks to the response body.
struct ChannelWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was cancelled")
            })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    protocol: String,
    format: String,
    ages: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let bad = |m: String| PageError::new(StatusCode::BAD_REQUEST, m);
    let format: Format = query.format.parse().map_err(bad)?;
    let groups = AgeGroups::parse(query.ages.as_deref().unwrap_or(DEFAULT_AGE_GROUPS))
        .map_err(|e| bad(e.to_string()))?;
    let who = user.principal().clone();
    // Refuse before the first byte: once streaming starts the status is sent.
    let role = who.role;
    let allowed = match format {
        f if f.has_answers() => allows(role, Access::ReadAnswers),
        Format::Methodology => {
            allows(role, Access::ReadAnswers) || allows(role, Access::ReadCompliance)
        }
        _ => allows(role, Access::DownloadProtocols),
    };
    if !allowed {
        return Err(PageError::forbidden(
            &who,
            &format!("download {}", format.name()),
        ));
    }
    let id = query.protocol.clone();
    blocking(&state, move |store| {
        Ok(latest_protocol(store, &id).map(|_| ())?)
    })
    .await?;

    let (sender, mut receiver) = mpsc::channel(4);
    let store = std::sync::Arc::clone(&state.store);
    let protocol_id = query.protocol.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            buffer: Vec::with_capacity(CHUNK),
            sender,
        };
        let now = OffsetDateTime::now_utc();
        if let Err(e) = write_export(
            store.as_ref(),
            &who,
            &protocol_id,
            format,
            &groups,
            &mut out,
            now,
        ) {
            tracing::warn!(error = %e, "export stopped");
            // An error mid-stream ends the body abnormally, so the client
            // sees a failed download rather than a short file.
            let _ = out
                .sender
                .blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    let disposition = format!(
        "attachment; filename=\"{}\"",
        format.file_name(&query.protocol).replace('"', "")
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
