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
import { loginSchema } from './schemas';

/** Email + password log-in. Bad credentials get one generic message, never a hint which part was wrong. */
export function LoginForm({ onSuccess }: { onSuccess: (tokens: TokenResponse) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm({ resolver: zodResolver(loginSchema), defaultValues: { email: '', password: '' } });

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const tokens = await api.login(values);
      useSession.getState().setTokens(tokens);
      onSuccess(tokens);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setFormError('The email or password is incorrect.');
        return;
      }
      setFormError(applyServerErrors(error, setError, { email: 'Email', password: 'Password' }));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5">
      {formError && <Alert tone="error">{formError}</Alert>}
      <Input
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        error={errors.email?.message}
        {...register('email')}
      />
      <Input
        label="Password"
        type="password"
        autoComplete="current-password"
        error={errors.password?.message}
        {...register('password')}
      />
      <Button type="submit" loading={isSubmitting} className="w-full">
        Log in
      </Button>
    </form>
  );
}
