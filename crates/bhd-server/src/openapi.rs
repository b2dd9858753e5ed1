//! The OpenAPI 3.1 document's frame: info, tags and the bearer security scheme. The paths come
//! from the `#[utoipa::path]` attributes on the handlers, so the document cannot drift from the
//! code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Tag};

/// The document before the routers add their paths.
pub fn base() -> OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Business Health Dashboard API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Errors are RFC 9457 problem+json with `type`, `title`, `status`, `detail`, `request_id` and \
                     field `errors`. Authenticate with `Authorization: Bearer <access token or API key>`.",
                ))
                .build(),
        )
        .tags(Some(
            ["auth", "organizations", "api-keys", "metrics", "health", "alerts"].map(Tag::new),
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("JWT access token or `bhd_` API key"))
                .build(),
        ),
    );
    doc
}
