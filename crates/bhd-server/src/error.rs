//! The one error type of the HTTP layer. Every error leaves as RFC 9457 problem+json with a
//! stable `type`, a human `detail`, the request id and, for validation, field errors.
//! 5xx bodies are generic; their cause chain goes to the log with the request id.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bhd_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The current request's id, set by the request-context middleware so that any error
    /// rendered while handling the request can name it.
    pub static REQUEST_ID: String;
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// The field's JSON path, such as `email` or `scopes[1]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The request id (also in the `x-request-id` header).
    pub request_id: String,
    /// Field-level validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: input parsed but invalid, with the fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 400: the request could not be read (malformed JSON, wrong content type, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or bad credentials. The detail never says which part was wrong.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: absent, or another tenant's (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 415.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429, with the seconds to wait.
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    /// 503: a dependency (the database) is down.
    #[error("service unavailable")]
    Unavailable,
    /// 500: a bug or an unexpected failure; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Your request has invalid fields",
            ),
            Self::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "The request could not be read",
            ),
            Self::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }
}

/// The `type` URI for a problem kind; documented at `/docs`.
pub fn problem_type(slug: &str) -> String {
    format!("https://bhd.dev/problems/{slug}")
}

/// The current request's id, or "-" outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.parts();
        let request_id = current_request_id();
        let detail = match &self {
            Self::Internal(e) => {
                tracing::error!(request_id = %request_id, error = ?e, "internal error");
                "Something went wrong on our side. Quote the request id if you contact support."
                    .to_owned()
            }
            Self::Validation(errs) => {
                let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                format!("Invalid fields: {}", fields.join(", "))
            }
            Self::NotFound => "The resource does not exist.".to_owned(),
            Self::RateLimited { retry_after_secs } => {
                format!("Too many requests; retry in {retry_after_secs} seconds.")
            }
            Self::Unavailable => "The database is unreachable; try again shortly.".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(ref errs) => errs.clone(),
            _ => Vec::new(),
        };
        let body = Problem {
            kind: problem_type(slug),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            request_id,
            errors,
        };
        let mut res = (status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::RateLimited { retry_after_secs } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            StoreError::Rule(rule) => Self::Forbidden(rule.to_string()),
            StoreError::Illegal(why) => Self::Conflict(why),
            e if e.is_unavailable() => Self::Unavailable,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType(
                "expected a body with Content-Type: application/json".into(),
            ),
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::PayloadTooLarge
            }
            JsonRejection::JsonDataError(e) => json_data_error(&e.body_text()),
            other => Self::BadRequest(format!("malformed JSON: {}", other.body_text())),
        }
    }
}

/// Turns serde's "missing field `email`" / "invalid type … at line" messages into field errors.
fn json_data_error(text: &str) -> ApiError {
    // axum prefixes the path: "Failed to deserialize the JSON body into the target type: email: …"
    let msg = text.split_once("target type: ").map_or(text, |(_, m)| m);
    if let Some(rest) = msg.split_once("missing field `").map(|(_, r)| r) {
        let field = rest.split('`').next().unwrap_or("body");
        return ApiError::field(field, "is required");
    }
    match msg.split_once(": ") {
        Some((path, why)) if !path.contains(' ') => {
            ApiError::field(path, why.split(" at line").next().unwrap_or(why))
        }
        _ => ApiError::BadRequest(msg.to_owned()),
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // An id that does not parse cannot name anything: the same answer as an unknown id.
        Self::NotFound
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}

/// Collects field errors while parsing a request into validated values.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Parses one field, remembering the error if any.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    message: e.to_string(),
                });
                None
            }
        }
    }

    /// Parses a required field: "is required" when absent.
    pub fn required<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match raw {
            Some(v) => self.check(field, parse(v)),
            None => self.check(field, Err::<T, _>("is required")),
        }
    }

    /// Parses an optional field.
    pub fn check_opt<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        r: Option<Result<T, E>>,
    ) -> Option<T> {
        r.and_then(|r| self.check(field, r))
    }

    /// Ok if no field failed.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
