//! A loopback proxy in front of a server whose answers carry a `Date` moved
//! by a fixed amount: to the phone behind it, its own clock looks that far
//! off, as a phone whose battery went flat sees it (issue 14). Only the
//! `date:` header line changes; an HTTP date has a fixed length, so nothing
//! else in the stream moves.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use time::macros::format_description;
use time::{Duration, PrimitiveDateTime};

pub struct SkewedClock {
    /// `http://127.0.0.1:port`, to give the app instead of the server's.
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Drop for SkewedClock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the stop.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

impl SkewedClock {
    /// Forwards to `server` (`http://host:port`), with every answer's Date
    /// moved by `shift`.
    pub fn start(server: &str, shift: Duration) -> SkewedClock {
        let target = server
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(&target) else {
                    continue;
                };
                let (mut c_read, mut u_write) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut u_write);
                    let _ = u_write.shutdown(std::net::Shutdown::Write);
                });
                thread::spawn(move || answers(upstream, client, shift));
            }
        });
        SkewedClock { url, stop }
    }
}

const HEADER: &[u8] = b"\r\ndate: ";
/// `Wed, 02 Dec 2026 11:21:34 GMT`
const DATE_LEN: usize = 29;

/// Copies the server's answers to the phone, moving each Date. A header
/// cut between two reads is held back until its end arrives.
fn answers(mut upstream: TcpStream, mut client: TcpStream, shift: Duration) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match upstream.read(&mut chunk) {
            Ok(0) | Err(_) => {
                let _ = client.write_all(&pending);
                let _ = client.shutdown(std::net::Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut at = 0;
        while let Some(found) = find(&pending[at..], HEADER) {
            let start = at + found + HEADER.len();
            if pending.len() < start + DATE_LEN {
                break;
            }
            if let Some(moved) = moved(&pending[start..start + DATE_LEN], shift) {
                pending[start..start + DATE_LEN].copy_from_slice(moved.as_bytes());
            }
            at = start + DATE_LEN;
        }
        // Keep back only what could be the start of a header not yet whole.
        let send = (at..pending.len())
            .find(|&p| is_header_start(&pending[p..]))
            .unwrap_or(pending.len());
        if client.write_all(&pending[..send]).is_err() {
            return;
        }
        pending.drain(..send);
    }
}

/// Whether `tail` is the beginning of a `date:` header line whose value has
/// not fully arrived.
fn is_header_start(tail: &[u8]) -> bool {
    let head = tail.len().min(HEADER.len());
    tail[..head] == HEADER[..head] && tail.len() < HEADER.len() + DATE_LEN
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn moved(date: &[u8], shift: Duration) -> Option<String> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let text = std::str::from_utf8(date).ok()?;
    let at = PrimitiveDateTime::parse(text, format).ok()? + shift;
    let out = at.format(format).ok()?;
    (out.len() == DATE_LEN).then_some(out)
}
