'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { api, type CreateChannelInput, type CreatedNotificationChannel } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Input, Select } from '../ui/field';
import {
  CHANNEL_LABELS,
  channelFieldOf,
  notificationChannelSchema,
  splitEmails,
  type NotificationChannelValues,
} from './schemas';

export const CHANNEL_KIND_LABELS = { email: 'Email', slack: 'Slack', webhook: 'Webhook' } as const;

const EMPTY: NotificationChannelValues = { kind: 'email', name: '', to: '', webhook_url: '', url: '', secret: '' };

function toInput(v: NotificationChannelValues): CreateChannelInput {
  const name = v.name.trim();
  switch (v.kind) {
    case 'email':
      return { kind: 'email', name, config: { to: splitEmails(v.to) } };
    case 'slack':
      return { kind: 'slack', name, config: { webhook_url: v.webhook_url.trim() } };
    case 'webhook':
      return { kind: 'webhook', name, config: { url: v.url.trim(), ...(v.secret ? { secret: v.secret } : {}) } };
  }
}

/**
 * Adds a notification channel. The answer goes to `onCreated`; for a webhook created without
 * a secret it holds the generated one, which the server shows only this once.
 */
export function CreateChannelForm({ onCreated }: { onCreated: (channel: CreatedNotificationChannel) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    getValues,
    control,
    formState: { errors, isSubmitting },
  } = useForm<NotificationChannelValues, unknown, NotificationChannelValues>({
    resolver: zodResolver(notificationChannelSchema),
    defaultValues: EMPTY,
  });
  const kind = useWatch({ control, name: 'kind' });

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const created = await api.createChannel(toInput(values));
      reset({ ...EMPTY, kind: values.kind });
      onCreated(created);
    } catch (error) {
      setFormError(applyServerErrors(error, setError, CHANNEL_LABELS, (f) => channelFieldOf(f, getValues('kind'))));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Add a notification channel">
      {formError && <Alert tone="error">{formError}</Alert>}
      <div className="grid gap-4 sm:grid-cols-[10rem_1fr]">
        <Select
          label={CHANNEL_LABELS.kind}
          options={(['email', 'slack', 'webhook'] as const).map((k) => ({ value: k, label: CHANNEL_KIND_LABELS[k] }))}
          error={errors.kind?.message}
          {...register('kind')}
        />
        <Input label={CHANNEL_LABELS.name} autoComplete="off" error={errors.name?.message} {...register('name')} />
      </div>
      {kind === 'email' && (
        <Input
          label={CHANNEL_LABELS.to}
          type="text"
          inputMode="email"
          autoComplete="off"
          hint="One or more addresses, separated by commas."
          error={errors.to?.message}
          {...register('to')}
        />
      )}
      {kind === 'slack' && (
        <Input
          label={CHANNEL_LABELS.webhook_url}
          type="url"
          inputMode="url"
          autoComplete="off"
          hint="From an incoming webhook of your Slack app: https://hooks.slack.com/services/… It is stored encrypted and never shown again in full."
          error={errors.webhook_url?.message}
          {...register('webhook_url')}
        />
      )}
      {kind === 'webhook' && (
        <>
          <Input
            label={CHANNEL_LABELS.url}
            type="url"
            inputMode="url"
            autoComplete="off"
            hint="Alerts are POSTed here as JSON, signed with the secret."
            error={errors.url?.message}
            {...register('url')}
          />
          <Input
            label={`${CHANNEL_LABELS.secret} (optional)`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            hint="Leave empty to have one generated; it is shown once."
            error={errors.secret?.message}
            {...register('secret')}
          />
        </>
      )}
      <Button type="submit" loading={isSubmitting}>
        Add channel
      </Button>
    </form>
  );
}
