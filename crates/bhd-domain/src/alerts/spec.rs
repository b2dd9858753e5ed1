//! What an alert rule says, its JSON form, and the validating parser that turns a request body
//! into a `RuleSpec`.
//!
//! The JSON written by `RuleSpec`'s `Serialize` is the API's format and is what the store keeps,
//! so `parse_rule` must accept everything it writes (the tests round-trip every default rule).
//! The parser must never stop at the first problem: a form shows every refused field at once.

use crate::metrics::{Amount, Category, MetricType};
use crate::org::text_enum;
use crate::score::FactorId;
use crate::values::ValueError;
use chrono::Duration;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

text_enum!(
    /// How urgent an alert is; ordered from `low` to `critical`.
    Severity { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

// Declaration order, so that "at least high" filters and sorting read naturally.
impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

text_enum!(
    /// Which figure of the stored health score a rule watches.
    ScoreName {
        Overall = "overall",
        Financial = "financial",
        Customer = "customer",
        Operational = "operational",
        Growth = "growth",
        Risk = "risk",
    }
);

impl ScoreName {
    /// The category this score is of; None for the overall score, which spans them all.
    pub const fn category(self) -> Option<Category> {
        match self {
            Self::Overall => None,
            Self::Financial => Some(Category::Financial),
            Self::Customer => Some(Category::Customer),
            Self::Operational => Some(Category::Operational),
            Self::Growth => Some(Category::Growth),
            Self::Risk => Some(Category::Risk),
        }
    }
}

text_enum!(
    /// How the watched figure is compared with the rule's value.
    Op {
        Above = "above",
        Below = "below",
        ChangeAbove = "change_above",
        ChangeBelow = "change_below",
        ChangePctAbove = "change_pct_above",
        ChangePctBelow = "change_pct_below",
        Anomaly = "anomaly",
    }
);

impl Op {
    /// Whether the op compares the current window with the one before (or an earlier score).
    pub const fn is_change(self) -> bool {
        matches!(
            self,
            Self::ChangeAbove | Self::ChangeBelow | Self::ChangePctAbove | Self::ChangePctBelow
        )
    }

    /// Whether the change is measured in percent of the baseline.
    pub const fn is_pct(self) -> bool {
        matches!(self, Self::ChangePctAbove | Self::ChangePctBelow)
    }

    /// Whether the rule fires when the measure exceeds its value (else when it falls short);
    /// meaningless for `anomaly`.
    pub const fn is_above(self) -> bool {
        matches!(self, Self::Above | Self::ChangeAbove | Self::ChangePctAbove)
    }
}

/// What a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A metric type's daily roll-ups (canonical or custom); the name is a valid `MetricType`.
    Metric(String),
    /// A figure of the latest stored health score.
    Score(ScoreName),
    /// A factor's KPI value in the latest stored health score.
    Factor(FactorId),
}

impl Target {
    /// The target as the API writes it: `{"metric_type": …}`, `{"score": …}` or `{"factor": …}`.
    pub fn to_json(&self) -> Value {
        let (key, value) = match self {
            Self::Metric(m) => ("metric_type", m.as_str()),
            Self::Score(s) => ("score", s.as_str()),
            Self::Factor(f) => ("factor", f.as_str()),
        };
        let mut map = Map::new();
        map.insert(key.to_owned(), Value::String(value.to_owned()));
        Value::Object(map)
    }

    /// The metric type, for metric targets.
    pub fn metric(&self) -> Option<&str> {
        match self {
            Self::Metric(m) => Some(m),
            _ => None,
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// The condition: an op, the value it compares with and the window it looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Condition {
    /// How to compare.
    pub op: Op,
    /// The threshold (a percent for `change_pct_*`); absent only for `anomaly`.
    pub value: Option<Decimal>,
    /// The window in days; absent means the latest day (metrics) or the latest score.
    pub window_days: Option<u32>,
}

impl Condition {
    /// The condition as the API writes it; absent keys are left out rather than null.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("op".into(), Value::String(self.op.as_str().into()));
        if let Some(v) = self.value {
            // A decimal string, never a JSON number: clients would read a number back as binary
            // floating point and 0.1 would not survive the trip.
            map.insert("value".into(), Value::String(v.normalize().to_string()));
        }
        if let Some(w) = self.window_days {
            map.insert("window".into(), Value::String(format_window(w)));
        }
        Value::Object(map)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// A validated alert rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// For people; 1 to 120 characters, trimmed.
    pub name: String,
    /// What the rule watches.
    pub target: Target,
    /// When it fires.
    pub condition: Condition,
    /// How urgent its alerts are.
    pub severity: Severity,
    /// Consecutive evaluations the condition must hold before the rule fires (1 to 100).
    pub for_evaluations: u32,
    /// How long the condition must have held before the rule fires (at most 30 days).
    pub for_duration: Duration,
    /// Least time between two alerts of the rule (at most 30 days).
    pub cooldown: Duration,
    /// Notification channels to tell, at most 20, no duplicates.
    pub channels: Vec<Uuid>,
    /// A disabled rule is kept but never fires.
    pub enabled: bool,
}

/// Longest rule name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest condition window, in days (two years).
pub const MAX_WINDOW_DAYS: u32 = 730;
/// The window of an `anomaly` condition given without one: a week, so that one flagged day keeps
/// the alert open long enough to be seen but not for ever.
pub const DEFAULT_ANOMALY_WINDOW_DAYS: u32 = 7;
/// Most consecutive evaluations a rule may wait for.
pub const MAX_FOR_EVALUATIONS: u32 = 100;
/// Longest `for_duration` and `cooldown`, in seconds (30 days).
pub const MAX_DURATION_SECS: i64 = 30 * 86_400;
/// Most notification channels per rule.
pub const MAX_CHANNELS: usize = 20;

/// The top-level keys of a rule's JSON, in the order they are written.
const KEYS: &[&str] = &[
    "name",
    "target",
    "condition",
    "severity",
    "for_evaluations",
    "for_duration",
    "cooldown",
    "channels",
    "enabled",
];

impl RuleSpec {
    /// The rule as the API writes it (and the store keeps it).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert("target".into(), self.target.to_json());
        map.insert("condition".into(), self.condition.to_json());
        map.insert(
            "severity".into(),
            Value::String(self.severity.as_str().into()),
        );
        map.insert("for_evaluations".into(), self.for_evaluations.into());
        map.insert(
            "for_duration".into(),
            Value::String(format_duration(self.for_duration)),
        );
        map.insert(
            "cooldown".into(),
            Value::String(format_duration(self.cooldown)),
        );
        map.insert(
            "channels".into(),
            Value::Array(
                self.channels
                    .iter()
                    .map(|c| Value::String(c.to_string()))
                    .collect(),
            ),
        );
        map.insert("enabled".into(), Value::Bool(self.enabled));
        Value::Object(map)
    }
}

impl Serialize for RuleSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Reading a stored rule back goes through the same validation as the API, so that a row that
/// no longer validates is reported rather than half-understood.
impl<'de> Deserialize<'de> for RuleSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(d)?;
        parse_rule(&json).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            serde::de::Error::custom(text.join("; "))
        })
    }
}

/// One refused field: its dotted path (`condition.value`, `channels[2]`, `""` for the whole
/// body) and a user-facing reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FieldError {
    /// Where, as a dotted path into the submitted JSON.
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// The problems found so far, in the order of the fields.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
}

const DURATION_HINT: &str = "must be a duration such as \"90s\", \"30m\", \"2h\", \"1d\" or \"1w\"";
const WINDOW_HINT: &str = "must be a number of days or weeks such as \"30d\" or \"4w\"";

/// Parses a duration written as whole seconds, minutes, hours, days or weeks ("90s", "1w").
pub fn parse_duration(raw: &str) -> Result<Duration, ValueError> {
    let secs = parse_count_with_unit(raw, |u| match u {
        b's' => Some(1),
        b'm' => Some(60),
        b'h' => Some(3_600),
        b'd' => Some(86_400),
        b'w' => Some(604_800),
        _ => None,
    })
    .ok_or_else(|| ValueError(DURATION_HINT.into()))?;
    // Beyond i64 seconds is beyond any limit; saying "too long" is the useful answer.
    let secs = i64::try_from(secs).map_err(|_| ValueError("is too long".into()))?;
    Duration::try_seconds(secs).ok_or_else(|| ValueError("is too long".into()))
}

/// Writes a duration in the largest unit that divides it exactly ("0s", "90s", "2h", "1w").
/// Fractions of a second are dropped and negative durations written as "0s": neither can be
/// parsed, and neither is ever produced by `parse_duration`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (n, unit) = [(604_800, 'w'), (86_400, 'd'), (3_600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(size, _)| secs != 0 && secs % size == 0)
        .map_or((secs, 's'), |(size, unit)| (secs / size, unit));
    format!("{n}{unit}")
}

/// Parses a window written in days or weeks ("30d", "4w") into days; 1 to 730 days.
pub fn parse_window(raw: &str) -> Result<u32, ValueError> {
    let days = parse_count_with_unit(raw, |u| match u {
        b'd' => Some(1),
        b'w' => Some(7),
        _ => None,
    })
    .ok_or_else(|| ValueError(WINDOW_HINT.into()))?;
    match u32::try_from(days) {
        Ok(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => Ok(d),
        _ => Err(ValueError(format!(
            "must be from 1 to {MAX_WINDOW_DAYS} days (\"1d\" to \"104w\")"
        ))),
    }
}

/// Writes a window in weeks when it is whole weeks, else in days.
pub fn format_window(days: u32) -> String {
    if days != 0 && days.is_multiple_of(7) {
        format!("{}w", days / 7)
    } else {
        format!("{days}d")
    }
}

/// `digits` then a one-letter unit, as the unit's multiple; None if malformed. An overflowing
/// count saturates, so that the caller's range check gives the message.
fn parse_count_with_unit(raw: &str, unit: impl Fn(u8) -> Option<u64>) -> Option<u64> {
    let (&last, digits) = raw.as_bytes().split_last()?;
    let size = unit(last)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u64, |n, &c| {
        n.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    });
    Some(n.saturating_mul(size))
}

/// Parses a threshold given as a JSON number or a decimal string. It must fit an `Amount` (what
/// every metric value is), so that a threshold can never be finer or larger than what it is
/// compared with; "NaN" and "Infinity" are refused as any non-decimal text is.
fn parse_value(v: &Value) -> Result<Decimal, ValueError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(ValueError(
                "must be a decimal number (a JSON number or a string such as \"12.5\")".into(),
            ));
        }
    };
    Amount::parse(&text).map(|a| a.to_decimal().normalize())
}

/// The value of `key` unless it is absent or null: null means "not given" everywhere, so that a
/// patch can put a field back to its default with `"cooldown": null`.
fn given<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// A duration field with a default and the 30-day limit.
fn duration_field(
    obj: &Map<String, Value>,
    key: &str,
    default: Duration,
    errors: &mut Errors,
) -> Option<Duration> {
    let Some(v) = given(obj, key) else {
        return Some(default);
    };
    let Some(s) = v.as_str() else {
        errors.push(key, DURATION_HINT);
        return None;
    };
    match parse_duration(s) {
        Ok(d) if d.num_seconds() <= MAX_DURATION_SECS => Some(d),
        Ok(_) => {
            errors.push(key, "must be at most 30 days (\"30d\")");
            None
        }
        Err(e) => {
            errors.push(key, e.0);
            None
        }
    }
}

fn parse_target(v: Option<&Value>, errors: &mut Errors) -> Option<Target> {
    const WANT: &str = "must be an object with exactly one of metric_type, score or factor";
    let Some(v) = v else {
        errors.push("target", "is required");
        return None;
    };
    let Some(obj) = v.as_object() else {
        errors.push("target", WANT);
        return None;
    };
    let mut known = Vec::new();
    for (key, value) in obj {
        match key.as_str() {
            "metric_type" | "score" | "factor" => known.push((key.as_str(), value)),
            _ => errors.push(
                format!("target.{key}"),
                "is not a known key; use metric_type, score or factor",
            ),
        }
    }
    let (key, value) = match known.as_slice() {
        [] => {
            // Unknown keys were already reported; "missing" would then be noise.
            if obj.is_empty() {
                errors.push("target", WANT);
            }
            return None;
        }
        [one] => *one,
        many => {
            let names: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
            errors.push("target", format!("{WANT}, not {}", names.join(" and ")));
            return None;
        }
    };
    let field = format!("target.{key}");
    let Some(text) = value.as_str() else {
        errors.push(field, "must be a string");
        return None;
    };
    let parsed = match key {
        "metric_type" => MetricType::parse(text).map(|m| Target::Metric(m.as_str().to_owned())),
        "score" => text.parse::<ScoreName>().map(Target::Score),
        _ => text.parse::<FactorId>().map(Target::Factor),
    };
    parsed.map_err(|e| errors.push(field, e.0)).ok()
}

/// A condition as submitted: each part parsed on its own, before the checks between them.
struct RawCondition {
    op: Option<Op>,
    /// Whether a value was given (even an unparseable one), for the required/forbidden checks.
    value_given: bool,
    value: Option<Decimal>,
    window_given: bool,
    window: Option<u32>,
}

fn parse_condition(v: Option<&Value>, errors: &mut Errors) -> Option<RawCondition> {
    let Some(v) = v else {
        errors.push("condition", "is required");
        return None;
    };
    let Some(obj) = v.as_object() else {
        errors.push("condition", "must be an object with op, value and window");
        return None;
    };
    for key in obj.keys() {
        if !matches!(key.as_str(), "op" | "value" | "window") {
            errors.push(
                format!("condition.{key}"),
                "is not a known key; use op, value and window",
            );
        }
    }
    let op = match given(obj, "op") {
        None => {
            errors.push("condition.op", "is required");
            None
        }
        Some(Value::String(s)) => s
            .parse::<Op>()
            .map_err(|e| errors.push("condition.op", e.0))
            .ok(),
        Some(_) => {
            let all: Vec<&str> = Op::ALL.iter().map(Op::as_str).collect();
            errors.push(
                "condition.op",
                format!("must be one of: {}", all.join(", ")),
            );
            None
        }
    };
    let value_given = given(obj, "value").is_some();
    let value = given(obj, "value").and_then(|v| {
        parse_value(v)
            .map_err(|e| errors.push("condition.value", e.0))
            .ok()
    });
    let window_given = given(obj, "window").is_some();
    let window = given(obj, "window").and_then(|v| match v.as_str() {
        Some(s) => parse_window(s)
            .map_err(|e| errors.push("condition.window", e.0))
            .ok(),
        None => {
            errors.push("condition.window", WINDOW_HINT);
            None
        }
    });
    Some(RawCondition {
        op,
        value_given,
        value,
        window_given,
        window,
    })
}

/// Checks between the op, the value, the window and the target; `None` when one is refused.
fn check_condition(
    raw: &RawCondition,
    target: Option<&Target>,
    errors: &mut Errors,
) -> Option<Condition> {
    let before = errors.0.len();
    let op = raw.op?;
    let name = op.as_str();
    if op == Op::Anomaly {
        if raw.value_given {
            errors.push("condition.value", "must be absent for op anomaly");
        }
    } else if !raw.value_given {
        errors.push("condition.value", format!("is required for op {name}"));
    }
    if op.is_change() && !raw.window_given {
        errors.push(
            "condition.window",
            format!("is required for op {name} (the period compared with the one before)"),
        );
    }
    if op.is_pct() && raw.value.is_some_and(|v| v.is_zero()) {
        errors.push(
            "condition.value",
            "must not be 0 for a percent change (use a positive or negative percent)",
        );
    }
    match target {
        Some(Target::Metric(_)) | None => {}
        Some(Target::Score(_)) => {
            if op == Op::Anomaly {
                errors.push("condition.op", "anomaly applies to metric targets only");
            } else if !op.is_change() && raw.window_given {
                errors.push(
                    "condition.window",
                    format!(
                        "must be absent for op {name} on a score (the latest score is compared)"
                    ),
                );
            }
            // A threshold a score can never cross makes a rule that never (or always) fires.
            if let Some(v) = raw.value {
                let hundred = Decimal::ONE_HUNDRED;
                let (low, high, what) = match op {
                    Op::Above | Op::Below => (Decimal::ZERO, hundred, "0 and 100"),
                    Op::ChangeAbove | Op::ChangeBelow => (-hundred, hundred, "-100 and 100"),
                    _ => (Decimal::MIN, Decimal::MAX, ""),
                };
                if !(low..=high).contains(&v) {
                    errors.push(
                        "condition.value",
                        format!("must be between {what} for a score"),
                    );
                }
            }
        }
        Some(Target::Factor(_)) => {
            if op == Op::Anomaly {
                errors.push("condition.op", "anomaly applies to metric targets only");
            } else if op.is_change() {
                // Only the latest score's factor values are kept, so there is nothing to
                // compare with.
                errors.push(
                    "condition.op",
                    "a factor can only be compared with above or below",
                );
            }
            if raw.window_given {
                errors.push(
                    "condition.window",
                    "must be absent for a factor (its KPI has its own window)",
                );
            }
        }
    }
    let unreadable =
        (raw.value_given && raw.value.is_none()) || (raw.window_given && raw.window.is_none());
    if errors.0.len() > before || unreadable {
        return None;
    }
    let window_days = match (op, raw.window) {
        (Op::Anomaly, None) => Some(DEFAULT_ANOMALY_WINDOW_DAYS),
        (_, w) => w,
    };
    Some(Condition {
        op,
        value: raw.value,
        window_days,
    })
}

/// Parses and validates a rule as the API receives it, reporting every refused field with its
/// dotted path. Absent optional fields take their defaults (`for_evaluations` 1, `for_duration`
/// "0s", `cooldown` "1h", `channels` [], `enabled` true; an anomaly's window 7 days); null counts
/// as absent. Whether a custom metric type exists in the organization is the caller's check:
/// this crate does not know the organization's catalogue.
pub fn parse_rule(json: &Value) -> Result<RuleSpec, Vec<FieldError>> {
    let mut errors = Errors::default();
    let Some(obj) = json.as_object() else {
        errors.push("", "must be a JSON object");
        return Err(errors.0);
    };
    for key in obj.keys() {
        if !KEYS.contains(&key.as_str()) {
            errors.push(
                key.as_str(),
                format!("is not a known field; expected {}", KEYS.join(", ")),
            );
        }
    }

    let name = match given(obj, "name") {
        None => {
            errors.push("name", "is required");
            None
        }
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            let chars = trimmed.chars().count();
            if chars == 0 {
                errors.push("name", "is required");
                None
            } else if chars > MAX_NAME_CHARS {
                errors.push(
                    "name",
                    format!("must be at most {MAX_NAME_CHARS} characters"),
                );
                None
            } else if trimmed.chars().any(char::is_control) {
                errors.push("name", "must not contain control characters");
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        Some(_) => {
            errors.push("name", "must be a string");
            None
        }
    };

    let target = parse_target(given(obj, "target"), &mut errors);
    let raw = parse_condition(given(obj, "condition"), &mut errors);

    let severity = match given(obj, "severity") {
        None => {
            errors.push("severity", "is required");
            None
        }
        Some(v) => v
            .as_str()
            .ok_or_else(|| ValueError("must be one of: low, medium, high, critical".into()))
            .and_then(Severity::from_str)
            .map_err(|e| errors.push("severity", e.0))
            .ok(),
    };

    let for_evaluations = match given(obj, "for_evaluations") {
        None => Some(1),
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if (1..=MAX_FOR_EVALUATIONS).contains(&n) => Some(n),
            _ => {
                errors.push(
                    "for_evaluations",
                    format!("must be a whole number from 1 to {MAX_FOR_EVALUATIONS}"),
                );
                None
            }
        },
    };

    let for_duration = duration_field(obj, "for_duration", Duration::zero(), &mut errors);
    let cooldown = duration_field(obj, "cooldown", Duration::hours(1), &mut errors);

    let channels = match given(obj, "channels") {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let before = errors.0.len();
            if items.len() > MAX_CHANNELS {
                errors.push(
                    "channels",
                    format!("must list at most {MAX_CHANNELS} channels"),
                );
            }
            let mut ids: Vec<Uuid> = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let field = format!("channels[{i}]");
                match item.as_str().map(Uuid::parse_str) {
                    Some(Ok(id)) => {
                        if let Some(j) = ids.iter().position(|x| *x == id) {
                            errors.push(field, format!("is listed twice (also channels[{j}])"));
                        }
                        ids.push(id);
                    }
                    _ => {
                        errors.push(field, "must be a channel id (a UUID)");
                        // Keep the indexes of later duplicates right.
                        ids.push(Uuid::nil());
                    }
                }
            }
            (errors.0.len() == before).then_some(ids)
        }
        Some(_) => {
            errors.push("channels", "must be an array of channel ids");
            None
        }
    };

    let enabled = match given(obj, "enabled") {
        None => Some(true),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push("enabled", "must be true or false");
            None
        }
    };

    let condition = raw
        .as_ref()
        .and_then(|raw| check_condition(raw, target.as_ref(), &mut errors));

    match (
        name,
        target,
        condition,
        severity,
        for_evaluations,
        for_duration,
        cooldown,
        channels,
        enabled,
    ) {
        (
            Some(name),
            Some(target),
            Some(condition),
            Some(severity),
            Some(for_evaluations),
            Some(for_duration),
            Some(cooldown),
            Some(channels),
            Some(enabled),
        ) if errors.0.is_empty() => Ok(RuleSpec {
            name,
            target,
            condition,
            severity,
            for_evaluations,
            for_duration,
            cooldown,
            channels,
            enabled,
        }),
        _ => {
            sort_by_field(&mut errors.0);
            Err(errors.0)
        }
    }
}

/// Orders errors as the fields appear in a rule, so that a form lists them top to bottom
/// whatever order the checks ran in (the cross-field checks run last).
fn sort_by_field(errors: &mut [FieldError]) {
    let rank = |f: &str| {
        let head = f.split(['.', '[']).next().unwrap_or(f);
        KEYS.iter().position(|k| *k == head).unwrap_or(KEYS.len())
    };
    errors.sort_by_key(|e| rank(&e.field));
}

/// Applies a partial update: the given top-level keys replace the current rule's (a nested
/// object such as `condition` is replaced whole, not merged), then the result is validated as a
/// new rule would be. A null resets a field to its default.
pub fn parse_patch(current: &RuleSpec, patch: &Value) -> Result<RuleSpec, Vec<FieldError>> {
    let Some(changes) = patch.as_object() else {
        return Err(vec![FieldError {
            field: String::new(),
            message: "must be a JSON object".into(),
        }]);
    };
    let mut merged = match current.to_json() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (key, value) in changes {
        merged.insert(key.clone(), value.clone());
    }
    parse_rule(&Value::Object(merged))
}

/// The rules every new organization starts with.
pub fn default_rules() -> Vec<RuleSpec> {
    let rule = |name: &str, target, op, value, window_days, severity| RuleSpec {
        name: name.to_owned(),
        target,
        condition: Condition {
            op,
            value: Some(value),
            window_days,
        },
        severity,
        for_evaluations: 1,
        for_duration: Duration::zero(),
        // Scores and factor KPIs move once a day at most; one alert a day is plenty.
        cooldown: Duration::days(1),
        channels: Vec::new(),
        enabled: true,
    };
    vec![
        rule(
            "Health score down more than 10 points in 30 days",
            Target::Score(ScoreName::Overall),
            Op::ChangeBelow,
            Decimal::from(-10),
            Some(30),
            Severity::High,
        ),
        // The cash_runway KPI is in months (KpiUnit::Months in score/factors.rs), so 6 is six
        // months, where the factor's curve says runway becomes tight (45 points).
        rule(
            "Cash runway under 6 months",
            Target::Factor(FactorId::CashRunway),
            Op::Below,
            Decimal::from(6),
            None,
            Severity::Critical,
        ),
        // The churn_rate KPI is a fraction (KpiUnit::Ratio: 0.03 is 3 % a month); its curve in
        // score/profile.rs gives 70 at 0.03, where its benchmark turns from good to weak.
        rule(
            "Monthly churn above its benchmark",
            Target::Factor(FactorId::ChurnRate),
            Op::Above,
            Decimal::new(3, 2),
            None,
            Severity::Medium,
        ),
    ]
}

/// The alert category a target files under: a metric's catalogue category (`custom` for custom
/// metrics), a factor's category, a category score's own category, `overall` for the overall
/// score.
pub fn category_of(target: &Target) -> &'static str {
    match target {
        Target::Metric(m) => {
            crate::metrics::canonical_def(m).map_or("custom", |d| d.category.as_str())
        }
        Target::Score(s) => s.category().map_or("overall", |c| c.as_str()),
        Target::Factor(f) => f.def().category.as_str(),
    }
}
