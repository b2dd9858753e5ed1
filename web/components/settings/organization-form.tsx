'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, type Organization } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { currencyOptions, industryOptions, timeZoneOptions } from '@/lib/options';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Input, Select } from '../ui/field';
import { ORGANIZATION_LABELS, organizationSchema } from './schemas';


function valuesOf(org: Organization) {
  return { name: org.name, industry: org.industry, currency: org.currency, timezone: org.timezone };
}

/** Name, industry, currency and time zone of the current organization (admin+ may save). */
export function OrganizationForm({
  organization,
  canEdit,
  onSaved,
}: {
  organization: Organization;
  canEdit: boolean;
  onSaved?: (organization: Organization) => void;
}) {
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm({ resolver: zodResolver(organizationSchema), defaultValues: valuesOf(organization) });

  // The saved values are always among the choices, even if this browser does not list them.
  const currencies = useMemo(() => currencyOptions(organization.currency), [organization.currency]);
  const zones = useMemo(() => timeZoneOptions(organization.timezone), [organization.timezone]);

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    setSaved(false);
    try {
      const updated = await api.updateOrganization(values);
      reset(valuesOf(updated));
      setSaved(true);
      onSaved?.(updated);
    } catch (error) {
      setFormError(applyServerErrors(error, setError, ORGANIZATION_LABELS));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5" onChange={() => setSaved(false)}>
      {!canEdit && (
        <Alert tone="info">Only owners and admins can change these settings.</Alert>
      )}
      {formError && <Alert tone="error">{formError}</Alert>}
      <fieldset disabled={!canEdit} className="grid gap-5 sm:grid-cols-2">
        <Input label="Organization name" autoComplete="organization" error={errors.name?.message} {...register('name')} />
        <Select
          label="Industry"
          hint="Sets which benchmarks the health score uses."
          options={industryOptions}
          error={errors.industry?.message}
          {...register('industry')}
        />
        <Select label="Currency" options={currencies} error={errors.currency?.message} {...register('currency')} />
        <Select
          label="Time zone"
          hint="Days, weeks and months are cut in this time zone."
          options={zones}
          error={errors.timezone?.message}
          {...register('timezone')}
        />
      </fieldset>
      {canEdit && (
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" loading={isSubmitting}>
            Save changes
          </Button>
          <p role="status" className="text-sm text-green-800">
            {saved ? 'Saved.' : ''}
          </p>
        </div>
      )}
    </form>
  );
}
