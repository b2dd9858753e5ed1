import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { bodyOf, json, mockFetch, renderWithClient, signIn } from '@/test/helpers';
import { MembersSection } from './members-section';

const me = { user_id: 'u_1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'owner', joined_at: '2025-01-01T00:00:00Z' };
const bob = { user_id: 'u_2', email: 'bob@example.com', name: 'Bob', role: 'member', joined_at: '2025-01-02T00:00:00Z' };

describe('MembersSection', () => {
  it('lists members and pending invitations; you cannot change your own role', async () => {
    signIn('owner');
    mockFetch({
      'GET /organization/members': json(200, {
        items: [me, bob],
        invitations: [{ id: 'i_1', email: 'carol@example.com', role: 'viewer', created_at: '2025-02-01T00:00:00Z' }],
      }),
    });
    renderWithClient(<MembersSection />);
    const members = await screen.findByRole('list', { name: 'Members' });
    expect(within(members).getByText('(you)')).toBeInTheDocument();
    expect(screen.queryByLabelText('Role for ada@example.com')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Role for bob@example.com')).toHaveValue('member');
    const pending = screen.getByRole('list', { name: 'Pending invitations' });
    expect(within(pending).getByText('carol@example.com')).toBeInTheDocument();
  });

  it('changes a role and removes a member after confirmation', async () => {
    signIn('owner');
    let items = [me, bob];
    const fetch = mockFetch({
      'GET /organization/members': () => json(200, { items, invitations: [] }),
      'PATCH /organization/members/u_2': (init) => {
        items = [me, { ...bob, role: JSON.parse(String(init.body)).role }];
        return json(200, items[1]);
      },
      'DELETE /organization/members/u_2': () => {
        items = [me];
        return json(204);
      },
    });
    const u = userEvent.setup();
    renderWithClient(<MembersSection />);
    await u.selectOptions(await screen.findByLabelText('Role for bob@example.com'), 'admin');
    await waitFor(() => expect(screen.getByLabelText('Role for bob@example.com')).toHaveValue('admin'));
    const patch = fetch.mock.calls.findIndex(([url, init]) => String(url).endsWith('/u_2') && init?.method === 'PATCH');
    expect(bodyOf(fetch, patch)).toEqual({ role: 'admin' });

    await u.click(screen.getByRole('button', { name: 'Remove bob@example.com' }));
    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    await u.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    await waitFor(() => expect(screen.queryByText('bob@example.com')).not.toBeInTheDocument());
    expect(screen.getByText('No pending invitations.')).toBeInTheDocument();
  });

  it('tells members and viewers that membership is for admins', () => {
    signIn('member');
    const fetch = mockFetch({});
    renderWithClient(<MembersSection />);
    expect(screen.getByText('Only owners and admins can see and manage members.')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });
});
