//! HTTP requests to the server with retries: exponential backoff with jitter
//! for anything that may pass on its own (no connection, a cut connection, a
//! timeout, HTTP 5xx or 429); an immediate answer for what will not.

use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;

use fieldkit_protocols::wire;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::clock::{parse_http_date, ClockCheck};
use super::{SyncConfig, SyncError};

/// The server could not be reached (or kept failing) for this many tries.
/// A normal state on a phone: try again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offline {
    /// What happened on the last try, for the sync screen and logs.
    pub reason: String,
}

/// Why a request ended without an answer.
#[derive(Debug)]
pub(super) enum Failure {
    Offline(Offline),
    Fatal(SyncError),
}

impl Failure {
    /// For calls where being offline is an error to show (enrol, download).
    pub(super) fn into_error(self, what: &'static str) -> SyncError {
        match self {
            Failure::Offline(Offline { reason }) => SyncError::Unreachable { what, reason },
            Failure::Fatal(error) => error,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Transport {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    request_timeout: Duration,
    budget: Duration,
    /// Shared by clones (a batch in flight runs on a clone).
    sent: Arc<AtomicU64>,
    /// The latest answer's `Date` against the phone's clock.
    clock: Arc<Mutex<Option<ClockCheck>>>,
}

/// A request body: JSON, gzip-compressed (records are repetitive JSON and
/// pack to a fraction of their size: fewer bytes on a paid, slow link, less
/// radio time on a weak battery). Written once, cheap to clone for a retry.
#[derive(Debug, Clone)]
pub(super) struct Body {
    gzip: bytes::Bytes,
}

impl Body {
    pub(super) fn json<B: Serialize>(path: &'static str, body: &B) -> Result<Body, SyncError> {
        Body::write(path, |out| {
            serde_json::to_writer(out, body).map_err(std::io::Error::other)
        })
    }

    /// A [`wire::RecordBatch`] of records already written as JSON, byte for
    /// byte what serialising the batch would give.
    pub(super) fn records(
        path: &'static str,
        records: &[impl AsRef<[u8]>],
    ) -> Result<Body, SyncError> {
        Body::write(path, |out| {
            out.write_all(b"{\"wire_version\":")?;
            serde_json::to_writer(&mut *out, &wire::WireVersion).map_err(std::io::Error::other)?;
            out.write_all(b",\"records\":[")?;
            for (n, record) in records.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(record.as_ref())?;
            }
            out.write_all(b"]}")
        })
    }

    fn write(
        path: &'static str,
        json: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<Body, SyncError> {
        let malformed = |message: String| SyncError::BadAnswer {
            path,
            source: wire::WireError::Malformed {
                what: "request",
                message,
            },
        };
        // Fast compression: the phone's CPU is the other scarce thing. The
        // buffer matters as much: serde writes a few bytes at a time, and
        // each write straight into the encoder runs the compressor.
        let mut out = std::io::BufWriter::with_capacity(
            64 * 1024,
            GzEncoder::new(Vec::new(), Compression::fast()),
        );
        json(&mut out).map_err(|e| malformed(e.to_string()))?;
        let gzip = out
            .into_inner()
            .map_err(|e| malformed(e.error().to_string()))?
            .finish()
            .map_err(|e| malformed(e.to_string()))?;
        Ok(Body { gzip: gzip.into() })
    }
}

impl Transport {
    pub(super) fn new(
        server_url: &str,
        token: Option<&str>,
        config: &SyncConfig,
    ) -> Result<Transport, SyncError> {
        let base = server_url.trim().trim_end_matches('/').to_owned();
        let bad = |message: String| SyncError::BadServerUrl {
            url: server_url.to_owned(),
            message,
        };
        let parsed = reqwest::Url::parse(&base).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad(
                "it must start with https:// (or http:// on a test network)".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Transport {
            http,
            base,
            token: token.map(str::to_owned),
            max_attempts: config.max_attempts.max(1),
            base_delay: config.base_delay,
            max_delay: config.max_delay,
            request_timeout: config.request_timeout,
            budget: config.sync_budget,
            sent: Arc::default(),
            clock: Arc::default(),
        })
    }

    pub(super) fn clock(&self) -> Option<ClockCheck> {
        *self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the server's time from an answer, whatever its status.
    fn note_clock(&self, response: &reqwest::Response) {
        let server = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(parse_http_date);
        if let Some(server) = server {
            let check = ClockCheck {
                server,
                phone: time::OffsetDateTime::now_utc(),
            };
            *self.clock.lock().unwrap_or_else(|p| p.into_inner()) = Some(check);
        }
    }

    /// When a sync (or a single call) that starts now must stop trying.
    pub(super) fn deadline(&self) -> Instant {
        Instant::now() + self.budget
    }

    pub(super) async fn get_json<R: DeserializeOwned>(
        &self,
        path: &'static str,
        what: &'static str,
    ) -> Result<R, SyncError> {
        self.call(Method::GET, path, None, self.deadline())
            .await
            .map_err(|f| f.into_error(what))
    }

    /// Posts `body` as JSON; `Err(Failure::Offline)` after every try failed
    /// or when `deadline` has passed.
    pub(super) async fn post_json<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &'static str,
        body: &B,
        deadline: Instant,
    ) -> Result<R, Failure> {
        let body = Body::json(path, body).map_err(Failure::Fatal)?;
        self.post_body(path, body, deadline).await
    }

    /// Posts a body written beforehand (see [`Body::json`]).
    pub(super) async fn post_body<R: DeserializeOwned>(
        &self,
        path: &'static str,
        body: Body,
        deadline: Instant,
    ) -> Result<R, Failure> {
        self.call(Method::POST, path, Some(body), deadline).await
    }

    pub(super) fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Bytes this client has put on the wire as request bodies (compressed).
    pub(super) fn bytes_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Tries until an answer, a fatal refusal, `max_attempts` tries, or the
    /// deadline, whichever comes first. Each try is also cut at the deadline.
    async fn call<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &'static str,
        body: Option<Body>,
        deadline: Instant,
    ) -> Result<R, Failure> {
        let mut attempt = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::Offline(out_of_time(attempt)));
            }
            attempt += 1;
            let timeout = self.request_timeout.min(left);
            match self.once(method.clone(), path, body.clone(), timeout).await {
                Ok(bytes) => {
                    // Answers carry no `wire_version` (requests do), so plain JSON.
                    return serde_json::from_slice(&bytes).map_err(|e| {
                        Failure::Fatal(SyncError::BadAnswer {
                            path,
                            source: wire::WireError::Malformed {
                                what: "answer",
                                message: e.to_string(),
                            },
                        })
                    });
                }
                Err(Try::Fatal(error)) => return Err(Failure::Fatal(error)),
                Err(Try::Again(reason)) if attempt >= self.max_attempts => {
                    tracing::info!(path, attempt, "server unreachable; giving up for now");
                    return Err(Failure::Offline(Offline { reason }));
                }
                Err(Try::Again(reason)) => {
                    let delay = self.backoff(attempt);
                    if Instant::now() + delay >= deadline {
                        tracing::info!(
                            path,
                            attempt,
                            "sync time budget used up; giving up for now"
                        );
                        return Err(Failure::Offline(Offline {
                            reason: format!("{reason}; {}", out_of_time(attempt).reason),
                        }));
                    }
                    tracing::debug!(path, attempt, ?delay, %reason, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One GET of `path` from byte `from` on (HTTP range). A connection cut
    /// mid-body keeps what arrived, so the caller resumes from there.
    /// `arrived` hears how many bytes of the file are in hand after each
    /// chunk, so a large card on a slow link shows progress as it comes.
    pub(super) async fn get_from(
        &self,
        path: &str,
        from: u64,
        deadline: Instant,
        arrived: &mut dyn FnMut(u64),
    ) -> Result<Fetched, Failure> {
        let timeout = self
            .request_timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        let mut request = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if from > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        let again = |reason: String| Failure::Offline(Offline { reason });
        let mut response = request.send().await.map_err(|e| again(describe(&e)))?;
        self.note_clock(&response);
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(again(format!("HTTP {}", status.as_u16())));
        }
        if !(status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT) {
            let (code, message) = error_body(&response.bytes().await.unwrap_or_default());
            return Err(Failure::Fatal(if status == StatusCode::UNAUTHORIZED {
                SyncError::Unauthorised { code, message }
            } else {
                SyncError::Refused {
                    path: "/api/v1/media",
                    status: status.as_u16(),
                    message,
                }
            }));
        }
        let mut fetched = Fetched {
            bytes: Vec::new(),
            // A server that ignores the range sends the whole file.
            from_start: status == StatusCode::OK,
            complete: false,
        };
        let before = if fetched.from_start { 0 } else { from };
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    fetched.bytes.extend_from_slice(&chunk);
                    arrived(before + fetched.bytes.len() as u64);
                }
                Ok(None) => break,
                Err(_) => return Ok(fetched),
            }
        }
        fetched.complete = true;
        Ok(fetched)
    }

    /// Exponential backoff with "equal jitter": half the delay is fixed, half
    /// random, so devices that failed together do not retry together.
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let half = exponential / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_ms))
    }

    async fn once(
        &self,
        method: Method,
        path: &'static str,
        body: Option<Body>,
        timeout: Duration,
    ) -> Result<Vec<u8>, Try> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            self.sent
                .fetch_add(body.gzip.len() as u64, std::sync::atomic::Ordering::Relaxed);
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::CONTENT_ENCODING, "gzip")
                .body(body.gzip);
        }
        let response = request.send().await.map_err(|e| Try::Again(describe(&e)))?;
        self.note_clock(&response);
        let status = response.status();
        // A body cut short is as transient as a refused connection.
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Try::Again(describe(&e)))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let (code, message) = error_body(&bytes);
        if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            return Err(Try::Again(format!("HTTP {}: {message}", status.as_u16())));
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Try::Fatal(SyncError::Unauthorised { code, message }));
        }
        Err(Try::Fatal(SyncError::Refused {
            path,
            status: status.as_u16(),
            message,
        }))
    }
}

/// What one ranged GET brought.
#[derive(Debug)]
pub(super) struct Fetched {
    pub bytes: Vec<u8>,
    /// The answer starts at byte 0 (HTTP 200), not at the range asked for.
    pub from_start: bool,
    /// The body ended normally rather than being cut.
    pub complete: bool,
}

/// The time budget of this sync is spent: a normal end, tried again later.
pub(super) fn out_of_time(attempts: u32) -> Offline {
    Offline {
        reason: format!(
            "this sync used up its time budget after {attempts} tries; the rest waits for the next sync"
        ),
    }
}

enum Try {
    Again(String),
    Fatal(SyncError),
}

/// The server's JSON error shape (`{"error": {"code", "message"}}` or flat),
/// or the raw text if it is something else.
fn error_body(bytes: &[u8]) -> (String, String) {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let inner = value.get("error").unwrap_or(&value);
    let field = |name: &str| inner.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let text = String::from_utf8_lossy(bytes).chars().take(200).collect();
    (
        field("code").unwrap_or_default(),
        field("message").unwrap_or(text),
    )
}

/// A reqwest error without the URL's query or any header (never the token).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "no connection"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_body() || error.is_decode() {
        "the connection dropped during the answer"
    } else {
        "the connection failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}
