//! JSON request bodies whose every failure (wrong content type, malformed JSON, wrong field
//! types, too large) becomes a problem+json answer instead of axum's plain-text one.

use crate::error::ApiError;
use axum::extract::FromRequest;

/// A JSON body, rejected as [`ApiError`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);
