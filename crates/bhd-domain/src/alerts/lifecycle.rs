//! An alert's lifecycle and a rule's evaluation state machine.
//!
//! Invariants (property-tested): a rule has at most one open alert, so it never triggers while
//! one is open; an open alert is `active` or `acknowledged`, never `resolved`; a resolved alert
//! never changes again; only an active alert can be acknowledged. Missing data neither fires nor
//! clears, so a connector outage cannot resolve an alert nobody has looked at.

use super::check::{Reading, Verdict};
use super::spec::RuleSpec;
use crate::org::text_enum;
use crate::values::ValueError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// Where an alert is in its life.
    AlertStatus { Active = "active", Acknowledged = "acknowledged", Resolved = "resolved" }
);

text_enum!(
    /// What can happen to an alert: a person acknowledges or resolves it, or the evaluation
    /// resolves it because its condition cleared.
    AlertEvent { Acknowledge = "acknowledge", Resolve = "resolve", AutoResolve = "auto_resolve" }
);

/// A change the lifecycle does not allow, from the status the alert is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IllegalTransition {
    /// The alert's status.
    pub from: AlertStatus,
    /// What was attempted.
    pub event: AlertEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match (self.from, self.event) {
            (AlertStatus::Acknowledged, AlertEvent::Acknowledge) => {
                "the alert is already acknowledged"
            }
            (AlertStatus::Resolved, AlertEvent::Acknowledge) => {
                "the alert is resolved and can no longer be acknowledged"
            }
            (AlertStatus::Resolved, _) => "the alert is already resolved",
            // Every other pair is legal; a hand-made value still reads sensibly.
            _ => "the alert cannot change that way",
        };
        f.write_str(text)
    }
}

impl std::error::Error for IllegalTransition {}

/// The status after `event`, or why it is not allowed.
pub fn transition(from: AlertStatus, event: AlertEvent) -> Result<AlertStatus, IllegalTransition> {
    use AlertEvent::{Acknowledge, AutoResolve, Resolve};
    use AlertStatus::{Acknowledged, Active, Resolved};
    match (from, event) {
        (Active, Acknowledge) => Ok(Acknowledged),
        (Active | Acknowledged, Resolve | AutoResolve) => Ok(Resolved),
        (Acknowledged | Resolved, Acknowledge) | (Resolved, Resolve | AutoResolve) => {
            Err(IllegalTransition { from, event })
        }
    }
}

/// What the evaluation remembers about a rule between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct RuleState {
    /// Consecutive evaluations the condition held.
    pub streak: u32,
    /// Since when it has held without a break.
    pub pending_since: Option<DateTime<Utc>>,
    /// When the rule last raised an alert (for the cooldown).
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// The status of the rule's open alert: `active` or `acknowledged`, never `resolved`.
    pub open: Option<AlertStatus>,
}

/// What an evaluation asks the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Nothing beyond storing the new state.
    Nothing,
    /// Raise an alert with this reading.
    Trigger(Reading),
    /// Resolve the rule's open alert (automatically) with this reading.
    Resolve(Reading),
}

/// One evaluation of a rule: the new state and what to do.
///
/// - A disabled rule forgets its streak and never fires; its open alert is resolved when there
///   is a reading to resolve it with (with no data it stays open until there is).
/// - `NoData` changes nothing.
/// - `Clear` breaks the streak and resolves the open alert.
/// - `Holds` extends the streak (up to `for_evaluations`); with no alert open the rule fires once it has held for
///   `for_evaluations` evaluations and for `for_duration`, and the cooldown since its last alert
///   has passed. With an alert open it does nothing: acknowledged stays acknowledged.
pub fn evaluate(
    spec: &RuleSpec,
    state: &RuleState,
    verdict: &Verdict,
    now: DateTime<Utc>,
) -> (RuleState, Action) {
    if !spec.enabled {
        let mut next = RuleState {
            streak: 0,
            pending_since: None,
            ..*state
        };
        return match (state.open, verdict.reading()) {
            (Some(_), Some(reading)) => {
                next.open = None;
                (next, Action::Resolve(*reading))
            }
            _ => (next, Action::Nothing),
        };
    }
    match verdict {
        Verdict::NoData => (*state, Action::Nothing),
        Verdict::Clear(reading) => {
            let next = RuleState {
                streak: 0,
                pending_since: None,
                open: None,
                ..*state
            };
            let action = if state.open.is_some() {
                Action::Resolve(*reading)
            } else {
                Action::Nothing
            };
            (next, action)
        }
        Verdict::Holds(reading) => {
            let pending_since = state.pending_since.unwrap_or(now);
            // The streak counts up to `for_evaluations` and stays there: counting further
            // would change nothing but make every evaluation of a rule that keeps holding a
            // write.
            let mut next = RuleState {
                streak: state.streak.saturating_add(1).min(spec.for_evaluations),
                pending_since: Some(pending_since),
                ..*state
            };
            if state.open.is_some() {
                return (next, Action::Nothing);
            }
            let held_long_enough = now.signed_duration_since(pending_since) >= spec.for_duration;
            let cooled_down = state
                .last_triggered_at
                .is_none_or(|t| now.signed_duration_since(t) >= spec.cooldown);
            if next.streak >= spec.for_evaluations && held_long_enough && cooled_down {
                next.last_triggered_at = Some(now);
                next.open = Some(AlertStatus::Active);
                (next, Action::Trigger(*reading))
            } else {
                (next, Action::Nothing)
            }
        }
    }
}

/// A person acknowledges or resolves the rule's open alert. Resolving keeps `last_triggered_at`,
/// so the cooldown damps an immediate re-fire while the condition still holds. Without an open
/// alert there is nothing to change: that is reported as acting on a resolved alert.
pub fn apply_user(state: &RuleState, event: AlertEvent) -> Result<RuleState, IllegalTransition> {
    let from = state.open.unwrap_or(AlertStatus::Resolved);
    let to = transition(from, event)?;
    Ok(RuleState {
        open: (to != AlertStatus::Resolved).then_some(to),
        ..*state
    })
}
