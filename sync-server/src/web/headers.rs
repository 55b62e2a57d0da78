//! Security headers on every response, pages and API alike, and the one
//! stylesheet the pages share.
//!
//! The pages run no script and never will: the Content-Security-Policy
//! allows none, nor any inline style, so an injected `<script>` or
//! `style=` would do nothing even if escaping ever failed. Nothing the
//! server sends may be cached (pages and downloads hold research data),
//! framed (clickjacking), sniffed into another type, or leak its address
//! in a `Referer`. Under TLS, browsers are told to use HTTPS only.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy: nothing at all, except the stylesheet from this server and
/// forms posting back to it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Two years, the usual HSTS preload figure.
const HSTS: &str = "max-age=63072000";

/// Where [`STYLE`] is served.
pub const STYLESHEET: &str = "/web/style.css";

/// Adds the headers; `tls` says whether this server terminates TLS itself.
pub async fn security_headers(State(tls): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // A handler that knows its answer holds nothing private (the
    // stylesheet) says so itself; everything else is never stored.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

pub const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b}
header{background:#1d3557;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff}main{padding:1em 1.5em;max-width:80em}
table{border-collapse:collapse;margin:.6em 0 1.4em}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}
th{background:#eef}td.n{text-align:right}.caveat{background:#fff3cd;border:1px solid #e0c36a;padding:.6em}
.warning{background:#f8d7da;border:1px solid #d9a1a7;padding:.6em}
.gap{background:#f8d7da}.window{background:#d1e7dd}.muted{color:#666}form.inline{display:inline}
form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin:.6em 0}
form.filters label{display:flex;flex-direction:column;font-size:.9em}
.rule{font-weight:bold;white-space:nowrap}
ul.counts{display:flex;gap:1em;list-style:none;padding:0;margin:.4em 0}
select{max-width:24em}fieldset{border:1px solid #bbb;display:flex;gap:.8em;flex-wrap:wrap;align-items:end}
label.note{display:flex;flex-direction:column;flex:1 1 24em}textarea{font:inherit}
img.choice-picture{vertical-align:middle;background:#fff;border:1px solid #ddd}ul.values{margin:0;padding-left:1em}
.state-rejected{background:#f8d7da}.state-has_issues{background:#fff3cd}.state-approved{background:#d1e7dd}
:focus-visible{outline:3px solid #1d3557;outline-offset:2px}";

/// The stylesheet: public, the same for everyone, so it may be cached.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}
