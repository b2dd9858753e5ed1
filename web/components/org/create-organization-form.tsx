'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, type TokenResponse } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { browserTimeZone, currencyOptions, industryOptions, timeZoneOptions } from '@/lib/options';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { ORGANIZATION_LABELS } from '../settings/schemas';
import { Input, Select } from '../ui/field';
import { createOrganizationSchema, type CreateOrganizationValues } from './schemas';

/** Creates an organization (the caller becomes its owner), then switches the session to it. */
export function CreateOrganizationForm({
  defaults,
  onCreated,
  onCancel,
}: {
  defaults?: { currency?: string; timezone?: string };
  onCreated: (tokens: TokenResponse) => void;
  onCancel: () => void;
}) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<CreateOrganizationValues, unknown, CreateOrganizationValues>({
    resolver: zodResolver(createOrganizationSchema),
    defaultValues: {
      name: '',
      industry: 'general',
      currency: defaults?.currency ?? 'USD',
      timezone: defaults?.timezone ?? browserTimeZone(),
    },
  });
  const currencies = useMemo(() => currencyOptions(defaults?.currency), [defaults?.currency]);
  const zones = useMemo(() => timeZoneOptions(defaults?.timezone ?? browserTimeZone()), [defaults?.timezone]);

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    let orgId: string;
    try {
      orgId = (await api.createOrganization(values)).id;
    } catch (error) {
      setFormError(applyServerErrors(error, setError, ORGANIZATION_LABELS));
      return;
    }
    try {
      onCreated(await api.switchOrganization(orgId));
    } catch (error) {
      setFormError(`The organization was created, but switching to it failed: ${applyServerErrors(error, setError, {})}`);
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Create an organization">
      {formError && <Alert tone="error">{formError}</Alert>}
      <Input label="Organization name" autoComplete="organization" error={errors.name?.message} {...register('name')} />
      <Select label="Industry" options={industryOptions} error={errors.industry?.message} {...register('industry')} />
      <Select label="Currency" options={currencies} error={errors.currency?.message} {...register('currency')} />
      <Select label="Time zone" options={zones} error={errors.timezone?.message} {...register('timezone')} />
      <div className="flex flex-col-reverse gap-3 pt-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" loading={isSubmitting}>
          Create organization
        </Button>
      </div>
    </form>
  );
}
