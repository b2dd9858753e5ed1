//! The pure domain of Business Health Dashboard.
//!
//! Plain types and functions over plain data: validated newtypes for everything that crosses the
//! edge (emails, slugs, names, time zones, currencies), identifiers, roles, API-key scopes and the
//! access rules between them. This crate must never perform I/O, spawn tasks or read the clock:
//! time is always passed in, so every rule here is testable exhaustively.

pub mod access;
pub mod alerts;
pub mod demo;
pub mod ids;
pub mod metrics;
pub mod org;
pub mod period;
pub mod score;
pub mod values;

pub use access::{Access, MemberChangeError, Principal, Role, Scope, check_member_change};
pub use ids::{ApiKeyId, InvitationId, OrgId, UserId};
pub use metrics::{Amount, Category, Direction, Kind, MetricDef, MetricType, Unit};
pub use org::{Currency, Industry, OrgName, Plan, Slug, TimeZone};
pub use period::{Bucket, Change, Compare, Granularity, Partial};
pub use values::{Email, Password, PersonName, ValueError};
