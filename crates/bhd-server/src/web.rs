//! The dashboard: the static export of `web/` (Next.js), served from the same origin.
//!
//! Release builds embed the files in the binary, so the binary alone is a whole install; debug
//! builds read them from `web/out` on disk (rust-embed's behaviour), so a rebuilt dashboard is
//! served without recompiling. Security headers go on every dashboard answer.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/out/"]
#[allow_missing = true]
struct Dashboard;

/// Next's static export uses inline scripts and styles for hydration, hence 'unsafe-inline';
/// everything else comes from this origin only, and no one may frame the dashboard.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
                   base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Serves a dashboard file: `/x/` is `x/index.html`, `/x` also finds `x/index.html` (and
/// `x.html`); anything else is the export's 404 page.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let candidates = if path.is_empty() || path.ends_with('/') {
        vec![format!("{path}index.html")]
    } else {
        vec![
            path.to_owned(),
            format!("{path}/index.html"),
            format!("{path}.html"),
        ]
    };
    let found = candidates
        .iter()
        .find_map(|c| Dashboard::get(c).map(|f| (c.clone(), f)));
    let (name, file, status) = match found {
        Some((name, file)) => (name, file, StatusCode::OK),
        None => match Dashboard::get("404.html") {
            Some(f) => ("404.html".to_owned(), f, StatusCode::NOT_FOUND),
            None if Dashboard::iter().next().is_none() => {
                return (
                    StatusCode::NOT_FOUND,
                    "The dashboard is not built into this binary: run `npm run build` in web/ and rebuild.",
                )
                    .into_response();
            }
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    let mut res = (status, file.data.into_owned()).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    // Hashed build assets never change; pages must be revalidated to pick up new builds.
    let cache = if name.starts_with("_next/static/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
