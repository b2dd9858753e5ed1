//! Who may do what: membership roles, API-key scopes and the rules that join them.
//!
//! DESIGN.md §5: viewers read; members also write metrics and acknowledge alerts; admins manage
//! rules, integrations, keys and members; owners manage the plan, deletion and ownership.

use crate::ids::{ApiKeyId, OrgId, UserId};
use crate::org::text_enum;
use crate::values::ValueError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// A member's role in an organization, from least to most powerful.
    Role { Viewer = "viewer", Member = "member", Admin = "admin", Owner = "owner" }
);

text_enum!(
    /// What an API key may do.
    Scope { Read = "read", Ingest = "ingest", Admin = "admin" }
);

/// The kinds of access an endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the organization's data.
    Read,
    /// Write data (ingest metrics, acknowledge alerts).
    Write,
    /// Manage members, keys, rules, integrations and settings.
    Admin,
    /// Manage the plan, deletion and ownership.
    Owner,
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Member => 1,
            Role::Admin => 2,
            Role::Owner => 3,
        }
    }

    /// Whether this role grants the access.
    pub fn allows(self, access: Access) -> bool {
        let needed = match access {
            Access::Read => Role::Viewer,
            Access::Write => Role::Member,
            Access::Admin => Role::Admin,
            Access::Owner => Role::Owner,
        };
        self.rank() >= needed.rank()
    }
}

impl Scope {
    /// Whether a key with this scope has the access. Scopes do not nest: an `ingest` key cannot
    /// read, so a leaked ingest key on a device discloses nothing. Ownership is never delegated
    /// to a key.
    pub fn allows(self, access: Access) -> bool {
        matches!(
            (self, access),
            (Scope::Read, Access::Read)
                | (Scope::Ingest, Access::Write)
                | (Scope::Admin, Access::Admin)
        )
    }

    /// Parses a list of scopes, refusing an empty list and duplicates.
    pub fn parse_list<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Scope>, ValueError> {
        if raw.is_empty() {
            return Err(ValueError("must name at least one scope".into()));
        }
        let mut out: Vec<Scope> = Vec::with_capacity(raw.len());
        for s in raw {
            let scope: Scope = s.as_ref().parse()?;
            if out.contains(&scope) {
                return Err(ValueError(format!("names {scope} twice")));
            }
            out.push(scope);
        }
        Ok(out)
    }
}

/// The authenticated caller, always within one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person signed in with an access token.
    User {
        user_id: UserId,
        org_id: OrgId,
        role: Role,
    },
    /// A program using an API key.
    ApiKey {
        key_id: ApiKeyId,
        org_id: OrgId,
        scopes: Vec<Scope>,
    },
}

impl Principal {
    /// The organization every query of this request is scoped to. Never optional.
    pub fn org_id(&self) -> OrgId {
        match self {
            Principal::User { org_id, .. } | Principal::ApiKey { org_id, .. } => *org_id,
        }
    }

    /// Whether the caller has the access.
    pub fn allows(&self, access: Access) -> bool {
        match self {
            Principal::User { role, .. } => role.allows(access),
            Principal::ApiKey { scopes, .. } => scopes.iter().any(|s| s.allows(access)),
        }
    }
}

/// Why a change to a membership is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MemberChangeError {
    /// Only owners may grant, change or remove the owner role.
    #[error("only an owner can grant, change or remove the owner role")]
    OwnerOnly,
    /// An organization keeps at least one owner.
    #[error("an organization must keep at least one owner")]
    LastOwner,
    /// Admins and owners cannot act on members above their own role.
    #[error("you need the admin role to manage members")]
    NotAdmin,
}

/// Checks a change to a membership: `target` is the member's current role (None when adding),
/// `new_role` the role after the change (None when removing), `owners` how many owners the
/// organization has now.
pub fn check_member_change(
    actor: Role,
    target: Option<Role>,
    new_role: Option<Role>,
    owners: u64,
) -> Result<(), MemberChangeError> {
    if !actor.allows(Access::Admin) {
        return Err(MemberChangeError::NotAdmin);
    }
    let touches_owner = target == Some(Role::Owner) || new_role == Some(Role::Owner);
    if touches_owner && actor != Role::Owner {
        return Err(MemberChangeError::OwnerOnly);
    }
    let loses_owner = target == Some(Role::Owner) && new_role != Some(Role::Owner);
    if loses_owner && owners <= 1 {
        return Err(MemberChangeError::LastOwner);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        use Access::*;
        let table = [
            (Role::Viewer, [true, false, false, false]),
            (Role::Member, [true, true, false, false]),
            (Role::Admin, [true, true, true, false]),
            (Role::Owner, [true, true, true, true]),
        ];
        for (role, expected) in table {
            for (access, want) in [Read, Write, Admin, Owner].into_iter().zip(expected) {
                assert_eq!(role.allows(access), want, "{role} {access:?}");
            }
        }
    }

    #[test]
    fn scopes_do_not_nest() {
        assert!(Scope::Ingest.allows(Access::Write));
        assert!(!Scope::Ingest.allows(Access::Read));
        assert!(!Scope::Admin.allows(Access::Owner));
        assert!(Scope::parse_list::<&str>(&[]).is_err());
        assert!(Scope::parse_list(&["read", "read"]).is_err());
        assert!(Scope::parse_list(&["read", "write"]).is_err());
        assert_eq!(
            Scope::parse_list(&["read", "ingest"]).unwrap(),
            vec![Scope::Read, Scope::Ingest]
        );
    }

    #[test]
    fn member_changes() {
        use MemberChangeError::*;
        assert_eq!(
            check_member_change(Role::Member, None, Some(Role::Viewer), 1),
            Err(NotAdmin)
        );
        assert_eq!(
            check_member_change(Role::Admin, None, Some(Role::Member), 1),
            Ok(())
        );
        assert_eq!(
            check_member_change(Role::Admin, None, Some(Role::Owner), 1),
            Err(OwnerOnly)
        );
        assert_eq!(
            check_member_change(Role::Admin, Some(Role::Owner), None, 2),
            Err(OwnerOnly)
        );
        assert_eq!(
            check_member_change(Role::Owner, Some(Role::Owner), None, 1),
            Err(LastOwner)
        );
        assert_eq!(
            check_member_change(Role::Owner, Some(Role::Owner), Some(Role::Admin), 2),
            Ok(())
        );
        assert_eq!(
            check_member_change(Role::Owner, Some(Role::Owner), Some(Role::Owner), 1),
            Ok(())
        );
    }
}
