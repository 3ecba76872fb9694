//! Extractors that turn every malformed request into an [`AppError`] JSON body.

use crate::error::AppError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// `axum::Json`, but rejections are our JSON errors rather than plain text.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !plain_json(req.headers()) {
            let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
            return Ok(ApiJson(v));
        }
        // axum's reader tracks where it is in every body, to say where one went wrong
        // (a tenth of a push's parse, a string per key): read plainly, and through it
        // only to explain a failure.
        let bytes =
            axum::body::Bytes::from_request(req, state).await.map_err(axum::extract::rejection::JsonRejection::from)?;
        match serde_json::from_slice(&bytes) {
            Ok(v) => Ok(ApiJson(v)),
            Err(_) => {
                let axum::Json(v) = axum::Json::<T>::from_bytes(&bytes)?;
                Ok(ApiJson(v))
            }
        }
    }
}

/// `Content-Type: application/json`, as the app sends it (with a charset or not); any
/// other type goes through axum's own check.
fn plain_json(headers: &axum::http::HeaderMap) -> bool {
    headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().starts_with("application/json;")
    })
}

/// `axum::extract::Query` with JSON errors.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Query(v) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(v))
    }
}
