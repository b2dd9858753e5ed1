'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, type ApiKeyScope, type CreatedApiKey } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Checkbox, Input } from '../ui/field';
import { createApiKeySchema, type CreateApiKeyValues } from './schemas';

const SCOPES: { value: ApiKeyScope; label: string; description: string }[] = [
  { value: 'read', label: 'Read', description: 'Read metrics, scores and alerts' },
  { value: 'ingest', label: 'Ingest', description: 'Push metric points' },
  { value: 'admin', label: 'Admin', description: 'Manage the organization through the API' },
];

/**
 * Creates an API key. The created key (with its secret) goes straight to `onCreated`
 * and is not kept here, so that closing the reveal dialog forgets it.
 */
export function CreateApiKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<CreateApiKeyValues, unknown, CreateApiKeyValues>({ resolver: zodResolver(createApiKeySchema), defaultValues: { name: '', scopes: ['read'] } });

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const created = await api.createApiKey({ name: values.name, scopes: values.scopes });
      reset();
      onCreated(created);
    } catch (error) {
      setFormError(applyServerErrors(error, setError, { name: 'Key name', scopes: 'Scopes' }));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Create an API key">
      {formError && <Alert tone="error">{formError}</Alert>}
      <Input label="Key name" autoComplete="off" error={errors.name?.message} {...register('name')} />
      <fieldset aria-describedby={errors.scopes ? 'api-key-scopes-error' : undefined}>
        <legend className="text-sm font-medium text-gray-900">Scopes</legend>
        <div className="mt-2 grid gap-3 sm:grid-cols-3">
          {SCOPES.map((s) => (
            <Checkbox key={s.value} value={s.value} label={s.label} description={s.description} {...register('scopes')} />
          ))}
        </div>
        {errors.scopes && (
          <p id="api-key-scopes-error" className="mt-1 text-sm text-red-700">
            {errors.scopes.message}
          </p>
        )}
      </fieldset>
      <Button type="submit" loading={isSubmitting}>
        Create key
      </Button>
    </form>
  );
}
