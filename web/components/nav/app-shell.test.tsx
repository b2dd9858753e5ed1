import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch, organization, renderWithClient, signIn, user } from '@/test/helpers';
import { AppShell } from './app-shell';

vi.mock('next/navigation', () => ({
  usePathname: () => '/alerts/',
  useRouter: () => ({ replace: vi.fn(), push: vi.fn() }),
}));

function routes(active: number) {
  return {
    'GET /me': json(200, {
      user,
      current_organization: organization,
      role: 'member',
      memberships: [{ organization, role: 'member' }],
    }),
    'GET /alerts/counts': json(200, { active, acknowledged: 1, resolved: 7 }),
  };
}

describe('AppShell', () => {
  it('shows Alerts with a live count of active alerts, in both navigations', async () => {
    signIn('member');
    mockFetch(routes(3));
    renderWithClient(
      <AppShell>
        <p>page</p>
      </AppShell>,
    );
    const badges = await screen.findAllByRole('img', { name: '3 active alerts' });
    // The sidebar and the phone's tab bar.
    expect(badges).toHaveLength(2);
    expect(badges[0]).toHaveTextContent('3');
    for (const nav of screen.getAllByRole('navigation', { name: 'Main' })) {
      const link = within(nav).getByRole('link', { name: 'Alerts 3 active alerts' });
      expect(link).toHaveAttribute('href', '/alerts/');
      expect(link).toHaveAttribute('aria-current', 'page');
    }
  });

  it('shows no badge without active alerts, and says 1 alert in the singular', async () => {
    signIn('member');
    const fetch = mockFetch(routes(0));
    const { unmount } = renderWithClient(
      <AppShell>
        <p>page</p>
      </AppShell>,
    );
    await vi.waitFor(() => expect(fetch.mock.calls.some(([url]) => String(url).endsWith('/alerts/counts'))).toBe(true));
    expect(screen.getAllByRole('link', { name: 'Alerts' })).toHaveLength(2);
    expect(screen.queryByRole('img', { name: /active alert/ })).not.toBeInTheDocument();
    unmount();

    mockFetch(routes(1));
    renderWithClient(
      <AppShell>
        <p>page</p>
      </AppShell>,
    );
    expect(await screen.findAllByRole('img', { name: '1 active alert' })).toHaveLength(2);
  });
});
