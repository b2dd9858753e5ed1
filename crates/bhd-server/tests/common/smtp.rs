//! `SmtpSink`: a tiny SMTP server on loopback that accepts every mail and records it, so tests
//! send email through the real SMTP client (lettre) and then look at what arrived.
//!
//! It speaks just enough of RFC 5321 for a client without TLS or authentication: greeting,
//! EHLO/HELO (advertising neither STARTTLS nor AUTH), MAIL FROM, RCPT TO, DATA, RSET, NOOP and
//! QUIT. It must never be used outside tests: it trusts its input and keeps everything in memory.
//!
//! The server crate's own unit tests include this file too (`src/notify.rs`), so it may depend
//! on nothing but `std` and `tokio`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One mail the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body, CRLF line ends, dot-unstuffed,
    /// without the final `.` line).
    pub data: String,
}

impl Mail {
    /// The value of the first header named `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(v) = found.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                found = Some(v.trim().to_owned());
            }
        }
        found
    }

    /// Everything after the headers.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default()
    }
}

/// A running sink; it stops when dropped.
pub struct SmtpSink {
    /// Where it listens (127.0.0.1 and a port of the system's choosing).
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink that accepts every mail.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// Starts a sink that answers every `RCPT TO` with `reply` (for example
    /// `"550 5.1.1 no such user"` or `"451 4.3.0 try again later"`), to test how failures are
    /// classified.
    pub async fn rejecting(reply: &str) -> Self {
        Self::start_with(Some(reply.to_owned())).await
    }

    async fn start_with(rcpt_reply: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the SMTP sink");
        let addr = listener.local_addr().expect("the SMTP sink's address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let task = {
            let mails = mails.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let mails = mails.clone();
                    let rcpt_reply = rcpt_reply.clone();
                    tokio::spawn(async move {
                        // A client hanging up mid-session is not the sink's concern.
                        let _ = session(stream, mails, rcpt_reply).await;
                    });
                }
            })
        };
        Self { addr, mails, task }
    }

    /// The URL to give the server as `BHD_SMTP_URL` (plain SMTP, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The mails accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("SMTP sink lock").clone()
    }

    /// Waits until at least `n` mails have arrived or `timeout` has passed, and returns the
    /// mails accepted by then (the caller asserts on how many).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails = self.mails();
            if mails.len() >= n || tokio::time::Instant::now() >= deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One SMTP session, until QUIT or the client goes away.
async fn session(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    rcpt_reply: Option<String>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 bhd-smtp-sink ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if read.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\r', '\n']);
        let verb = line
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-bhd-smtp-sink\r\n250-8BITMIME\r\n250 SMTPUTF8".into(),
            "HELO" => "250 bhd-smtp-sink".into(),
            "MAIL" => {
                from = Some(address(line));
                to.clear();
                "250 2.1.0 ok".into()
            }
            "RCPT" => match &rcpt_reply {
                Some(r) => r.clone(),
                None if from.is_none() => "503 5.5.1 MAIL first".into(),
                None => {
                    to.push(address(line));
                    "250 2.1.5 ok".into()
                }
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let data = read_data(&mut read).await?;
                let mail = Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                mails.lock().expect("SMTP sink lock").push(mail);
                "250 2.0.0 queued".into()
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 ok".into()
            }
            "NOOP" => "250 2.0.0 ok".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented".into(),
        };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}

/// The message after DATA, up to the line holding a single dot, with dot-stuffing undone.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> std::io::Result<String> {
    let mut data = String::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if read.read_until(b'\n', &mut buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = String::from_utf8_lossy(&buf);
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// The address between `<` and `>` in `MAIL FROM:<a@b> BODY=8BITMIME` or `RCPT TO:<c@d>`.
fn address(line: &str) -> String {
    match (line.find('<'), line.find('>')) {
        (Some(a), Some(b)) if b > a => line[a + 1..b].to_owned(),
        _ => line
            .split_once(':')
            .map(|(_, r)| r.trim().to_owned())
            .unwrap_or_default(),
    }
}
