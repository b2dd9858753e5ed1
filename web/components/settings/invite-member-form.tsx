'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, type AddMemberResult, type Role } from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { ROLE_LABELS } from '@/lib/options';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Input, Select } from '../ui/field';
import { inviteMemberSchema, type InviteMemberValues } from './schemas';

/** Adds an existing user at once, or leaves a pending invitation for an unknown email. */
export function InviteMemberForm({
  assignableRoles,
  onInvited,
}: {
  assignableRoles: readonly Role[];
  onInvited?: (result: AddMemberResult) => void;
}) {
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<InviteMemberValues, unknown, InviteMemberValues>({ resolver: zodResolver(inviteMemberSchema), defaultValues: { email: '', role: 'member' } });

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    setNotice(null);
    try {
      const result = await api.addMember({ email: values.email, role: values.role });
      reset({ email: '', role: values.role });
      setNotice(
        result.status === 'added'
          ? `${result.member.email} now has access as ${ROLE_LABELS[result.member.role].toLowerCase()}.`
          : `Invitation pending: ${result.invitation.email} will join as ${ROLE_LABELS[result.invitation.role].toLowerCase()} after signing up.`,
      );
      onInvited?.(result);
    } catch (error) {
      setFormError(applyServerErrors(error, setError, { email: 'Email address', role: 'Role' }));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Invite a member">
      {formError && <Alert tone="error">{formError}</Alert>}
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
        <Input
          label="Email address"
          type="email"
          autoComplete="off"
          inputMode="email"
          error={errors.email?.message}
          {...register('email')}
        />
        <Select
          label="Role"
          options={assignableRoles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
          error={errors.role?.message}
          {...register('role')}
        />
        <Button type="submit" loading={isSubmitting} className="sm:mt-6">
          Invite
        </Button>
      </div>
      {notice && <Alert tone="success">{notice}</Alert>}
    </form>
  );
}
