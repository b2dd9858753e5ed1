//! Streamed metric import: `POST /api/v1/metrics/import` with a CSV or NDJSON body, and the
//! core [`import`] that the handler and `bhd import` share.
//!
//! The input is read one physical line at a time and valid points are written through the
//! store's ingest in chunks of at most [`CHUNK`], so memory stays flat whatever the size: this
//! module must never collect the whole body, nor all its points. Each line is checked with the
//! same rules as `POST /metrics` (`metrics::check_point`); unlike that endpoint, a bad line does
//! not refuse the rest: it is reported with its line number and the others are written.
//!
//! CSV is parsed line by line on purpose: a quoted field cannot span lines, so an unbalanced
//! quote spoils its own line only (rather than swallowing the rest of the file into one field),
//! and line numbers are the physical ones a spreadsheet or `sed -n` shows.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::metrics::{RawPoint, Window, check_point, definitions, org_time};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use bhd_domain::{Access, MetricDef, OrgId};
use bhd_store::NewPoint;
use futures_util::TryStreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::io;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The import route. Its body is streamed and limited by [`MAX_IMPORT_BYTES`] as it is read,
/// so the API-wide JSON body limit is lifted here (a route's own layer takes precedence).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_metrics))
        .layer(DefaultBodyLimit::disable())
}

/// Largest body `POST /metrics/import` reads (1 GiB).
pub const MAX_IMPORT_BYTES: u64 = 1 << 30;
/// Most points written in one ingest transaction.
pub const CHUNK: usize = 5_000;
/// Most rejected lines listed in a summary; `rejected_count` counts them all.
pub const MAX_REJECTED: usize = 1_000;
/// Longest line read; a longer one is rejected (and skipped without being held in memory).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// How often, in lines, progress is reported between chunk writes.
const PROGRESS_EVERY: u64 = 1_024;

/// The format of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON point object a line.
    Ndjson,
}

impl Format {
    /// The format a `Content-Type` names (parameters such as `charset` are ignored).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("text/csv") {
            Some(Self::Csv)
        } else if [
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
        ]
        .iter()
        .any(|t| essence.eq_ignore_ascii_case(t))
        {
            Some(Self::Ndjson)
        } else {
            None
        }
    }

    /// The format a file name's extension suggests (`.csv`, `.ndjson`, `.jsonl`).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "ndjson" | "jsonl" => Ok(Self::Ndjson),
            other => Err(format!("unknown format {other:?}: expected csv or ndjson")),
        }
    }
}

/// One line that was not imported.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RejectedLine {
    /// The physical line, from 1 (line 1 is the CSV header).
    pub line: u64,
    /// Which field is wrong and why, such as `value: must have at most 6 decimal places`.
    pub error: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ImportSummary {
    /// Points written that did not exist before.
    pub accepted: u64,
    /// Points that replaced an existing value (same identity).
    pub updated: u64,
    /// The first 1,000 rejected lines, in order.
    pub rejected: Vec<RejectedLine>,
    /// Every rejected line, listed or not.
    pub rejected_count: u64,
    /// Physical lines read, blank ones and the CSV header included.
    pub lines: u64,
}

/// Where an import is, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read so far.
    pub bytes: u64,
    /// Physical lines read so far.
    pub lines: u64,
    /// Points written so far (new and replaced).
    pub written: u64,
    /// Lines rejected so far.
    pub rejected: u64,
}

/// Imports `reader` into the organization: parses it line by line, checks each point as
/// `POST /metrics` does, and writes the valid ones in chunks of at most [`CHUNK`] (each chunk
/// one transaction, so if the store fails midway the chunks before stay written; importing the
/// same input again is safe, as it only replaces). Fails with 422 for a CSV header without the
/// required columns or with unknown ones, 413 past `max_bytes`, 400 when reading fails.
pub async fn import<R: AsyncRead + Unpin>(
    app: &AppState,
    org: OrgId,
    reader: R,
    format: Format,
    max_bytes: Option<u64>,
    mut on_progress: impl FnMut(Progress),
) -> ApiResult<ImportSummary> {
    let all_defs = definitions(app, org).await?;
    let defs: HashMap<&str, &MetricDef> = all_defs.iter().map(|d| (d.name.as_ref(), d)).collect();
    let (tz, plan) = org_time(app, org).await?;
    let now = app.clock.now();
    let window = Window { now, plan };
    let mut lines = Lines::new(reader, max_bytes);
    let mut summary = ImportSummary::default();
    let mut chunk: Vec<NewPoint> = Vec::with_capacity(CHUNK);
    // The metric types written, for the `metrics.ingested` event (a handful, not one per line).
    let mut types: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let header = match format {
        Format::Csv => Some(read_header(&mut lines).await?),
        Format::Ndjson => None,
    };
    let mut errors = Vec::new();
    while let Some((number, line)) = lines.next().await? {
        let raw = match (line, &header) {
            (Line::Text(t), _) if t.trim().is_empty() => Ok(None),
            (Line::Text(t), Some(h)) => h.point(t).map(Some),
            (Line::Text(t), None) => ndjson_point(t).map(Some),
            (Line::TooLong, _) => Err(format!("line is longer than {MAX_LINE_BYTES} bytes")),
            (Line::NotUtf8, _) => Err("line is not valid UTF-8".to_owned()),
        };
        let point = match raw {
            Ok(None) => None,
            Ok(Some(raw)) => {
                errors.clear();
                let point = check_point(raw, "", &defs, window, &mut errors);
                if point.is_none() {
                    let why: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    summary.reject(number, why.join("; "));
                }
                point
            }
            Err(why) => {
                summary.reject(number, why);
                None
            }
        };
        if let Some(p) = point {
            if !types.contains(&p.metric_type) {
                types.insert(p.metric_type.clone());
            }
            chunk.push(p);
            if chunk.len() >= CHUNK {
                let count = app.store.ingest(org, tz, &chunk, now).await?;
                summary.accepted += count.accepted;
                summary.updated += count.updated;
                chunk.clear();
                on_progress(summary.progress(&lines));
                continue;
            }
        }
        if number % PROGRESS_EVERY == 0 {
            on_progress(summary.progress(&lines));
        }
    }
    if !chunk.is_empty() {
        let count = app.store.ingest(org, tz, &chunk, now).await?;
        summary.accepted += count.accepted;
        summary.updated += count.updated;
    }
    if summary.accepted + summary.updated > 0 {
        let count = bhd_store::IngestCount {
            accepted: summary.accepted,
            updated: summary.updated,
        };
        // The event first: every commit before it delays what open dashboards show.
        crate::metrics::ingested(app, org, &count, types.iter().map(String::as_str), "import")
            .await;
        crate::jobs::after_ingest(app, org).await;
    }
    summary.lines = lines.number;
    on_progress(summary.progress(&lines));
    Ok(summary)
}

impl ImportSummary {
    fn reject(&mut self, line: u64, error: String) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_REJECTED {
            self.rejected.push(RejectedLine { line, error });
        }
    }

    fn progress<R>(&self, lines: &Lines<R>) -> Progress {
        Progress {
            bytes: lines.bytes,
            lines: lines.number,
            written: self.accepted + self.updated,
            rejected: self.rejected_count,
        }
    }
}

/// One physical line as read.
#[derive(Debug, PartialEq)]
enum Line<'a> {
    /// The line without its `\n` (or `\r\n`).
    Text(&'a str),
    /// Longer than [`MAX_LINE_BYTES`]; skipped.
    TooLong,
    /// Not UTF-8.
    NotUtf8,
}

/// Physical lines of a byte stream, each held at most [`MAX_LINE_BYTES`] long, counting bytes
/// against an optional limit.
struct Lines<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
    /// The number of the line last returned (from 1).
    number: u64,
    bytes: u64,
    max_bytes: Option<u64>,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    fn new(reader: R, max_bytes: Option<u64>) -> Self {
        Self {
            reader: BufReader::with_capacity(64 * 1024, reader),
            buf: Vec::with_capacity(1024),
            number: 0,
            bytes: 0,
            max_bytes,
        }
    }

    /// The next line and its number, or None at the end.
    async fn next(&mut self) -> ApiResult<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = self.reader.fill_buf().await.map_err(read_error)?;
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, end) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > MAX_LINE_BYTES + 2 {
                    too_long = true;
                    self.buf = Vec::with_capacity(1024);
                } else {
                    self.buf.extend_from_slice(&available[..take]);
                }
            }
            self.reader.consume(take);
            self.bytes += take as u64;
            if self.max_bytes.is_some_and(|max| self.bytes > max) {
                return Err(ApiError::PayloadTooLarge);
            }
            if end {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some((self.number, Line::TooLong)));
        }
        let mut line = self.buf.as_slice();
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        let line = match std::str::from_utf8(line) {
            Ok(t) => Line::Text(t),
            Err(_) => Line::NotUtf8,
        };
        Ok(Some((self.number, line)))
    }
}

/// A failed read: the client went away, or the file could not be read.
fn read_error(e: io::Error) -> ApiError {
    ApiError::BadRequest(format!("could not read the input: {e}"))
}

/// The columns a CSV import knows.
const COLUMNS: [&str; 6] = [
    "metric_type",
    "value",
    "recorded_at",
    "category",
    "source",
    "dimension",
];
/// How many of [`COLUMNS`], from the first, are required.
const REQUIRED: usize = 3;

/// Where each known column is in a CSV's rows.
#[derive(Debug)]
struct Header {
    /// Index in the row of each of [`COLUMNS`], if present.
    at: [Option<usize>; COLUMNS.len()],
    width: usize,
}

/// Reads and checks the header row (line 1): 422 naming the unknown, repeated or missing columns.
async fn read_header<R: AsyncRead + Unpin>(lines: &mut Lines<R>) -> ApiResult<Header> {
    let bad = |message: String| ApiError::field("header", message);
    let text = match lines.next().await? {
        None => String::new(),
        Some((_, Line::Text(t))) => t.trim_start_matches('\u{feff}').to_owned(),
        Some((_, Line::TooLong)) => return Err(bad("the header row is too long".into())),
        Some((_, Line::NotUtf8)) => return Err(bad("the header row is not valid UTF-8".into())),
    };
    let names = split_csv(&text).map_err(|e| bad(format!("the header row is malformed: {e}")))?;
    let mut at = [None; COLUMNS.len()];
    let mut errors = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if at[c].is_some() => errors.push(FieldError {
                field: name,
                message: "column appears more than once".into(),
            }),
            Some(c) => at[c] = Some(i),
            None if text.trim().is_empty() => {}
            None => errors.push(FieldError {
                field: if name.is_empty() {
                    format!("column {}", i + 1)
                } else {
                    name
                },
                message: format!(
                    "is not a known column; the columns are {}",
                    COLUMNS.join(", ")
                ),
            }),
        }
    }
    for (c, name) in COLUMNS.iter().enumerate().take(REQUIRED) {
        if at[c].is_none() {
            errors.push(FieldError {
                field: (*name).to_owned(),
                message: "column is required in the header row".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Header {
        at,
        width: names.len(),
    })
}

impl Header {
    /// The point a data row describes, or why the row cannot be read.
    fn point(&self, line: &str) -> Result<RawPoint, String> {
        let cells = split_csv(line)?;
        if cells.len() != self.width {
            return Err(format!(
                "has {} fields but the header has {}",
                cells.len(),
                self.width
            ));
        }
        let cell = |c: usize| {
            self.at[c]
                .map(|i| cells[i].as_str())
                .filter(|s| !s.is_empty())
        };
        let value = match cell(1) {
            None => None,
            // A JSON string keeps the text exact; `check_point` parses it as a decimal.
            Some(v) => Some(
                serde_json::value::to_raw_value(v)
                    .map_err(|e| format!("value: could not be read: {e}"))?,
            ),
        };
        Ok(RawPoint {
            metric_type: cell(0).map(str::to_owned),
            value,
            recorded_at: cell(2).map(str::to_owned),
            category: cell(3).map(str::to_owned),
            source: cell(4).map(str::to_owned),
            metadata: cell(5).map(|d| serde_json::json!({ "dimension": d })),
        })
    }
}

/// Splits one CSV line (RFC 4180 quoting, within the line). Unquoted fields are trimmed; a
/// quote inside an unquoted field is kept as text, as spreadsheets do.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut cell = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(
                            "unbalanced quotes: a quoted field is not closed on this line".into(),
                        );
                    }
                    Some('"') if chars.next_if_eq(&'"').is_some() => cell.push('"'),
                    Some('"') => break,
                    Some(c) => cell.push(c),
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            match chars.next() {
                None => {
                    cells.push(cell);
                    return Ok(cells);
                }
                Some(',') => cells.push(cell),
                Some(_) => {
                    return Err(format!(
                        "field {}: unexpected text after a closing quote",
                        cells.len() + 1
                    ));
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        cells.push(cell.trim_end().to_owned());
                        return Ok(cells);
                    }
                    Some(',') => break,
                    Some(c) => cell.push(c),
                }
            }
            cells.push(cell.trim_end().to_owned());
        }
    }
}

/// The point one NDJSON line holds, or why it cannot be read.
fn ndjson_point(line: &str) -> Result<RawPoint, String> {
    if !line.trim_start().starts_with('{') {
        return Err("must be a JSON object (one point a line)".into());
    }
    serde_json::from_str::<RawPoint>(line).map_err(|e| {
        let text = e.to_string();
        let why = text.split(" at line ").next().unwrap_or(&text);
        if e.is_data() {
            format!("must be a point object: {why}")
        } else {
            format!("malformed JSON at column {}: {why}", e.column())
        }
    })
}

/// Imports a CSV (header row; columns `metric_type`, `value`, `recorded_at`, optional
/// `category`, `source`, `dimension`, in any order) or NDJSON (one point object a line) body,
/// streamed. Each line is checked as `POST /metrics` checks a point; valid lines are written
/// (in transactions of at most 5,000 points), invalid ones are listed with their line number
/// (line 1 is the CSV header) and reason, the first 1,000 of them, with `rejected_count` counting
/// all. The body may be up to 1 GiB.
#[utoipa::path(post, path = "/api/v1/metrics/import", tag = "metrics",
    request_body(description = "CSV with a header row, or one JSON point object a line",
        content(("text/csv"), ("application/x-ndjson"))),
    responses((status = 200, body = ImportSummary),
              (status = 413, body = crate::error::Problem),
              (status = 415, body = crate::error::Problem),
              (status = 422, description = "CSV header with unknown or missing columns", body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn import_metrics(
    State(app): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ImportSummary>> {
    auth.require(Access::Write)?;
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "expected a body with Content-Type: text/csv or application/x-ndjson".into(),
            )
        })?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let stream = body.into_data_stream().map_err(io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let summary = import(
        &app,
        auth.org(),
        reader,
        format,
        Some(MAX_IMPORT_BYTES),
        |_| {},
    )
    .await?;
    Ok(Json(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_csv_lines() {
        let ok = |s: &str| split_csv(s).unwrap();
        assert_eq!(ok("a,b,c"), ["a", "b", "c"]);
        assert_eq!(ok(" a , b ,"), ["a", "b", ""]);
        assert_eq!(ok(""), [""]);
        assert_eq!(ok(r#""x, y","say ""hi""",z"#), ["x, y", r#"say "hi""#, "z"]);
        assert_eq!(ok(r#"12" pizza,"#), [r#"12" pizza"#, ""]);
        assert_eq!(ok(r#" "q" ,"""#), ["q", ""]);
        assert!(split_csv(r#"a,"b,c"#).unwrap_err().contains("unbalanced"));
        assert!(
            split_csv(r#""a"b,c"#)
                .unwrap_err()
                .contains("closing quote")
        );
    }

    async fn all_lines(input: &[u8], max: Option<u64>) -> Result<Vec<String>, ApiError> {
        let mut lines = Lines::new(input, max);
        let mut out = Vec::new();
        while let Some((_, l)) = lines.next().await? {
            out.push(match l {
                Line::Text(t) => t.to_owned(),
                Line::TooLong => "<too long>".into(),
                Line::NotUtf8 => "<not utf-8>".into(),
            });
        }
        Ok(out)
    }

    #[tokio::test]
    async fn reads_physical_lines_with_limits() {
        assert_eq!(
            all_lines(b"a\r\nb\n\nc", None).await.unwrap(),
            ["a", "b", "", "c"]
        );
        assert_eq!(all_lines(b"a\n", None).await.unwrap(), ["a"]);
        assert!(all_lines(b"", None).await.unwrap().is_empty());
        let mut long = vec![b'x'; MAX_LINE_BYTES * 3];
        long.extend_from_slice(b"\nnext\n\xff\xfe\n");
        assert_eq!(
            all_lines(&long, None).await.unwrap(),
            ["<too long>", "next", "<not utf-8>"]
        );
        assert!(matches!(
            all_lines(b"0123456789\n0123456789\n", Some(15)).await,
            Err(ApiError::PayloadTooLarge)
        ));
    }

    #[test]
    fn ndjson_errors_say_why() {
        assert!(ndjson_point("[1]").unwrap_err().contains("JSON object"));
        assert!(
            ndjson_point(r#"{"metric_type": "revenue", "value": "#)
                .unwrap_err()
                .starts_with("malformed JSON at column")
        );
        assert!(
            ndjson_point(r#"{"metric_type": 5}"#)
                .unwrap_err()
                .starts_with("must be a point object: invalid type")
        );
    }

    #[test]
    fn formats() {
        assert_eq!(
            Format::from_content_type("text/csv; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_content_type("application/x-ndjson"),
            Some(Format::Ndjson)
        );
        assert_eq!(Format::from_content_type("application/json"), None);
        assert_eq!(
            Format::from_path(std::path::Path::new("x/points.JSONL")),
            Some(Format::Ndjson)
        );
        assert_eq!("csv".parse::<Format>(), Ok(Format::Csv));
    }
}
