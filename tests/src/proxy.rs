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
        assert!(upstream.ip().is_loopback(), "tests only talk to 127.0.0.1");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Mutex::new(faults));
        let counts = Arc::new(FaultCounts::default());
        let (f, c) = (Arc::clone(&faults), Arc::clone(&counts));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let faults = *f.lock().unwrap();
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
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 64 * 1024 {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    seen
}

async fn connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Faults,
    counts: Arc<FaultCounts>,
) {
    counts.connections.fetch_add(1, Ordering::Relaxed);
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
        read_headers(&mut client).await;
        let _ = client.write_all(ERROR_500).await;
        let _ = client.shutdown().await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // Server down: the client sees the connection close.
    };
    let (from_client, to_server) = client.into_split();
    let (from_server, to_client) = server.into_split();
    let mut up = Plan::from(faults);
    let mut down = Plan::from(faults);
    if cut {
        counts.cuts.fetch_add(1, Ordering::Relaxed);
        let mut rng = rand::thread_rng();
        // Requests are large (batches), answers small: cut each within its size.
        if rng.gen_bool(0.5) {
            up.cut_at = Some(rng.gen_range(0..64 * 1024));
        } else {
            down.cut_at = Some(rng.gen_range(0..2 * 1024));
        }
    }
    if lose_answer {
        counts.lost_answers.fetch_add(1, Ordering::Relaxed);
        down.replace_with_500 = true;
    }
    tokio::select! {
        _ = pump(from_client, to_server, up) => {},
        _ = pump(from_server, to_client, down) => {},
    }
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

/// Copies one direction until EOF, an error, or the planned cut.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, plan: Plan) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut passed = 0usize;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(n) => n,
        };
        if plan.replace_with_500 {
            // The server answered; the device gets a 500 instead.
            let _ = to.write_all(ERROR_500).await;
            let _ = to.shutdown().await;
            return;
        }
        let mut data = &buf[..n];
        let cut_now = plan.cut_at.is_some_and(|cut| passed + n >= cut);
        if let Some(cut) = plan.cut_at.filter(|_| cut_now) {
            data = &data[..cut - passed];
        }
        let chunk = if plan.chunk == 0 {
            data.len().max(1)
        } else {
            plan.chunk
        };
        for piece in data.chunks(chunk) {
            let (lo, hi) = plan.delay_ms;
            if hi > 0 {
                let ms = rand::thread_rng().gen_range(lo..=hi.max(lo));
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if to.write_all(piece).await.is_err() {
                return;
            }
        }
        if cut_now {
            // Dropping both halves closes the connection mid-message.
            return;
        }
        passed += n;
    }
}
