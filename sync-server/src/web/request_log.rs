//! One log line per request, pages and API alike: method, path, the names
//! (never the values) of query parameters, status and time taken. Bodies
//! (passwords, answers) and headers (cookies, tokens) are never logged.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Longest path logged; a longer one is cut (paths come from the caller).
const MAX_PATH: usize = 200;

pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = shorten(request.uri().path()).to_owned();
    let query = query_names(request.uri().query());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis();
    tracing::info!(%method, %path, query, status, ms, "request");
    response
}

fn shorten(path: &str) -> &str {
    match path.char_indices().nth(MAX_PATH) {
        Some((cut, _)) => &path[..cut],
        None => path,
    }
}

/// `protocol=x&format=csv-wide` becomes `protocol,format`.
fn query_names(query: Option<&str>) -> String {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| shorten(pair.split_once('=').map_or(pair, |(name, _)| name)))
        .take(20)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_query_names_are_kept() {
        assert_eq!(
            query_names(Some("who=sam&action=login_failed&from=")),
            "who,action,from"
        );
        assert_eq!(query_names(None), "");
        assert_eq!(shorten(&"a".repeat(500)).len(), MAX_PATH);
    }
}
