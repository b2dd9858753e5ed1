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
//! points through the API, three seconds apart, and measures for every client the time from
//! sending the ingest request to its `metrics.ingested` event (an upper bound of the fan-out
//! delay: it includes the ingest itself). Prints p50, p99 and max over N × E deliveries, twice:
//!
//! - **delivered**: when the event reached the client's socket, as the kernel stamped it on
//!   arrival (`SO_TIMESTAMPNS`). This is the server's delivery latency.
//! - **read**: when the client program read it (`compete` only, below).
//!
//! The clients run on the server's two cores, where remote clients would not. So while the
//! server fans an event out, the client program stays off the CPU altogether: after the ingest
//! request returns, its one thread sleeps a second, then reads what arrived, with the kernel's
//! arrival stamps. (Idle priority alone, `SCHED_IDLE`, which the clients also have, did not
//! keep them off: in some rounds the scheduler ran the client thread on one core while both
//! server workers shared the other, each waiting ~65 ms for it.) The kernel's receive path for
//! the clients' sockets still runs in the server's writes on loopback, which makes the
//! delivered figure an upper bound of the same server with remote clients.
//! `… -- 10000 5 compete` instead keeps the clients at normal priority, reading as events
//! arrive, and reports the read figure too. Each round prints the CPU time the server used
//! (and each of its workers, on a CPU and waiting for one), the clients' CPU time, and how
//! much the machine was busy and how much the hypervisor stole.

// The allocator `bhd` runs with (crates/bhd/src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
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

/// Time the process's threads have spent on a CPU so far (Linux schedstat, nanoseconds), so
/// that a round can say whether the fan-out was short of CPU or waiting.
fn cpu_ns(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Each worker thread's time on a CPU and waiting for one so far (schedstat, nanoseconds), to
/// tell whether a slow round had the workers short of CPU or idle.
fn worker_ns(pid: u32) -> Vec<(u64, u64)> {
    let mut all: Vec<(String, u64, u64)> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.starts_with("tokio-rt-worker"))
        })
        .filter_map(|t| {
            let s = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
            let mut f = s.split_whitespace().map(|v| v.parse::<u64>().ok());
            Some((
                t.file_name().to_string_lossy().into_owned(),
                f.next()??,
                f.next()??,
            ))
        })
        .collect();
    all.sort();
    all.into_iter().map(|(_, run, wait)| (run, wait)).collect()
}

/// The machine's busy and stolen CPU time so far (`/proc/stat`, milliseconds; its ticks are
/// USER_HZ, 100 a second on Linux), to tell when something besides the server and the clients
/// (another process, the kernel's own threads, the hypervisor) took the cores.
fn machine_ms() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // cpu user nice system idle iowait irq softirq steal
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let at = |i: usize| f.get(i).copied().unwrap_or(0) * 10;
    (at(0) + at(1) + at(2) + at(5) + at(6), at(7))
}

/// Arrival times of the current round, one slot per client, and how many clients have
/// reported: each client writes its own slots and bumps the counter, and the last one wakes
/// the measuring task. Per-event channel messages would make every delivery wake the
/// measuring task too, on the same two cores the server is measured on.
struct Arrivals {
    base: Instant,
    /// When the kernel received the event (wall clock, nanoseconds since the Unix epoch).
    delivered: Vec<AtomicU64>,
    /// When the client read it (nanoseconds after `base`).
    read: Vec<AtomicU64>,
    count: AtomicUsize,
    all_in: Notify,
}

impl Arrivals {
    fn arrived(&self, client: usize, delivered: u64) {
        let nanos = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.read[client].store(nanos, Ordering::Relaxed);
        self.delivered[client].store(delivered, Ordering::Relaxed);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.read.len() {
            self.all_in.notify_one();
        }
    }
}

fn wall_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Reads what is waiting on the socket, with the kernel's arrival stamp of the newest segment
/// read (a later segment read with it, a heartbeat say, makes the stamp later, never earlier).
fn read_stamped(
    s: &tokio::net::TcpStream,
    buf: &mut [u8],
) -> std::io::Result<(usize, Option<u64>)> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    use std::os::fd::AsRawFd;
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!(nix::sys::time::TimeSpec);
    let msg = recvmsg::<()>(s.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::empty())?;
    let mut stamp = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmTimestampns(t) = c {
            stamp = u64::try_from(t.tv_sec())
                .ok()
                .zip(u64::try_from(t.tv_nsec()).ok())
                .map(|(s, n)| s * 1_000_000_000 + n);
        }
    }
    Ok((msg.bytes, stamp))
}

/// Pushes one metric point (`orders` = `round`) on a thread of its own, over a connection of
/// its own, with a blocking request: the clients' thread need not run to send it or to wait
/// for the answer. Gives when the request was sent (monotonic and wall clock).
fn push(
    addr: std::net::SocketAddr,
    token: Arc<String>,
    round: u64,
) -> std::thread::JoinHandle<anyhow::Result<(Instant, u64)>> {
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let body = json!({"metric_type": "orders", "value": round.to_string(), "recorded_at": "2026-01-01T00:00:00Z"}).to_string();
        let request = format!(
            "POST /api/v1/metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        let sent = (Instant::now(), wall_nanos());
        s.write_all(request.as_bytes())?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)?;
        anyhow::ensure!(
            answer.starts_with(b"HTTP/1.1 200"),
            "ingest: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
        Ok(sent)
    })
}

/// Events read without the kernel's stamp (the first segments after the stamps are switched
/// on can come without one).
static UNSTAMPED: AtomicUsize = AtomicUsize::new(0);

/// One client: opens the stream, then reports when each `metrics.ingested` arrived. Every
/// client gets one `metrics.ingested` a round, so arrivals after a round's ingest belong to
/// that round.
async fn client(
    addr: std::net::SocketAddr,
    token: Arc<String>,
    ready: mpsc::Sender<()>,
    me: usize,
    arrivals: Arc<Arrivals>,
) -> anyhow::Result<()> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::ReceiveTimestampns, &true)?;
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
        s.readable().await?;
        let (n, stamp) = match s.try_io(tokio::io::Interest::READABLE, || {
            read_stamped(&s, &mut buf[held..])
        }) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e.into()),
        };
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
        // Without a stamp, the read time is the best bound (counted, and said at the end).
        let stamp = stamp.unwrap_or_else(|| {
            UNSTAMPED.fetch_add(found, Ordering::Relaxed);
            wall_nanos()
        });
        for _ in 0..found {
            arrivals.arrived(me, stamp);
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
    let compete = args.get(3).map(String::as_str) == Some("compete");
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
    // After starting the server (a child inherits its parent's policy), before the clients:
    // every thread this process makes from now on inherits it.
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    if compete {
        println!("the clients run at normal priority: they compete with the server for the CPU");
    } else if let Err(e) = set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
    ) {
        eprintln!(
            "warning: the clients keep normal priority ({e:?}): they compete with the server"
        );
    }
    let result = run(port, pid, n, events, compete).await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn run(port: u16, pid: u32, n: usize, events: u64, compete: bool) -> anyhow::Result<()> {
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
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    push(addr, token.clone(), 0)
        .join()
        .map_err(|_| anyhow::anyhow!("push panicked"))??;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;

    let arrivals = Arc::new(Arrivals {
        base: Instant::now(),
        delivered: (0..n).map(|_| AtomicU64::new(0)).collect(),
        read: (0..n).map(|_| AtomicU64::new(0)).collect(),
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

    let (mut delivered, mut read) = (Vec::new(), Vec::new());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for round in 1..=events {
        arrivals.count.store(0, Ordering::Release);
        let (server_cpu, client_cpu) = (cpu_ns(pid), cpu_ns(std::process::id()));
        let workers = worker_ns(pid);
        let (busy, stolen) = machine_ms();
        let pushed = push(addr, token.clone(), round);
        // What the server, its workers, the clients and the machine used since the ingest.
        let usage = || {
            let workers: Vec<String> = worker_ns(pid)
                .iter()
                .zip(&workers)
                .map(|(now, then)| {
                    format!(
                        "{:.0}/{:.0}",
                        (now.0 - then.0) as f64 / 1e6,
                        (now.1 - then.1) as f64 / 1e6
                    )
                })
                .collect();
            let now = machine_ms();
            (
                cpu_ns(pid) - server_cpu,
                cpu_ns(std::process::id()) - client_cpu,
                workers,
                now.0 - busy,
                now.1 - stolen,
            )
        };
        let mut used = None;
        let (sent, sent_wall) = if compete {
            tokio::task::spawn_blocking(move || pushed.join()).await?
        } else {
            // Blocks the clients' only thread on purpose: no client runs during the fan-out
            // (the kernel stamps each arrival; they read it afterwards). Under a second, so
            // that the alert evaluation the ingest schedules one second later is not counted.
            std::thread::sleep(Duration::from_millis(900));
            used = Some(usage());
            pushed.join()
        }
        .map_err(|_| anyhow::anyhow!("push panicked"))??;
        let all_in =
            tokio::time::timeout(Duration::from_secs(30), arrivals.all_in.notified()).await;
        let received = arrivals.count.load(Ordering::Acquire);
        let (server_cpu, client_cpu, workers, busy, stolen) = used.unwrap_or_else(usage);
        anyhow::ensure!(
            all_in.is_ok() && received == n,
            "round {round}: only {received} of {n} clients got the event"
        );
        let sent_at = sent.duration_since(arrivals.base);
        let mut this: Vec<Duration> = arrivals
            .delivered
            .iter()
            .map(|a| Duration::from_nanos(a.load(Ordering::Relaxed).saturating_sub(sent_wall)))
            .collect();
        read.extend(
            arrivals
                .read
                .iter()
                .map(|a| Duration::from_nanos(a.load(Ordering::Relaxed)).saturating_sub(sent_at)),
        );
        delivered.extend_from_slice(&this);
        this.sort();
        println!(
            "event {round}: delivered to the first client in {:.1} ms, to half in {:.1} ms, to all {n} in {:.1} ms; CPU: server {:.1} ms (workers on CPU/waiting for it {}), clients {:.1} ms, machine busy {busy} ms, stolen {stolen} ms",
            ms(this[0]),
            ms(this[n / 2]),
            ms(this[n - 1]),
            server_cpu as f64 / 1e6,
            workers.join(", "),
            client_cpu as f64 / 1e6,
        );
        // Three seconds apart: an ingest's debounced alert evaluation (1 s later) and score
        // recalculation (2 s later, whose `score.updated` goes to every client too) then run
        // between rounds, not during the next round's fan-out.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let unstamped = UNSTAMPED.load(Ordering::Relaxed);
    if unstamped > 0 {
        println!(
            "{unstamped} events were read without a kernel stamp: their read time counts as delivered"
        );
    }
    let figures = if compete {
        vec![("delivered", delivered), ("read", read)]
    } else {
        vec![("delivered", delivered)]
    };
    for (what, mut all) in figures {
        all.sort();
        let p = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        println!(
            "{n} clients × {events} events, {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (from the ingest request)",
            ms(p(0.5)),
            ms(p(0.99)),
            ms(all[all.len() - 1])
        );
    }
    Ok(())
}
