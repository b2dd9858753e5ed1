//! Loads a demo company: a user owning an organization whose metric history comes from the
//! domain's deterministic simulation (`bhd_domain::demo`), written through the same ingest
//! path as the API. Used by `bhd demo`, the README's run command, tests and benchmarks.

use crate::orgs::new_organization;
use bhd_domain::demo::{Profile, simulate};
use bhd_domain::metrics::canonical_def;
use bhd_domain::period::local_midnight;
use bhd_domain::{Amount, Email, OrgName, Password, Plan, TimeZone};
use bhd_store::{NewPoint, NewUser, Organization, Store, StoreError, User};
use chrono::{DateTime, Duration, Utc};

/// The seed of the demo company: every `bhd demo` builds the same history.
pub const SEED: u64 = 7;
/// Points written per ingest transaction.
const CHUNK: usize = 10_000;

/// What `load` created.
pub struct Demo {
    pub user: User,
    pub organization: Organization,
    pub points: u64,
}

/// Creates the user and organization and writes `years` of daily history ending yesterday (in
/// the organization's time zone). Conflict("email") if the email is taken.
pub async fn load(
    store: &dyn Store,
    profile: Profile,
    years: u32,
    email: Email,
    password: Password,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Demo, anyhow::Error> {
    let tz = TimeZone::parse("America/New_York").map_err(|e| anyhow::anyhow!(e))?;
    let label = match profile {
        Profile::Saas => "SaaS",
        Profile::Ecommerce => "E-commerce",
        Profile::Services => "Services",
    };
    let name = OrgName::parse(&format!("Demo {label} Company")).map_err(|e| anyhow::anyhow!(e))?;
    let password_hash = crate::auth::password::hash(password).await?;
    let user = NewUser {
        email,
        name: "Demo Owner".into(),
        password_hash,
        now,
    };
    let org = new_organization(name, Some(profile.industry()), None, Some(tz), now);
    let (user, mut organization) = store.signup(user, org).await?;

    let days = years.max(1) * 365 + years / 4;
    let today = bhd_domain::period::local_date(now, tz.tz());
    let start = today - Duration::days(i64::from(days));
    // The smallest plan that keeps the whole history (three years fit the free plan).
    let first = local_midnight(start, tz.tz());
    let plan = Plan::ALL
        .iter()
        .copied()
        .find(|p| p.retention_horizon(now) <= first)
        .ok_or_else(|| anyhow::anyhow!("no plan keeps {years} years of history"))?;
    if plan != organization.plan {
        store.set_plan(organization.id, plan, now).await?;
        organization.plan = plan;
    }
    let sim = simulate(profile, start, days, SEED);
    let total = sim.len() as u64;
    let mut written = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK);
    for p in sim {
        let def = canonical_def(p.metric)
            .ok_or_else(|| anyhow::anyhow!("simulation emitted unknown metric {}", p.metric))?;
        // Noon local time: inside the day whatever the DST rules.
        let at = local_midnight(p.date, tz.tz()) + Duration::hours(12);
        chunk.push(NewPoint {
            metric_type: p.metric.to_owned(),
            category: def.category,
            source: "demo".into(),
            dimension: String::new(),
            recorded_at: at,
            value: Amount::from_micros(p.value_micros),
            metadata: serde_json::json!({}),
        });
        if chunk.len() == CHUNK {
            written += store
                .ingest(organization.id, tz.tz(), &chunk, now)
                .await?
                .accepted;
            chunk.clear();
            progress(written, total);
        }
    }
    if !chunk.is_empty() {
        written += store
            .ingest(organization.id, tz.tz(), &chunk, now)
            .await?
            .accepted;
        progress(written, total);
    }
    Ok(Demo {
        user,
        organization,
        points: written,
    })
}

/// Whether the error is "that email already has an account".
pub fn is_taken(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<StoreError>(),
        Some(StoreError::Conflict("email"))
    )
}
