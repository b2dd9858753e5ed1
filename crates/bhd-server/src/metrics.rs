//! Metrics over HTTP: the catalogue (canonical and custom types), exact ingest of one point or
//! a batch (all-or-nothing, per-index errors, `Idempotency-Key`), time-bucketed series in the
//! organization's time zone with period comparison, and the per-metric summary.
//!
//! Values are exact: they are read from the JSON text itself (never through a binary float)
//! into fixed-point `Amount`s, and answered as decimal strings.

use crate::auth::extract::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bhd_domain::metrics::{CustomMetricDraft, canonical, check_value, validate_custom};
use bhd_domain::period::{self, Bucket};
use bhd_domain::{
    Access, Amount, Change, Compare, Granularity, MetricDef, MetricType, OrgId, Partial, Plan,
    TimeZone,
};
use bhd_store::{DailyRollup, IdempotentAnswer, NewPoint};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The metrics routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalog, create_type))
        .routes(routes!(ingest))
        .routes(routes!(summary))
        .routes(routes!(series))
}

/// Largest batch accepted by `POST /metrics`.
pub const MAX_BATCH: usize = 10_000;
/// How far ahead of now a point may be dated (clock skew, time zones ahead of ours).
const MAX_FUTURE: Duration = Duration::days(1);

/// A metric type as the catalogue lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricTypeDto {
    name: String,
    #[schema(example = "currency")]
    unit: String,
    #[schema(example = "financial")]
    category: String,
    /// flow (summed), stock (last value) or rate (averaged).
    #[schema(example = "flow")]
    kind: String,
    /// Which way is good: up, down or neutral.
    #[schema(example = "up")]
    good_direction: String,
    /// Canonical (API.md) or custom to this organization.
    canonical: bool,
    description: String,
}

impl From<&MetricDef> for MetricTypeDto {
    fn from(d: &MetricDef) -> Self {
        Self {
            name: d.name.to_string(),
            unit: d.unit.to_string(),
            category: d.category.to_string(),
            kind: d.kind.to_string(),
            good_direction: d.good.to_string(),
            canonical: d.canonical,
            description: d.description.to_string(),
        }
    }
}

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogDto {
    items: Vec<MetricTypeDto>,
}

/// Looks a metric type up among the canonical ones and the organization's custom ones.
pub(crate) async fn definitions(app: &AppState, org: OrgId) -> ApiResult<Vec<MetricDef>> {
    let mut defs: Vec<MetricDef> = canonical().to_vec();
    defs.extend(app.store.custom_metric_types(org).await?);
    Ok(defs)
}

/// Canonical and custom metric types with unit, category, kind and good direction.
#[utoipa::path(get, path = "/api/v1/metrics/catalog", tag = "metrics",
    responses((status = 200, body = CatalogDto)), security(("bearer" = [])))]
async fn catalog(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<CatalogDto>> {
    auth.require(Access::Read)?;
    let defs = definitions(&app, auth.org()).await?;
    Ok(Json(CatalogDto {
        items: defs.iter().map(Into::into).collect(),
    }))
}

/// A custom metric type to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMetricType {
    name: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    kind: Option<String>,
    good_direction: Option<String>,
    description: Option<String>,
}

/// Adds a custom metric type (admin). Names may not collide with canonical or existing ones.
#[utoipa::path(post, path = "/api/v1/metrics/catalog", tag = "metrics", request_body = NewMetricType,
    responses((status = 201, body = MetricTypeDto), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn create_type(
    State(app): State<AppState>,
    auth: Auth,
    crate::json::ApiJson(body): crate::json::ApiJson<NewMetricType>,
) -> ApiResult<(StatusCode, Json<MetricTypeDto>)> {
    auth.require(Access::Admin)?;
    let existing: Vec<String> = app
        .store
        .custom_metric_types(auth.org())
        .await?
        .into_iter()
        .map(|d| d.name.to_string())
        .collect();
    let draft = CustomMetricDraft {
        name: body.name.as_deref().unwrap_or_default(),
        unit: body.unit.as_deref().unwrap_or_default(),
        category: body.category.as_deref().unwrap_or_default(),
        kind: body.kind.as_deref().unwrap_or_default(),
        good: body.good_direction.as_deref().unwrap_or("neutral"),
        description: body.description.as_deref(),
    };
    let def = validate_custom(&draft, &existing).map_err(|errs| {
        ApiError::Validation(
            errs.into_iter()
                .map(|e| FieldError {
                    field: if e.field == "good" {
                        "good_direction".into()
                    } else {
                        e.field.into()
                    },
                    message: e.message,
                })
                .collect(),
        )
    })?;
    app.store
        .create_metric_type(auth.org(), &def, app.clock.now())
        .await
        .map_err(|e| match e {
            bhd_store::StoreError::Conflict(_) => {
                ApiError::field("name", "is already a metric type of this organization")
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json((&def).into())))
}

/// One point as sent; every field is checked, so all are optional here.
#[derive(Debug, Deserialize)]
pub(crate) struct RawPoint {
    pub(crate) metric_type: Option<String>,
    pub(crate) value: Option<Box<RawValue>>,
    pub(crate) recorded_at: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) metadata: Option<serde_json::Value>,
}

/// Documents the body of `POST /metrics` (parsing reads the raw JSON to keep values exact).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PointInput {
    /// A canonical or custom metric type.
    metric_type: String,
    /// A decimal number, or a decimal string (at most 6 decimal places).
    #[schema(value_type = String, example = "1234.56")]
    value: String,
    /// RFC 3339 with an offset.
    recorded_at: DateTime<Utc>,
    /// Must match the catalogue if given.
    category: Option<String>,
    /// Where it came from (default "api"); part of the point's identity.
    source: Option<String>,
    /// Free-form; `metadata.dimension` is part of the point's identity.
    metadata: Option<serde_json::Value>,
}

/// What an ingest wrote.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IngestResult {
    /// Points written that did not exist before.
    pub accepted: u64,
    /// Points that replaced an existing value.
    pub updated: u64,
}

fn parse_value(raw: &RawValue) -> Result<Amount, String> {
    let text = raw.get().trim();
    let decimal = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|_| "must be a decimal number".to_owned())?
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        text.to_owned()
    } else {
        return Err("must be a decimal number".into());
    };
    Amount::parse(decimal.trim()).map_err(|e| e.to_string())
}

fn valid_source(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The span of time a point may fall in: from the plan's retention horizon to a day ahead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub now: DateTime<Utc>,
    pub plan: Plan,
}

impl Window {
    fn earliest(self) -> DateTime<Utc> {
        self.plan.retention_horizon(self.now)
    }
}

/// Checks one point; errors are pushed with the field path prefixed by `at`.
pub(crate) fn check_point(
    raw: RawPoint,
    at: &str,
    defs: &HashMap<&str, &MetricDef>,
    window: Window,
    errors: &mut Vec<FieldError>,
) -> Option<NewPoint> {
    let now = window.now;
    let before = errors.len();
    let mut err = |field: &str, message: String| {
        errors.push(FieldError {
            field: format!("{at}{field}"),
            message,
        })
    };
    let def = match raw.metric_type.as_deref() {
        None => {
            err("metric_type", "is required".into());
            None
        }
        Some(t) => match MetricType::parse(t) {
            Err(e) => {
                err("metric_type", e.to_string());
                None
            }
            Ok(t) => match defs.get(t.as_str()) {
                Some(d) => Some(*d),
                None => {
                    err(
                        "metric_type",
                        format!("unknown metric type {t}; see GET /api/v1/metrics/catalog"),
                    );
                    None
                }
            },
        },
    };
    let value = match raw.value.as_deref().map(parse_value) {
        None => {
            err("value", "is required".into());
            None
        }
        Some(Err(e)) => {
            err("value", e);
            None
        }
        Some(Ok(v)) => Some(v),
    };
    if let (Some(d), Some(v)) = (def, value)
        && let Err(e) = check_value(d, v)
    {
        err("value", e.to_string());
    }
    let recorded_at = match raw.recorded_at.as_deref().map(DateTime::parse_from_rfc3339) {
        None => {
            err("recorded_at", "is required".into());
            None
        }
        Some(Err(_)) => {
            err(
                "recorded_at",
                "must be an RFC 3339 timestamp with an offset, such as 2026-03-31T00:00:00Z".into(),
            );
            None
        }
        Some(Ok(t)) => {
            let t = t.with_timezone(&Utc).trunc_subsecs(6);
            if t > now + MAX_FUTURE {
                err(
                    "recorded_at",
                    "is too far in the future (more than one day ahead)".into(),
                );
            } else if t < window.earliest() {
                err(
                    "recorded_at",
                    format!(
                        "is before {}, the oldest month the {} plan keeps ({} months)",
                        window.earliest().date_naive(),
                        window.plan,
                        window.plan.retention_months()
                    ),
                );
            }
            Some(t)
        }
    };
    if let (Some(d), Some(c)) = (def, raw.category.as_deref())
        && c != d.category.as_str()
    {
        err("category", format!("must be {} for {}", d.category, d.name));
    }
    let source = raw.source.unwrap_or_else(|| "api".into());
    if !valid_source(&source) {
        err(
            "source",
            "must be 1-32 lowercase letters, digits, '_' or '-'".into(),
        );
    }
    let metadata = raw.metadata.unwrap_or_else(|| serde_json::json!({}));
    let dimension = match metadata.get("dimension") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) if s.chars().count() <= 200 => s.clone(),
        Some(_) => {
            err(
                "metadata.dimension",
                "must be a string of at most 200 characters".into(),
            );
            String::new()
        }
    };
    if !metadata.is_object() {
        err("metadata", "must be an object".into());
    } else if metadata.to_string().len() > 4096 {
        err("metadata", "must be at most 4 KiB of JSON".into());
    }
    if errors.len() > before {
        return None;
    }
    let def = def?;
    Some(NewPoint {
        metric_type: def.name.to_string(),
        category: def.category,
        source,
        dimension,
        recorded_at: recorded_at?,
        value: value?,
        metadata,
    })
}

fn request_hash(path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"POST ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

fn json_answer(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// Writes one point or a batch of up to 10,000, all or nothing. A point with the identity of
/// an existing one (organization, metric type, source, `metadata.dimension`, recorded_at)
/// replaces its value. With `Idempotency-Key`, the same key and body replay the first answer
/// without writing again; the same key with another body is refused with 422.
#[utoipa::path(post, path = "/api/v1/metrics", tag = "metrics", request_body = PointInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 200, body = IngestResult), (status = 422, body = crate::error::Problem),
              (status = 413, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn ingest(
    State(app): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    auth.require(Access::Write)?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "expected a body with Content-Type: application/json".into(),
        ));
    }
    let org = auth.org();
    let idem_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if (1..=255).contains(&k.len()) => Some(k.to_owned()),
            _ => {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1-255 visible ASCII characters",
                ));
            }
        },
    };
    // Only a keyed request is compared with an earlier one (hashing a large batch costs).
    let hash = idem_key
        .as_ref()
        .map(|_| request_hash("/api/v1/metrics", &body));
    if let (Some(key), Some(hash)) = (&idem_key, &hash)
        && let Some(prev) = app.store.idempotent_answer(org, key).await?
    {
        if prev.request_hash != *hash {
            return Err(ApiError::field(
                "Idempotency-Key",
                "was already used with a different request body",
            ));
        }
        let status = StatusCode::from_u16(prev.status).unwrap_or(StatusCode::OK);
        return Ok(json_answer(status, prev.body, true));
    }

    // One point or {points: [...]}; values stay raw JSON text until parsed exactly.
    let top: HashMap<String, Box<RawValue>> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    let (raws, batch): (Vec<RawPoint>, bool) = match top.get("points") {
        Some(list) => {
            // One pass when every point is well-formed; per-point errors need a second.
            if let Ok(points) = serde_json::from_str::<Vec<RawPoint>>(list.get())
                && !points.is_empty()
                && points.len() <= MAX_BATCH
            {
                (points, true)
            } else {
                let list: Vec<Box<RawValue>> = serde_json::from_str(list.get())
                    .map_err(|_| ApiError::field("points", "must be an array of point objects"))?;
                if list.is_empty() {
                    return Err(ApiError::field("points", "must hold at least one point"));
                }
                if list.len() > MAX_BATCH {
                    return Err(ApiError::field(
                        "points",
                        format!("must hold at most {MAX_BATCH} points; split the batch"),
                    ));
                }
                let mut points = Vec::with_capacity(list.len());
                let mut errors = Vec::new();
                for (i, raw) in list.iter().enumerate() {
                    match serde_json::from_str::<RawPoint>(raw.get()) {
                        Ok(p) => points.push(p),
                        Err(e) => errors.push(FieldError {
                            field: format!("points[{i}]"),
                            message: format!("must be a point object: {e}"),
                        }),
                    }
                }
                if !errors.is_empty() {
                    return Err(ApiError::Validation(errors));
                }
                (points, true)
            }
        }
        None => {
            let one: RawPoint = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadRequest(format!("malformed point: {e}")))?;
            (vec![one], false)
        }
    };
    let all_defs = definitions(&app, org).await?;
    let defs: HashMap<&str, &MetricDef> = all_defs.iter().map(|d| (d.name.as_ref(), d)).collect();
    let now = app.clock.now();
    let (tz, plan) = org_time(&app, org).await?;
    let window = Window { now, plan };
    let mut errors = Vec::new();
    let mut points = Vec::with_capacity(raws.len());
    for (i, raw) in raws.into_iter().enumerate() {
        let at = if batch {
            format!("points[{i}].")
        } else {
            String::new()
        };
        if let Some(p) = check_point(raw, &at, &defs, window, &mut errors) {
            points.push(p);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let count = app.store.ingest(org, tz, &points, now).await?;
    // The event before the follow-up jobs: each of their commits (a disk sync on SQLite) would
    // delay what open dashboards show.
    ingested(
        &app,
        org,
        &count,
        points.iter().map(|p| p.metric_type.as_str()),
        "api",
    )
    .await;
    crate::jobs::after_ingest(&app, org).await;
    let answer = serde_json::to_string(&IngestResult {
        accepted: count.accepted,
        updated: count.updated,
    })
    .map_err(|e| ApiError::Internal(e.into()))?;
    if let (Some(key), Some(hash)) = (&idem_key, hash) {
        let stored = IdempotentAnswer {
            request_hash: hash,
            status: 200,
            body: answer.clone(),
        };
        app.store.remember_answer(org, key, &stored, now).await?;
    }
    Ok(json_answer(StatusCode::OK, answer, false))
}

pub(crate) async fn org_tz(app: &AppState, org: OrgId) -> ApiResult<chrono_tz::Tz> {
    Ok(org_time(app, org).await?.0)
}

/// The organization's time zone and plan (which sets how far back points are kept).
pub(crate) async fn org_time(app: &AppState, org: OrgId) -> ApiResult<(chrono_tz::Tz, Plan)> {
    let o = app.store.organization(org).await?;
    let tz = TimeZone::parse(&o.timezone)
        .map(|t| t.tz())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored time zone: {e}")))?;
    Ok((tz, o.plan))
}

/// Series query parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SeriesQuery {
    /// Start (RFC 3339); default: a span before `to` that suits the granularity.
    from: Option<String>,
    /// End, exclusive (RFC 3339); default now.
    to: Option<String>,
    /// day, week, month, quarter or year (default day).
    granularity: Option<String>,
    /// previous_period or previous_year.
    compare: Option<String>,
}

/// A bucket boundary as RFC 3339 with its local offset, exactly as chrono writes it, but
/// written by hand in the common case (whole seconds, whole-minute offset): a 5-year daily
/// series has 3,652 of them, and chrono's general formatter was a fifth of the answer's time.
fn local_time<S: serde::Serializer>(
    t: &DateTime<chrono::FixedOffset>,
    ser: S,
) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    let offset = t.offset().local_minus_utc();
    let year = t.year();
    if t.nanosecond() != 0 || offset % 60 != 0 || !(0..=9999).contains(&year) {
        return ser.serialize_str(&t.to_rfc3339());
    }
    let zone = match offset {
        0 => "Z".to_owned(),
        o if o < 0 => format!("-{:02}:{:02}", -o / 3600, -o / 60 % 60),
        o => format!("+{:02}:{:02}", o / 3600, o / 60 % 60),
    };
    let text = format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    );
    ser.serialize_str(&text)
}

/// One bucket of a series.
#[derive(Debug, Serialize, ToSchema)]
pub struct BucketDto {
    #[serde(serialize_with = "local_time")]
    #[schema(value_type = String, format = DateTime)]
    start: DateTime<chrono::FixedOffset>,
    #[serde(serialize_with = "local_time")]
    #[schema(value_type = String, format = DateTime)]
    end: DateTime<chrono::FixedOffset>,
    /// Aggregated by the metric's kind; null when the bucket has no data (never zero).
    #[schema(value_type = Option<String>)]
    value: Option<Amount>,
}

/// The comparison series, aligned bucket by bucket, and the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonDto {
    mode: String,
    buckets: Vec<BucketDto>,
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
}

/// A metric's series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesDto {
    metric_type: String,
    unit: String,
    kind: String,
    category: String,
    granularity: String,
    timezone: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    buckets: Vec<BucketDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<ComparisonDto>,
}

fn default_span(g: Granularity, to: DateTime<Utc>) -> DateTime<Utc> {
    let months = |n: u32| to.checked_sub_months(chrono::Months::new(n)).unwrap_or(to);
    match g {
        Granularity::Day => to - Duration::days(30),
        Granularity::Week => to - Duration::weeks(26),
        Granularity::Month => months(12),
        Granularity::Quarter => months(24),
        Granularity::Year => months(60),
    }
}

/// Each bucket's summary from roll-up rows sorted by their first day (days or months).
fn bucket_partials(
    buckets: &[Bucket],
    rows: &[DailyRollup],
    tz: chrono_tz::Tz,
) -> Vec<Option<Partial>> {
    let mut out = Vec::with_capacity(buckets.len());
    // Each row's local midnight once (a time-zone lookup each).
    let starts: Vec<DateTime<Utc>> = rows
        .iter()
        .map(|r| period::local_midnight(r.day, tz))
        .collect();
    let mut i = 0;
    for b in buckets {
        let mut acc: Option<Partial> = None;
        while i < rows.len() && starts[i] < b.end {
            if starts[i] >= b.start {
                acc = Some(match acc {
                    Some(a) => a.merge(rows[i].partial),
                    None => rows[i].partial,
                });
            }
            i += 1;
        }
        out.push(acc);
    }
    out
}

/// The roll-ups covering the buckets: monthly ones when the buckets are whole local months
/// (month, quarter, year), so that years of history read a few dozen rows; daily otherwise.
async fn rollups(
    app: &AppState,
    org: OrgId,
    metric: &str,
    buckets: &[Bucket],
    g: Granularity,
    tz: chrono_tz::Tz,
) -> ApiResult<Vec<DailyRollup>> {
    let (d0, d1) = day_range(buckets, tz);
    Ok(match g {
        Granularity::Day | Granularity::Week => app.store.daily(org, metric, d0, d1).await?,
        Granularity::Month | Granularity::Quarter | Granularity::Year => {
            let first = |d: NaiveDate| d.with_day(1).unwrap_or(d);
            app.store.monthly(org, metric, first(d0), first(d1)).await?
        }
    })
}

/// A metric's value per bucket, aggregated by its kind; a rate with parts in the catalogue is
/// recomputed from them in every bucket where both have data.
async fn bucket_values(
    app: &AppState,
    org: OrgId,
    def: &MetricDef,
    buckets: &[Bucket],
    g: Granularity,
    tz: chrono_tz::Tz,
) -> ApiResult<Vec<Option<Amount>>> {
    let rows = rollups(app, org, &def.name, buckets, g, tz).await?;
    let mut values: Vec<Option<Amount>> = bucket_partials(buckets, &rows, tz)
        .into_iter()
        .map(|p| p.and_then(|p| p.finish(def.kind)))
        .collect();
    if let Some((num, den)) = bhd_domain::metrics::rate_parts(&def.name) {
        let num = bucket_partials(buckets, &rollups(app, org, num, buckets, g, tz).await?, tz);
        let den = bucket_partials(buckets, &rollups(app, org, den, buckets, g, tz).await?, tz);
        for ((v, n), d) in values.iter_mut().zip(num).zip(den) {
            if let (Some(n), Some(d)) = (n, d)
                && let Some(r) = period::ratio(&n, &d)
            {
                *v = Some(r);
            }
        }
    }
    Ok(values)
}

fn day_range(buckets: &[Bucket], tz: chrono_tz::Tz) -> (NaiveDate, NaiveDate) {
    let first = buckets.first().map_or(Utc::now(), |b| b.start);
    let last = buckets
        .last()
        .map_or(Utc::now(), |b| b.end - Duration::microseconds(1));
    (period::local_date(first, tz), period::local_date(last, tz))
}

fn bucket_dtos(
    buckets: &[Bucket],
    values: Vec<Option<Amount>>,
    tz: chrono_tz::Tz,
) -> Vec<BucketDto> {
    buckets
        .iter()
        .zip(values)
        .map(|(b, value)| BucketDto {
            start: b.start.with_timezone(&tz).fixed_offset(),
            end: b.end.with_timezone(&tz).fixed_offset(),
            value,
        })
        .collect()
}

/// A metric's values in buckets of the organization's time zone, aggregated by its kind (flow
/// summed, stock the last value, rate averaged); empty buckets are null. `compare` adds the
/// aligned previous period or previous year, with the change.
#[utoipa::path(get, path = "/api/v1/metrics/{metric_type}/series", tag = "metrics", params(("metric_type" = String, Path), SeriesQuery),
    responses((status = 200, body = SeriesDto), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn series(
    State(app): State<AppState>,
    auth: Auth,
    Path(metric_type): Path<String>,
    q: Result<Query<SeriesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<SeriesDto>> {
    auth.require(Access::Read)?;
    let Query(q) = q?;
    let org = auth.org();
    let defs = definitions(&app, org).await?;
    let def = defs
        .iter()
        .find(|d| d.name == metric_type)
        .ok_or(ApiError::NotFound)?;
    let mut f = crate::error::Fields::default();
    let g = f
        .check_opt(
            "granularity",
            q.granularity.as_deref().map(str::parse::<Granularity>),
        )
        .unwrap_or(Granularity::Day);
    let parse_t = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "must be an RFC 3339 timestamp with an offset")
    };
    let to = f
        .check_opt("to", q.to.as_deref().map(parse_t))
        .unwrap_or_else(|| app.clock.now());
    let from = f
        .check_opt("from", q.from.as_deref().map(parse_t))
        .unwrap_or_else(|| default_span(g, to));
    let compare = f.check_opt("compare", q.compare.as_deref().map(str::parse::<Compare>));
    f.finish()?;
    let tz = org_tz(&app, org).await?;
    let buckets =
        period::buckets(from, to, g, tz).map_err(|e| ApiError::field("from", e.to_string()))?;
    let values = bucket_values(&app, org, def, &buckets, g, tz).await?;
    let compare = match compare {
        None => None,
        Some(mode) => {
            let prev = period::comparison_buckets(&buckets, g, tz, mode);
            let prev_values = bucket_values(&app, org, def, &prev, g, tz).await?;
            let changes = values
                .iter()
                .zip(&prev_values)
                .map(|(c, p)| period::change(*c, *p))
                .collect();
            Some(ComparisonDto {
                mode: mode.to_string(),
                buckets: bucket_dtos(&prev, prev_values, tz),
                changes,
            })
        }
    };
    Ok(Json(SeriesDto {
        metric_type: def.name.to_string(),
        unit: def.unit.to_string(),
        kind: def.kind.to_string(),
        category: def.category.to_string(),
        granularity: g.to_string(),
        timezone: tz.name().to_owned(),
        from,
        to,
        buckets: bucket_dtos(&buckets, values, tz),
        compare,
    }))
}

/// The latest point of a metric.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestDto {
    #[schema(value_type = String)]
    value: Amount,
    recorded_at: DateTime<Utc>,
}

/// One metric's summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryItem {
    metric_type: String,
    unit: String,
    category: String,
    kind: String,
    good_direction: String,
    latest: LatestDto,
    /// The last 30 local days up to the latest data, aggregated by kind.
    #[schema(value_type = Option<String>)]
    current: Option<Amount>,
    /// The 30 days before those.
    #[schema(value_type = Option<String>)]
    previous: Option<Amount>,
    #[schema(value_type = Object)]
    change: Change,
    /// 30 daily values, oldest first (null: no data that day).
    #[schema(value_type = Vec<Option<String>>)]
    sparkline: Vec<Option<Amount>>,
}

/// The summary of every metric the organization has.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDto {
    items: Vec<SummaryItem>,
}

/// Window length of the summary's current and previous periods, in days.
const SUMMARY_DAYS: i64 = 30;

/// Latest value, the last 30 days against the 30 before, and a 30-day sparkline, per metric.
#[utoipa::path(get, path = "/api/v1/metrics/summary", tag = "metrics",
    responses((status = 200, body = SummaryDto)), security(("bearer" = [])))]
async fn summary(State(app): State<AppState>, auth: Auth) -> ApiResult<Json<SummaryDto>> {
    auth.require(Access::Read)?;
    let org = auth.org();
    let latest = app.store.latest_days(org).await?;
    let Some(earliest_latest) = latest.iter().map(|(_, d)| *d).min() else {
        return Ok(Json(SummaryDto { items: Vec::new() }));
    };
    let rows = app
        .store
        .daily_since(org, earliest_latest - Duration::days(2 * SUMMARY_DAYS - 1))
        .await?;
    let defs = definitions(&app, org).await?;
    let mut by_metric: HashMap<&str, Vec<&DailyRollup>> = HashMap::new();
    for r in &rows {
        by_metric.entry(r.metric_type.as_str()).or_default().push(r);
    }
    let mut items = Vec::new();
    for (name, last_day) in &latest {
        let (Some(def), Some(days)) = (
            defs.iter().find(|d| d.name == name.as_str()),
            by_metric.get(name.as_str()),
        ) else {
            continue;
        };
        let window = |from: NaiveDate, to: NaiveDate| {
            days.iter()
                .filter(|r| r.day >= from && r.day <= to)
                .map(|r| r.partial)
                .reduce(Partial::merge)
                .and_then(|p| p.finish(def.kind))
        };
        let cur_from = *last_day - Duration::days(SUMMARY_DAYS - 1);
        let current = window(cur_from, *last_day);
        let previous = window(
            cur_from - Duration::days(SUMMARY_DAYS),
            cur_from - Duration::days(1),
        );
        let Some(last) = days.iter().find(|r| r.day == *last_day) else {
            continue;
        };
        let sparkline = (0..SUMMARY_DAYS)
            .map(|i| {
                let d = cur_from + Duration::days(i);
                days.iter()
                    .find(|r| r.day == d)
                    .and_then(|r| r.partial.finish(def.kind))
            })
            .collect();
        items.push(SummaryItem {
            metric_type: name.clone(),
            unit: def.unit.to_string(),
            category: def.category.to_string(),
            kind: def.kind.to_string(),
            good_direction: def.good.to_string(),
            latest: LatestDto {
                value: last.partial.last,
                recorded_at: last.partial.last_at,
            },
            current,
            previous,
            change: period::change(current, previous),
            sparkline,
        });
    }
    Ok(Json(SummaryDto { items }))
}

/// Tells the organization's streams that points were written (`metrics.ingested`).
pub async fn ingested<'a>(
    app: &AppState,
    org: OrgId,
    count: &bhd_store::IngestCount,
    types: impl Iterator<Item = &'a str>,
    source: &str,
) {
    let types: std::collections::BTreeSet<&str> = types.collect();
    crate::realtime::publish(
        app,
        org,
        crate::realtime::kinds::METRICS_INGESTED,
        serde_json::json!({
            "accepted": count.accepted,
            "updated": count.updated,
            "metric_types": types,
            "source": source,
        }),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, TimeZone};

    fn written(t: DateTime<FixedOffset>) -> String {
        #[derive(serde::Serialize)]
        struct W(#[serde(serialize_with = "super::local_time")] DateTime<FixedOffset>);
        serde_json::to_string(&W(t)).unwrap()
    }

    #[test]
    fn bucket_times_are_written_as_chrono_writes_them() {
        let zones = [
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "UTC",
            "Pacific/Apia",
        ];
        for zone in zones {
            let tz: chrono_tz::Tz = zone.parse().unwrap();
            for (y, m, d) in [
                (2021, 1, 1),
                (2024, 3, 10),
                (2024, 11, 3),
                (1850, 6, 1),
                (2011, 12, 31),
            ] {
                let t = tz
                    .with_ymd_and_hms(y, m, d, 0, 0, 0)
                    .earliest()
                    .unwrap()
                    .fixed_offset();
                assert_eq!(written(t), serde_json::to_string(&t).unwrap(), "{zone} {t}");
            }
        }
        let odd = FixedOffset::east_opt(-(4 * 3600 + 56 * 60 + 2)).unwrap();
        let t = odd.with_ymd_and_hms(1880, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(written(t), serde_json::to_string(&t).unwrap());
    }
}
