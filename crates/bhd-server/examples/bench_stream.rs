//! SSE fan-out on one node (issue: health score, insights and live updates). Run in release,
//! after `cargo build --release -p bhd`:
//!
//! ```text
//! cargo run --release -p bhd-server --example bench_stream -- 10000 5
//! ```
//!
//! Starts `bhd serve` (BHD_BIN, default target/release/bhd) as its own process on a fresh
//! SQLite database, so that its memory is the server's alone; opens N concurrent SSE streams
//! of one organization (bearer credential, 500 connections at a time), reads the server's
//! resident memory before and after to give the memory per connection, then pushes E metric
//! points through the API, three seconds apart, and measures for every client the time from sending
//! the ingest request to receiving its `metrics.ingested` event (an upper bound of the fan-out
//! delay: it includes the ingest itself). Prints p50, p99 and max over N × E deliveries.

// The allocator `bhd` runs with (crates/bhd/src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc};

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}

/// Arrival times of the current round, one slot per client (nanoseconds after `base`), and
/// how many clients have reported: each client writes its own slot and bumps the counter, and
/// the last one wakes the measuring task. Per-event channel messages would make every
/// delivery wake the measuring task too, on the same two cores the server is measured on.
struct Arrivals {
    base: Instant,
    at: Vec<AtomicU64>,
    count: AtomicUsize,
    all_in: Notify,
}

impl Arrivals {
    fn arrived(&self, client: usize) {
        let nanos = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.at[client].store(nanos, Ordering::Relaxed);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.at.len() {
            self.all_in.notify_one();
        }
    }
}

/// One client: opens the stream, then reports the instant each `metrics.ingested` arrives.
/// Every client gets one `metrics.ingested` a round, so arrivals after a round's ingest belong
/// to that round.
async fn client(
    addr: std::net::SocketAddr,
    token: Arc<String>,
    ready: mpsc::Sender<()>,
    me: usize,
    arrivals: Arc<Arrivals>,
) -> anyhow::Result<()> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(
        format!(
            "GET /api/v1/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .as_bytes(),
    )
    .await?;
    // Bytes, not text, searched with SIMD (memchr): the client must cost little beside the
    // server on the same cores.
    const NEEDLE: &[u8] = b"event: metrics.ingested";
    let finder = memchr::memmem::Finder::new(NEEDLE);
    let mut buf = vec![0u8; 8192];
    let mut held = 0;
    let mut announced = false;
    loop {
        let n = s.read(&mut buf[held..]).await?;
        if n == 0 {
            return Ok(());
        }
        held += n;
        if !announced && memchr::memmem::find(&buf[..held], b"\r\n\r\n").is_some() {
            anyhow::ensure!(buf.starts_with(b"HTTP/1.1 200"), "stream refused");
            announced = true;
            let _ = ready.send(()).await;
        }
        let found = finder.find_iter(&buf[..held]).count();
        for _ in 0..found {
            arrivals.arrived(me);
        }
        // Keep a needle's length, in case one is split across reads.
        if found > 0 || held > buf.len() - 1024 {
            let keep = if found > 0 { 0 } else { NEEDLE.len() };
            buf.copy_within(held - keep..held, 0);
            held = keep;
        }
    }
}

// One thread for all the clients: they share the server's two cores, and a second client
// thread would mostly add wake-ups between the two.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let events: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let bin = std::env::var("BHD_BIN").unwrap_or_else(|_| "target/release/bhd".into());
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = Command::new(&bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--database-url",
            &format!("sqlite://{}/bhd.db", dir.path().display()),
        ])
        .env("BHD_SECRET_KEY", "bench-stream-secret-key-long-enough-000")
        .env("BHD_DATA_DIR", dir.path())
        .env("BHD_RATE_LIMIT", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!("starting {bin} (build it: cargo build --release -p bhd): {e}")
        })?;
    let pid = server.id();
    let result = run(port, pid, n, events).await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn run(port: u16, pid: u32, n: usize, events: u64) -> anyhow::Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        anyhow::ensure!(Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r: Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": "bench@example.com", "password": "benchmark-password", "name": "Bench", "organization_name": "Bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = Arc::new(
        r["access_token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("signup failed: {r}"))?
            .to_owned(),
    );
    // Warm up (one stream, one ingest), then read the baseline.
    let push = |round: u64| {
        let http = http.clone();
        let base = base.clone();
        let token = token.clone();
        async move {
            let r = http
                .post(format!("{base}/api/v1/metrics"))
                .bearer_auth(&*token)
                .header("content-type", "application/json")
                .body(json!({"metric_type": "orders", "value": round.to_string(), "recorded_at": "2026-01-01T00:00:00Z"}).to_string())
                .send()
                .await?;
            anyhow::ensure!(r.status() == 200, "ingest: {}", r.status());
            Ok::<_, anyhow::Error>(())
        }
    };
    push(0).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;

    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let arrivals = Arc::new(Arrivals {
        base: Instant::now(),
        at: (0..n).map(|_| AtomicU64::new(0)).collect(),
        count: AtomicUsize::new(0),
        all_in: Notify::new(),
    });
    let (ready_tx, mut ready_rx) = mpsc::channel(n.max(1));
    let opened = Instant::now();
    let mut opened_count = 0;
    for wave in (0..n).collect::<Vec<_>>().chunks(500) {
        for &me in wave {
            let (token, ready, arrivals) = (token.clone(), ready_tx.clone(), arrivals.clone());
            tokio::spawn(async move {
                if let Err(e) = client(addr, token, ready, me, arrivals).await {
                    eprintln!("client: {e}");
                }
            });
        }
        for _ in wave {
            tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("clients gone"))?;
            opened_count += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid)?;
    println!(
        "{opened_count} SSE streams open in {:.1}s; server RSS {:.1} MiB → {:.1} MiB: {:.1} KiB per connection",
        opened.elapsed().as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / n as f64
    );

    let mut latencies = Vec::with_capacity(n * events as usize);
    for round in 1..=events {
        arrivals.count.store(0, Ordering::Release);
        let sent = Instant::now();
        push(round).await?;
        let answered = sent.elapsed();
        let all_in =
            tokio::time::timeout(Duration::from_secs(30), arrivals.all_in.notified()).await;
        let received = arrivals.count.load(Ordering::Acquire);
        anyhow::ensure!(
            all_in.is_ok() && received == n,
            "round {round}: only {received} of {n} clients got the event"
        );
        let sent_at = sent.duration_since(arrivals.base);
        for slot in &arrivals.at {
            let at = Duration::from_nanos(slot.load(Ordering::Relaxed));
            latencies.push(at.saturating_sub(sent_at));
        }
        let mut this: Vec<Duration> = latencies[latencies.len() - n..].to_vec();
        this.sort();
        println!(
            "event {round}: ingest answered in {:.1} ms; first client {:.1} ms, p50 {:.1} ms, all {n} in {:.1} ms",
            answered.as_secs_f64() * 1e3,
            this[0].as_secs_f64() * 1e3,
            this[n / 2].as_secs_f64() * 1e3,
            this[n - 1].as_secs_f64() * 1e3
        );
        // Three seconds apart: an ingest's debounced alert evaluation (1 s later) and score
        // recalculation (2 s later, whose `score.updated` goes to every client too) then run
        // between rounds, not during the next round's fan-out.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{n} clients × {events} events: delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (from the ingest request)",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    Ok(())
}
