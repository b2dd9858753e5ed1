import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AlertItem } from '@/lib/api';
import { json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { AlertsView } from './alerts-view';
import { alertItem, catalog, delivery, rule } from './fixtures';

const acknowledged = alertItem({
  id: 'a_2',
  rule_id: 'r_2',
  title: 'Cash balance below 50,000',
  severity: 'critical',
  metric_type: 'cash_balance',
  target: { metric_type: 'cash_balance' },
  threshold_value: '50000',
  current_value: '41000',
  status: 'acknowledged',
  acknowledged_at: new Date(Date.now() - 2 * 3_600_000).toISOString(),
  acknowledged_by: 'u_1',
});

const resolved = alertItem({
  id: 'a_3',
  title: 'Overall score below 40',
  severity: 'low',
  category: 'overall',
  metric_type: null,
  target: { score: 'overall' },
  threshold_value: '40',
  current_value: '38.2',
  status: 'resolved',
  resolved_at: new Date(Date.now() - 26 * 3_600_000).toISOString(),
  resolved_by: 'auto',
});

/** A small server: alerts by status, counts that follow them, and the lifecycle endpoints. */
function server(initial: AlertItem[] = [alertItem(), acknowledged, resolved]) {
  let alerts = initial;
  const counts = () => ({
    active: alerts.filter((a) => a.status === 'active').length,
    acknowledged: alerts.filter((a) => a.status === 'acknowledged').length,
    resolved: alerts.filter((a) => a.status === 'resolved').length,
  });
  const move = (id: string, status: AlertItem['status']) => {
    alerts = alerts.map((a) => (a.id === id ? { ...a, status } : a));
    return json(200, alerts.find((a) => a.id === id));
  };
  const routes = {
    'GET /alerts/counts': () => json(200, counts()),
    'GET /alerts': (_init: RequestInit, url: string) => {
      const status = new URL(url, 'http://x').searchParams.get('status');
      return json(200, alerts.filter((a) => !status || a.status === status));
    },
    'GET /alert-rules': () => json(200, [rule(), rule({ id: 'r_2', name: 'Cash is low', target: { metric_type: 'cash_balance' } })]),
    'GET /metrics/catalog': () => json(200, { items: catalog }),
    'POST /alerts/a_1/acknowledge': () => move('a_1', 'acknowledged'),
    'POST /alerts/a_1/resolve': () => move('a_1', 'resolved'),
    'POST /alerts/a_2/resolve': () => move('a_2', 'resolved'),
    'GET /alerts/a_1/deliveries': () =>
      json(200, [
        delivery(),
        delivery({
          id: 'd_2',
          channel_name: 'Finance inbox',
          channel_kind: 'email',
          status: 'failed',
          attempts: 3,
          response_status: null,
          last_error: 'SMTP 550: mailbox unavailable',
          delivered_at: null,
        }),
      ]),
  };
  return { routes, set: (next: AlertItem[]) => (alerts = next) };
}

const tab = (name: RegExp) => screen.getByRole('tab', { name });

describe('AlertsView', () => {
  it('shows the active alerts first, with counts on every tab', async () => {
    signIn('member');
    mockFetch(server().routes);
    renderWithClient(<AlertsView />);
    expect(screen.getByRole('status', { name: 'Loading alerts' })).toBeInTheDocument();

    const list = await screen.findByRole('list', { name: 'Active alerts' });
    const card = within(list).getByRole('article', { name: 'Revenue below 20,000' });
    expect(within(card).getByText('High')).toBeInTheDocument();
    expect(within(card).getByText(/Revenue over the last 30 days/)).toBeInTheDocument();
    expect(within(card).getByText('Revenue · Financial')).toBeInTheDocument();
    await waitFor(() => expect(within(card).getByText('Rule: Revenue is falling')).toBeInTheDocument());
    // Current against threshold, in the metric's unit.
    expect(within(card).getByText('Current value').nextSibling).toHaveTextContent('$18,251');
    expect(within(card).getByText('Threshold').nextSibling).toHaveTextContent('$20,000');
    const time = within(card).getByText('5 minutes ago');
    expect(time.tagName).toBe('TIME');
    expect(time).toHaveAttribute('title', expect.stringMatching(/\d{4}/));

    await waitFor(() => expect(tab(/^Active/)).toHaveTextContent('Active 1'));
    expect(tab(/^Acknowledged/)).toHaveTextContent('Acknowledged 1');
    expect(tab(/^Resolved/)).toHaveTextContent('Resolved 1');
    await waitFor(() => expect(tab(/^Rules/)).toHaveTextContent('Rules 2'));
    expect(tab(/^Active/)).toHaveAttribute('aria-selected', 'true');
  });

  it('lists acknowledged and resolved alerts on their tabs', async () => {
    signIn('member');
    const fetch = mockFetch(server().routes);
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    await screen.findByRole('list', { name: 'Active alerts' });

    await u.click(tab(/^Acknowledged/));
    const acked = await screen.findByRole('list', { name: 'Acknowledged alerts' });
    const card = within(acked).getByRole('article', { name: 'Cash balance below 50,000' });
    expect(within(card).getByText('Critical')).toBeInTheDocument();
    expect(within(card).getByText(/Acknowledged/)).toHaveTextContent('Acknowledged 2 hours ago by you');
    // Acknowledged: Resolve is still offered, Acknowledge no longer.
    expect(within(card).getByRole('button', { name: 'Resolve' })).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: 'Acknowledge' })).not.toBeInTheDocument();
    expect(fetch.mock.calls.map((c) => String(c[0]))).toContain('/api/v1/alerts?status=acknowledged');

    await u.click(tab(/^Resolved/));
    const done = await screen.findByRole('list', { name: 'Resolved alerts' });
    const old = within(done).getByRole('article', { name: 'Overall score below 40' });
    expect(within(old).getByText('Overall score · Overall')).toBeInTheDocument();
    expect(within(old).getByText(/Resolved by itself when the condition cleared/)).toHaveTextContent(/yesterday|1 day ago/);
    expect(within(old).getByText('Current value').nextSibling).toHaveTextContent('38.2');
    expect(within(old).queryByRole('button', { name: 'Resolve' })).not.toBeInTheDocument();
  });

  it('acknowledges an alert: it moves to the Acknowledged tab and the counts follow', async () => {
    signIn('member');
    const fetch = mockFetch(server().routes);
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    const list = await screen.findByRole('list', { name: 'Active alerts' });
    await u.click(within(list).getByRole('button', { name: 'Acknowledge' }));

    expect(await screen.findByText('Acknowledged “Revenue below 20,000”.')).toBeInTheDocument();
    const post = fetch.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(post?.[0]).toBe('/api/v1/alerts/a_1/acknowledge');
    expect(await screen.findByText(/No active alerts — rules are checked after every ingest and score update/)).toBeInTheDocument();
    await waitFor(() => expect(tab(/^Acknowledged/)).toHaveTextContent('Acknowledged 2'));
    expect(tab(/^Active/)).toHaveTextContent('Active 0');
  });

  it('resolves an alert', async () => {
    signIn('admin');
    const fetch = mockFetch(server().routes);
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    const list = await screen.findByRole('list', { name: 'Active alerts' });
    await u.click(within(list).getByRole('button', { name: 'Resolve' }));
    expect(await screen.findByText('Resolved “Revenue below 20,000”.')).toBeInTheDocument();
    expect(fetch.mock.calls.some(([url, init]) => url === '/api/v1/alerts/a_1/resolve' && init?.method === 'POST')).toBe(true);
    await waitFor(() => expect(tab(/^Resolved/)).toHaveTextContent('Resolved 2'));
  });

  it('says clearly why an illegal transition was refused (409), and refreshes the list', async () => {
    signIn('member');
    const { routes, set } = server();
    let refetched = false;
    mockFetch({
      ...routes,
      'POST /alerts/a_1/acknowledge': () => {
        // Someone else resolved it (or it cleared by itself) a moment ago.
        set([{ ...alertItem(), status: 'resolved' }, acknowledged, resolved]);
        refetched = true;
        return problem(409, 'The alert is already resolved.');
      },
    });
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    const list = await screen.findByRole('list', { name: 'Active alerts' });
    await u.click(within(list).getByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not acknowledge “Revenue below 20,000”: The alert is already resolved. The list now shows where it stands.',
    );
    expect(refetched).toBe(true);
    expect(await screen.findByText(/No active alerts/)).toBeInTheDocument();
    // The message stays while the card has gone.
    expect(screen.getByRole('alert')).toHaveTextContent('already resolved');
  });

  it('shows viewers the alerts without any action', async () => {
    signIn('viewer');
    mockFetch(server().routes);
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    const list = await screen.findByRole('list', { name: 'Active alerts' });
    expect(within(list).getByRole('article', { name: 'Revenue below 20,000' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Resolve' })).not.toBeInTheDocument();
    await u.click(tab(/^Acknowledged/));
    await screen.findByRole('list', { name: 'Acknowledged alerts' });
    expect(screen.queryByRole('button', { name: 'Resolve' })).not.toBeInTheDocument();
    // The delivery log is for everyone.
    expect(screen.getByRole('button', { name: 'Show delivery log' })).toBeInTheDocument();
  });

  it('opens an alert’s delivery log', async () => {
    signIn('member');
    const fetch = mockFetch(server().routes);
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    const list = await screen.findByRole('list', { name: 'Active alerts' });
    const toggle = within(list).getByRole('button', { name: 'Show delivery log' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(fetch.mock.calls.some(([url]) => String(url).endsWith('/deliveries'))).toBe(false);
    await u.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(toggle).toHaveTextContent('Hide delivery log');
    const log = await screen.findByRole('list', { name: 'Deliveries' });
    const rows = within(log).getAllByRole('listitem');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Ops on Slack (Slack)');
    expect(rows[0]).toHaveTextContent('Delivered · HTTP 200');
    expect(rows[0]).toHaveTextContent('1 attempt');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('3 attempts');
    expect(rows[1]).toHaveTextContent('Last error: SMTP 550: mailbox unavailable');
  });

  it('has honest empty states', async () => {
    signIn('member');
    const { routes } = server([]);
    mockFetch({ ...routes, 'GET /alert-rules': json(200, []) });
    const u = userEvent.setup();
    renderWithClient(<AlertsView />);
    expect(
      await screen.findByText(
        'No active alerts — rules are checked after every ingest and score update. There are no enabled rules yet: add one under Rules.',
      ),
    ).toBeInTheDocument();
    await u.click(tab(/^Resolved/));
    expect(await screen.findByText('No resolved alerts yet.')).toBeInTheDocument();
    await u.click(tab(/^Rules/));
    expect(await screen.findByText(/No alert rules yet/)).toBeInTheDocument();
  });

  it('reports a failed load', async () => {
    signIn('member');
    mockFetch({ ...server().routes, 'GET /alerts': problem(403, 'Not allowed here.') });
    renderWithClient(<AlertsView />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load alerts. Not allowed here.');
  });
});
