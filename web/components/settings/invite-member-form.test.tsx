import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { bodyOf, json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { InviteMemberForm } from './invite-member-form';

const roles = ['admin', 'member', 'viewer'] as const;

describe('InviteMemberForm', () => {
  it('validates the email address', async () => {
    const fetch = mockFetch({});
    const u = userEvent.setup();
    renderWithClient(<InviteMemberForm assignableRoles={roles} />);
    await u.click(screen.getByRole('button', { name: 'Invite' }));
    expect(await screen.findByText('Enter an email address')).toBeInTheDocument();
    await u.type(screen.getByLabelText('Email address'), 'bob@');
    await u.click(screen.getByRole('button', { name: 'Invite' }));
    expect(await screen.findByText('Enter a valid email address')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('posts email and role, and reports a pending invitation', async () => {
    signIn('admin');
    const fetch = mockFetch({
      'POST /organization/members': json(201, {
        status: 'invited',
        invitation: { id: 'i_1', email: 'bob@example.com', role: 'viewer', created_at: '2025-02-01T00:00:00Z' },
      }),
    });
    const onInvited = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<InviteMemberForm assignableRoles={roles} onInvited={onInvited} />);
    await u.type(screen.getByLabelText('Email address'), 'bob@example.com');
    await u.selectOptions(screen.getByLabelText('Role'), 'viewer');
    await u.click(screen.getByRole('button', { name: 'Invite' }));
    await waitFor(() => expect(onInvited).toHaveBeenCalled());
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/organization/members');
    expect(bodyOf(fetch)).toEqual({ email: 'bob@example.com', role: 'viewer' });
    expect(await screen.findByText(/Invitation pending: bob@example.com will join as viewer/)).toBeInTheDocument();
    expect(screen.getByLabelText('Email address')).toHaveValue('');
  });

  it('reports an existing user added at once', async () => {
    signIn('admin');
    mockFetch({
      'POST /organization/members': json(201, {
        status: 'added',
        member: { user_id: 'u_2', email: 'eve@example.com', name: 'Eve', role: 'member', joined_at: '2025-02-01T00:00:00Z' },
      }),
    });
    const u = userEvent.setup();
    renderWithClient(<InviteMemberForm assignableRoles={roles} />);
    await u.type(screen.getByLabelText('Email address'), 'eve@example.com');
    await u.click(screen.getByRole('button', { name: 'Invite' }));
    expect(await screen.findByText('eve@example.com now has access as member.')).toBeInTheDocument();
  });

  it('shows server field errors next to their fields', async () => {
    signIn('admin');
    mockFetch({
      'POST /organization/members': problem(422, 'Invalid input', [
        { field: 'email', message: 'Already a member of this organization' },
      ]),
    });
    const u = userEvent.setup();
    renderWithClient(<InviteMemberForm assignableRoles={roles} />);
    await u.type(screen.getByLabelText('Email address'), 'ada@example.com');
    await u.click(screen.getByRole('button', { name: 'Invite' }));
    expect(await screen.findByText('Already a member of this organization')).toBeInTheDocument();
    expect(screen.getByLabelText('Email address')).toHaveAttribute('aria-invalid', 'true');
  });
});
