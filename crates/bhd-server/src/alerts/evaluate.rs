//! Evaluating an organization's alert rules: gathering the facts the rules need (daily roll-ups
//! of the metrics they watch, the latest score and its history, the factors' KPIs, the
//! anomalies the insights engine found), running the domain's pure `check` and `evaluate` for
//! each rule, and writing the outcome (states, alerts, deliveries) in one transaction.
//!
//! It runs as the `alerts.evaluate` job: debounced after every ingest and import, after every
//! score calculation, after a rule changes, and every 15 minutes for every organization (the
//! `alerts.evaluate_all` fan-out), so that time-based conditions (a for-duration, a cooldown
//! ending) move on even when no data arrives.

use crate::state::AppState;
use bhd_domain::OrgId;
use bhd_domain::alerts::{
    self as rules, Action, AlertStatus, Facts, Op, RuleSpec, RuleState, ScoreFigures, Target,
};
use bhd_domain::score::Score;
use bhd_store::{
    AlertChange, AlertReads, Debounce, HealthFigures, Job, NewAlert, NewJob, RuleOutcome,
    RuleStateRecord, RuleUpdate,
};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// Evaluates one organization's rules.
pub const EVALUATE: &str = "alerts.evaluate";
/// Enqueues an [`EVALUATE`] for every organization.
pub const EVALUATE_ALL: &str = "alerts.evaluate_all";
/// A burst of ingests gives one evaluation: after 1 s of quiet, at most 5 s after the first.
pub const DEBOUNCE: Debounce = Debounce {
    delay: std::time::Duration::from_secs(1),
    max_wait: std::time::Duration::from_secs(5),
};
/// A metric whose latest day is this much older than a rule's window is stale: the rule sees
/// no data (it neither fires nor clears) rather than judging months-old figures.
const STALE_DAYS: u32 = 90;

/// The dedupe key of an organization's evaluation.
pub fn key(org: OrgId) -> String {
    format!("alerts:{org}")
}

/// Asks for an evaluation of the organization's rules soon (debounced). Never fails the caller:
/// the 15-minute evaluation catches up if this enqueue was lost.
pub async fn soon(app: &AppState, org: OrgId) {
    let queued = app
        .store
        .enqueue_debounced(EVALUATE, org, &key(org), DEBOUNCE, app.clock.now())
        .await;
    match queued {
        Ok(_) => crate::jobs::wake(),
        Err(e) => tracing::warn!(error = %e, org = %org, "could not enqueue the alert evaluation"),
    }
}

/// The fan-out: one [`EVALUATE`] per organization, due now.
pub async fn evaluate_all(app: AppState, _job: Job) -> anyhow::Result<()> {
    let orgs = app.store.organization_ids().await?;
    for chunk in orgs.chunks(500) {
        let now = app.clock.now();
        let jobs: Vec<NewJob> = chunk
            .iter()
            .map(|&org| NewJob::for_org(EVALUATE, org, now).dedupe(key(org)))
            .collect();
        app.store.enqueue_many(&jobs, now).await?;
    }
    crate::jobs::wake();
    Ok(())
}

fn figures(f: &HealthFigures) -> ScoreFigures {
    let g = |x: Option<u8>| x.map(f64::from);
    ScoreFigures {
        overall: g(f.overall),
        financial: g(f.financial),
        customer: g(f.customer),
        operational: g(f.operational),
        growth: g(f.growth),
        risk: g(f.risk),
    }
}

fn state_of(r: &bhd_store::AlertRuleRecord) -> RuleState {
    RuleState {
        streak: r.state.streak,
        pending_since: r.state.pending_since,
        last_triggered_at: r.state.last_triggered_at,
        open: r
            .open_alert
            .as_ref()
            .and_then(|(_, s)| s.parse::<AlertStatus>().ok()),
    }
}

/// A score its caller has just calculated and stored: the latest, so the evaluation that
/// follows it in the same task need not read it (and parse its breakdown) back.
#[derive(Clone, Copy)]
pub struct Known<'a> {
    pub figures: &'a HealthFigures,
    pub score: &'a Score,
}

/// Reads what the rules need (and nothing else), in one read transaction; the latest score
/// is `known` when the caller has it.
async fn facts(
    app: &AppState,
    org: OrgId,
    specs: &[&RuleSpec],
    known: Option<Known<'_>>,
) -> anyhow::Result<Facts> {
    let now = app.clock.now();
    let mut reads = AlertReads {
        metrics: Vec::new(),
        days: 0,
        now,
        latest_score: false,
        history_from: None,
        insights: false,
    };
    let mut score_window = 0i64;
    for s in specs {
        for m in rules::daily_metrics(s) {
            if !reads.metrics.iter().any(|x| x == m) {
                reads.metrics.push(m.to_owned());
            }
        }
        match &s.target {
            Target::Metric(_) => {
                reads.days = reads.days.max(rules::lookback_days(s) + STALE_DAYS);
                reads.insights |= s.condition.op == Op::Anomaly;
            }
            Target::Score(_) => {
                reads.latest_score = known.is_none();
                score_window = score_window.max(i64::from(s.condition.window_days.unwrap_or(0)));
            }
            Target::Factor(_) => reads.latest_score = known.is_none(),
        }
    }
    if score_window > 0 {
        reads.history_from = Some(now - Duration::days(score_window + 2));
    }
    let inputs = app.store.alert_inputs(org, &reads).await?;
    let mut facts = Facts {
        now,
        daily: HashMap::new(),
        kinds: HashMap::new(),
        score: None,
        score_history: Vec::new(),
        factors: HashMap::new(),
        anomalies: HashMap::new(),
    };
    for r in inputs.daily {
        facts
            .daily
            .entry(r.metric_type)
            .or_default()
            .push((r.day, r.partial));
    }
    if !reads.metrics.is_empty() {
        facts.kinds = bhd_domain::metrics::canonical()
            .iter()
            .chain(&inputs.custom_types)
            .map(|d| (d.name.to_string(), d.kind))
            .collect();
    }
    let wants_factors = specs.iter().any(|s| matches!(s.target, Target::Factor(_)));
    let mut factors_of = |score: &Score| {
        for c in &score.categories {
            for f in &c.factors {
                if let Some(v) = f.value {
                    facts.factors.insert(f.name, v);
                }
            }
        }
    };
    if let Some(k) = known {
        if wants_factors {
            factors_of(k.score);
        }
        facts.score = Some(figures(k.figures));
    } else if let Some(latest) = inputs.latest_score {
        if wants_factors {
            match serde_json::from_value::<Score>(latest.health.breakdown) {
                Ok(score) => factors_of(&score),
                Err(e) => tracing::warn!(error = %e, "latest score unreadable for alerts"),
            }
        }
        facts.score = Some(figures(&latest.health.figures));
    }
    facts.score_history = inputs
        .history
        .iter()
        .map(|p| (p.calculated_at, figures(&p.figures)))
        .collect();
    for i in inputs.insights {
        if i.insight.kind != "anomaly" {
            continue;
        }
        let date = i
            .insight
            .evidence
            .get("date")
            .and_then(|d| d.as_str())
            .and_then(|d| d.parse::<NaiveDate>().ok());
        if let (Some(date), Some(metric)) = (date, i.insight.metrics.first()) {
            facts
                .anomalies
                .entry(metric.clone())
                .or_default()
                .push(date);
        }
    }
    Ok(facts)
}

/// Evaluates every rule of the organization now, stores the outcome and publishes the alerts
/// raised and resolved. Answers what changed.
pub async fn evaluate(app: &AppState, org: OrgId) -> anyhow::Result<Vec<AlertChange>> {
    evaluate_after(app, org, None).await
}

/// [`evaluate`], with the latest score `known` when the caller has just stored it.
pub async fn evaluate_after(
    app: &AppState,
    org: OrgId,
    known: Option<Known<'_>>,
) -> anyhow::Result<Vec<AlertChange>> {
    let mut records = app.store.alert_rules(org).await?;
    if records.is_empty() {
        // A new organization gets its default rules here if nobody has opened its rules yet
        // (once: an organization that deleted them all keeps none).
        crate::alerts::ensure_defaults(app, org)
            .await
            .map_err(|e| anyhow::anyhow!("default rules: {e}"))?;
        records = app.store.alert_rules(org).await?;
    }
    let parsed: Vec<(&bhd_store::AlertRuleRecord, RuleSpec)> = records
        .iter()
        .filter_map(|r| match rules::parse_rule(&r.spec) {
            Ok(s) => Some((r, s)),
            Err(e) => {
                tracing::warn!(rule = %r.id, errors = ?e, "stored rule unreadable; skipped");
                None
            }
        })
        .collect();
    if parsed.is_empty() {
        return Ok(Vec::new());
    }
    let specs: Vec<&RuleSpec> = parsed.iter().map(|(_, s)| s).collect();
    let facts = facts(app, org, &specs, known).await?;
    let now = facts.now;
    let updates: Vec<RuleUpdate> = parsed
        .iter()
        .map(|(record, spec)| decide(record, spec, &facts, now))
        .collect();
    let changes = app
        .store
        .apply_evaluation(org, &updates, &super::render, now)
        .await?;
    for c in &changes {
        crate::realtime::send_logged(app, c.stream_event.clone()).await;
    }
    if !changes.is_empty() {
        crate::jobs::wake();
    }
    Ok(changes)
}

/// One rule's update: the domain decides, this turns its answer into what the store writes.
pub fn decide(
    record: &bhd_store::AlertRuleRecord,
    spec: &RuleSpec,
    facts: &Facts,
    now: chrono::DateTime<chrono::Utc>,
) -> RuleUpdate {
    let state = state_of(record);
    let verdict = rules::check(spec, facts);
    let (next, action) = rules::evaluate(spec, &state, &verdict, now);
    let stored = RuleStateRecord {
        streak: next.streak,
        pending_since: next.pending_since,
        last_triggered_at: next.last_triggered_at,
    };
    // A change rule's threshold is a change, so its alert shows the change, not the level.
    let shown = |r: &rules::Reading| {
        if spec.condition.op.is_change() {
            r.change(spec.condition.op)
        } else {
            Some(r.current)
        }
        .map(|v| v.normalize().to_string())
    };
    let outcome = match action {
        Action::Nothing => RuleOutcome::Keep,
        Action::Trigger(reading) => {
            let (title, description) = rules::describe(spec, &reading, None);
            RuleOutcome::Trigger {
                alert: NewAlert {
                    severity: spec.severity.as_str().to_owned(),
                    category: rules::category_of(&spec.target).to_owned(),
                    metric_type: match &spec.target {
                        Target::Metric(m) => Some(m.clone()),
                        _ => None,
                    },
                    target: serde_json::to_value(&spec.target).unwrap_or_default(),
                    title,
                    description,
                    threshold_value: reading.threshold.map(|t| t.normalize().to_string()),
                    current_value: shown(&reading),
                },
                channels: spec.channels.clone(),
            }
        }
        Action::Resolve(reading) => RuleOutcome::Resolve {
            current_value: shown(&reading),
            description: None,
            channels: spec.channels.clone(),
        },
    };
    RuleUpdate {
        rule_id: record.id,
        state: (stored != record.state).then_some(stored),
        outcome,
    }
}
