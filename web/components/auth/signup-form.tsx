'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { ApiError, api, type TokenResponse } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Input } from '../ui/field';
import { PASSWORD_MIN, signupSchema } from './schemas';

const LABELS = { name: 'Name', email: 'Email', organization_name: 'Business name', password: 'Password' };

/** Creates a user and their first organization, then signs them in. */
export function SignupForm({ onSuccess }: { onSuccess: (tokens: TokenResponse) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm({
    resolver: zodResolver(signupSchema),
    defaultValues: { name: '', email: '', organization_name: '', password: '' },
  });

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const tokens = await api.signup(values);
      useSession.getState().setTokens(tokens);
      onSuccess(tokens);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.errors.length === 0) {
        setError('email', { type: 'server', message: error.detail ?? 'This email is already registered.' }, { shouldFocus: true });
        return;
      }
      setFormError(applyServerErrors(error, setError, LABELS));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5">
      {formError && <Alert tone="error">{formError}</Alert>}
      <Input label="Your name" autoComplete="name" error={errors.name?.message} {...register('name')} />
      <Input
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        error={errors.email?.message}
        {...register('email')}
      />
      <Input
        label="Business name"
        autoComplete="organization"
        error={errors.organization_name?.message}
        {...register('organization_name')}
      />
      <Input
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${PASSWORD_MIN} characters.`}
        error={errors.password?.message}
        {...register('password')}
      />
      <Button type="submit" loading={isSubmitting} className="w-full">
        Create account
      </Button>
    </form>
  );
}
