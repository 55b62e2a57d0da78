//! A small TCP proxy on 127.0.0.1 that misbehaves on purpose: it cuts
//! connections at random byte offsets, delays and throttles bytes, and
//! answers some requests itself with HTTP 500. The faults can be changed
//! while it runs; every fault it injects is counted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What goes wrong, per connection. Probabilities are in thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Cut the connection after a random number of bytes (either direction).
    /// Faults are drawn per request: the proxy makes every request use its
    /// own connection.
    pub cut_per_mille: u32,
    /// Answer the request with HTTP 500 instead of forwarding it.
    pub error_500_per_mille: u32,
    /// Forward the request, then replace the server's answer with HTTP 500
    /// (the server did the work; the device never hears of it).
    pub lost_answer_500_per_mille: u32,
    /// Pause before each chunk, in milliseconds (uniform in the range).
    pub delay_ms: (u64, u64),
    /// Bytes per chunk when delaying (throttling); 0 = no throttling.
    pub chunk: usize,
    /// Cut every answer after this many bytes (a link that drops long
    /// downloads halfway, every time): what a resumed download must survive.
    pub cut_answers_after: Option<usize>,
    /// After this many cuts the link goes down: every later request's
    /// connection is closed unanswered (a phone that lost its signal
    /// halfway through a download, until the next sync somewhere else).
    pub down_after_cuts: Option<usize>,
}

impl Faults {
    pub fn none() -> Faults {
        Faults::default()
    }
}

/// How many faults were injected.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub connections: AtomicUsize,
    /// Requests forwarded to each upstream, in the order given to
    /// [`Proxy::start_balanced`].
    pub per_upstream: Mutex<Vec<usize>>,
    pub cuts: AtomicUsize,
    pub errors_500: AtomicUsize,
    pub lost_answers: AtomicUsize,
}

impl FaultCounts {
    pub fn snapshot(&self) -> (usize, usize, usize, usize) {
        (
            self.connections.load(Ordering::Relaxed),
            self.cuts.load(Ordering::Relaxed),
            self.errors_500.load(Ordering::Relaxed),
            self.lost_answers.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    faults: Arc<Mutex<Faults>>,
    pub counts: Arc<FaultCounts>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, faults: Faults) -> Proxy {
        Proxy::start_balanced(vec![upstream], faults).await
    }

    /// Like [`Proxy::start`], taking turns between `upstreams` request by
    /// request, as a load balancer in front of several server instances.
    pub async fn start_balanced(upstreams: Vec<SocketAddr>, faults: Faults) -> Proxy {
        assert!(
            upstreams.iter().all(|u| u.ip().is_loopback()),
            "tests only talk to 127.0.0.1"
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Mutex::new(faults));
        let counts = Arc::new(FaultCounts {
            per_upstream: Mutex::new(vec![0; upstreams.len()]),
            ..FaultCounts::default()
        });
        let (f, c) = (Arc::clone(&faults), Arc::clone(&counts));
        let task = tokio::spawn(async move {
            let mut turn = 0;
            while let Ok((client, _)) = listener.accept().await {
                let faults = *f.lock().unwrap();
                let upstream = (turn, upstreams[turn]);
                turn = (turn + 1) % upstreams.len();
                tokio::spawn(connection(client, upstream, faults, Arc::clone(&c)));
            }
        });
        Proxy {
            addr,
            faults,
            counts,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }
}

const ERROR_500: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: 63\r\nconnection: close\r\n\r\n{\"error\":{\"code\":\"internal\",\"message\":\"injected by the proxy\"}}";

/// Reads until the end of the request headers (or the client stops).
async fn read_headers(client: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while header_end(&seen).is_none() && seen.len() < 64 * 1024 {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    seen
}

/// Where the blank line after the headers starts.
fn header_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Adds `connection: close` to the request, so the server closes after its
/// answer and the device opens a new connection for the next request: the
/// faults are drawn per request, not once for a pooled keep-alive connection.
fn one_request_per_connection(mut head: Vec<u8>) -> Vec<u8> {
    if let Some(end) = header_end(&head) {
        head.splice(end + 2..end + 2, b"connection: close\r\n".iter().copied());
    }
    head
}

async fn connection(
    mut client: TcpStream,
    (index, upstream): (usize, SocketAddr),
    faults: Faults,
    counts: Arc<FaultCounts>,
) {
    counts.connections.fetch_add(1, Ordering::Relaxed);
    let head = read_headers(&mut client).await;
    if head.is_empty() {
        return; // A pooled connection the device closed unused.
    }
    if faults
        .down_after_cuts
        .is_some_and(|n| counts.cuts.load(Ordering::SeqCst) >= n)
    {
        return; // No signal: the device sees the connection close.
    }
    // Drawn only for real requests, so a test's fault counts track its requests.
    let (inject_500, lose_answer, cut) = {
        let mut rng = rand::thread_rng();
        let mut roll = |per_mille: u32| rng.gen_range(0..1000) < per_mille;
        (
            roll(faults.error_500_per_mille),
            roll(faults.lost_answer_500_per_mille),
            roll(faults.cut_per_mille),
        )
    };
    if inject_500 {
        counts.errors_500.fetch_add(1, Ordering::Relaxed);
        let _ = client.write_all(ERROR_500).await;
        let _ = client.shutdown().await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // Server down: the client sees the connection close.
    };
    counts.per_upstream.lock().unwrap()[index] += 1;
    // Each side's read half feeds the *other* side's write half. (This was
    // once crossed, so every request was echoed back to the device: a slow
    // upload then deadlocked until the request timeout, which looked like a hang.)
    let (from_client, to_client) = client.into_split();
    let (from_server, to_server) = server.into_split();
    let mut up = Plan::from(faults);
    let mut down = Plan::from(faults);
    if cut {
        let mut rng = rand::thread_rng();
        // Requests are large (batches), answers small: cut each within its size.
        if rng.gen_bool(0.5) {
            up.cut_at = Some(rng.gen_range(0..16 * 1024));
        } else {
            down.cut_at = Some(rng.gen_range(0..1024));
        }
    }
    if let Some(after) = faults.cut_answers_after {
        down.cut_at = Some(after);
    }
    down.replace_with_500 = lose_answer;
    let upload = pump(from_client, to_server, up, one_request_per_connection(head));
    let download = pump(from_server, to_client, down, Vec::new());
    tokio::pin!(upload, download);
    // A cut ends the whole connection at once (both halves dropped); an end
    // of stream on one side is passed on and the other direction finishes.
    let (first, second) = tokio::select! {
        end = &mut upload => (end, if end == End::Finished { Some(download.await) } else { None }),
        end = &mut download => (end, if end == End::Finished { Some(upload.await) } else { None }),
    };
    for end in [Some(first), second].into_iter().flatten() {
        match end {
            End::Cut => counts.cuts.fetch_add(1, Ordering::Relaxed),
            End::Replaced => counts.lost_answers.fetch_add(1, Ordering::Relaxed),
            End::Finished | End::Failed => 0,
        };
    }
}

/// How one direction of a connection ended. Faults are counted only when
/// they happened (a cut planned beyond the end of a message never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The sender closed its side; the close was passed on.
    Finished,
    /// Cut on purpose mid-message: both halves are dropped.
    Cut,
    /// The server's answer was replaced by a 500.
    Replaced,
    /// A socket error.
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    cut_at: Option<usize>,
    replace_with_500: bool,
    delay_ms: (u64, u64),
    chunk: usize,
}

impl From<Faults> for Plan {
    fn from(f: Faults) -> Plan {
        Plan {
            cut_at: None,
            replace_with_500: false,
            delay_ms: f.delay_ms,
            chunk: f.chunk,
        }
    }
}

/// Copies one direction (starting with `first`, bytes already read) until
/// EOF, an error, or the planned cut.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, plan: Plan, first: Vec<u8>) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    let mut passed = 0usize;
    let mut pending = first;
    loop {
        if pending.is_empty() {
            match from.read(&mut buf).await {
                Ok(0) => {
                    let _ = to.shutdown().await;
                    return End::Finished;
                }
                Err(_) => return End::Failed,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        }
        if plan.replace_with_500 {
            // The server answered; the device gets a 500 instead.
            let _ = to.write_all(ERROR_500).await;
            let _ = to.shutdown().await;
            return End::Replaced;
        }
        let n = pending.len();
        let cut_now = plan.cut_at.is_some_and(|cut| passed + n >= cut);
        let send = match plan.cut_at.filter(|_| cut_now) {
            Some(cut) => &pending[..cut - passed],
            None => &pending[..],
        };
        let chunk = if plan.chunk == 0 {
            send.len().max(1)
        } else {
            plan.chunk
        };
        for piece in send.chunks(chunk) {
            let (lo, hi) = plan.delay_ms;
            if hi > 0 {
                let ms = rand::thread_rng().gen_range(lo..=hi.max(lo));
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if to.write_all(piece).await.is_err() {
                return End::Failed;
            }
        }
        if cut_now {
            // Dropping both halves closes the connection mid-message.
            return End::Cut;
        }
        passed += n;
        pending.clear();
    }
}
