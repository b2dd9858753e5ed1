//! Identifiers. Each is a distinct type so that a user id can never be passed where an
//! organization id is expected.
//!
//! An `OrgId` that scopes a query must come from the authenticated context (the server's
//! `AuthContext`), never from a request body or path: ids in requests are parsed as plain UUIDs
//! and checked against memberships before they become an `OrgId`.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an id read from trusted storage or a verified token.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An organization (tenant).
    OrgId
);
id_type!(
    /// A user, who may belong to several organizations.
    UserId
);
id_type!(
    /// An organization's API key.
    ApiKeyId
);
id_type!(
    /// A pending invitation to join an organization.
    InvitationId
);
