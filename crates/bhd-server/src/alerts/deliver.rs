//! Sending one alert notification: the `alerts.deliver` job. The store queued the delivery and
//! its job with the alert, in one transaction; this handler sends it through the channel and
//! records the attempt in the alert's delivery log.
//!
//! A failure the receiver may recover from (a timeout, a refused connection, HTTP 5xx or 429,
//! an SMTP 4xx) fails the job, so the queue retries it with exponential backoff (2 s, 4 s, 8 s,
//! …) until [`bhd_store::DELIVERY_ATTEMPTS`] attempts have failed; the delivery is then
//! `failed`. A permanent failure (HTTP 4xx, a deleted channel, email not configured) is
//! recorded as `failed` at once. Delivery is at least once: a receiver that took the message
//! but whose answer was lost gets it again on the retry (webhook receivers deduplicate by the
//! delivery id in the payload).

use crate::notify::{ChannelKind, Message, SendError, Target};
use crate::state::AppState;
use anyhow::Context;
use bhd_domain::OrgId;
use bhd_store::{AlertRecord, DeliveryAttempt, Job};
use uuid::Uuid;

/// The dashboard address of the alerts page.
pub fn alerts_link(app: &AppState) -> String {
    let base = app
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.config.listen));
    format!("{}/alerts/", base.trim_end_matches('/'))
}

/// The message of an alert event.
pub fn message(app: &AppState, organization: &str, event: &str, alert: &AlertRecord) -> Message {
    Message {
        event: event.to_owned(),
        alert_id: alert.id,
        organization: organization.to_owned(),
        title: alert.title.clone(),
        description: alert.description.clone(),
        severity: alert.severity.clone(),
        status: alert.status.clone(),
        metric_type: alert.metric_type.clone(),
        current_value: alert.current_value.clone(),
        threshold_value: alert.threshold_value.clone(),
        triggered_at: alert.triggered_at,
        resolved_at: alert.resolved_at,
        link: alerts_link(app),
    }
}

/// The channel as the notifier needs it, its secret decrypted.
pub fn target(
    app: &AppState,
    org: OrgId,
    channel: &bhd_store::ChannelRecord,
) -> anyhow::Result<Target> {
    let kind: ChannelKind = channel
        .kind
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown channel kind {:?}", channel.kind))?;
    let secret = match &channel.secret {
        Some(blob) => {
            let plain = app
                .cipher
                .decrypt(blob, &crate::secrets::row_aad(org.as_uuid(), channel.id))
                .context("decrypting the channel's secret")?;
            Some(String::from_utf8(plain).context("the channel's secret is not text")?)
        }
        None => None,
    };
    Ok(Target {
        kind,
        config: channel.config.clone(),
        secret,
    })
}

/// The `alerts.deliver` handler (payload `{"delivery": id}`).
pub async fn run(app: AppState, job: Job) -> anyhow::Result<()> {
    let org = crate::jobs::org_of(&job)?;
    let id: Uuid = job
        .payload
        .get("delivery")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .context("an alerts.deliver job needs a delivery id")?;
    let Some(delivery) = app.store.delivery(org, id).await? else {
        return Ok(()); // the alert (and its log) went with its organization
    };
    if delivery.status != "pending" {
        return Ok(());
    }
    let last = job.attempts >= job.max_attempts;
    let now = app.clock.now();
    let Some(channel) = app
        .store
        .notification_channel(org, delivery.channel_id)
        .await?
    else {
        let attempt = DeliveryAttempt::Failed {
            error: "the channel was deleted".into(),
            response_status: None,
            last: true,
        };
        app.store.record_delivery(org, id, &attempt, now).await?;
        return Ok(());
    };
    let alert = app
        .store
        .alert(org, delivery.alert_id)
        .await?
        .context("the delivery's alert is missing")?;
    let o = app.store.organization(org).await?;
    let msg = message(&app, o.name.as_str(), &delivery.event, &alert);
    let target = target(&app, org, &channel)?;
    let result = app.notifier.send(&target, &msg, now).await;
    let now = app.clock.now();
    match result {
        Ok(sent) => {
            app.store
                .record_delivery(
                    org,
                    id,
                    &DeliveryAttempt::Delivered {
                        response_status: sent.status,
                    },
                    now,
                )
                .await?;
            metrics::counter!("bhd_alert_deliveries_total", "outcome" => "delivered").increment(1);
            Ok(())
        }
        Err(SendError::Retryable(error)) => {
            let attempt = DeliveryAttempt::Failed {
                error: error.clone(),
                response_status: status_in(&error),
                last,
            };
            app.store.record_delivery(org, id, &attempt, now).await?;
            metrics::counter!("bhd_alert_deliveries_total", "outcome" => "retry").increment(1);
            Err(anyhow::anyhow!(
                "delivery {id} to {}: {error}",
                channel.name
            ))
        }
        Err(SendError::Permanent(error)) => {
            let attempt = DeliveryAttempt::Failed {
                error: error.clone(),
                response_status: status_in(&error),
                last: true,
            };
            app.store.record_delivery(org, id, &attempt, now).await?;
            metrics::counter!("bhd_alert_deliveries_total", "outcome" => "failed").increment(1);
            Ok(())
        }
    }
}

/// The HTTP status an error message names ("HTTP 503 …"), for the log.
fn status_in(error: &str) -> Option<u16> {
    let rest = error.split("HTTP ").nth(1)?;
    rest.get(..3)?.parse().ok()
}
