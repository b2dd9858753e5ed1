import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AlertRule } from '@/lib/api';
import { bodyOf, json, mockFetch, renderWithClient, signIn } from '@/test/helpers';
import { catalog, channel, rule } from './fixtures';
import { RulesSection } from './rules-section';

const catalogMap = new Map(catalog.map((m) => [m.name, m]));

const scoreRule = rule({
  id: 'r_2',
  name: 'Health is slipping',
  target: { score: 'overall' },
  condition: { op: 'change_below', value: '-10', window: '30d' },
  severity: 'critical',
  for_evaluations: 1,
  cooldown: '1d',
  channels: [],
  enabled: false,
  is_default: true,
  open_alert: null,
});

function server(initial: AlertRule[] = [rule(), scoreRule]) {
  let rules = initial;
  return {
    'GET /alert-rules': () => json(200, rules),
    'GET /notification-channels': () => json(200, [channel()]),
    'GET /metrics/catalog': () => json(200, { items: catalog }),
    'PATCH /alert-rules/r_1': (init: RequestInit) => {
      rules = rules.map((r) => (r.id === 'r_1' ? { ...r, ...JSON.parse(String(init.body)) } : r));
      return json(200, rules[0]);
    },
    'DELETE /alert-rules/r_2': () => {
      rules = rules.filter((r) => r.id !== 'r_2');
      return json(204);
    },
    'POST /alert-rules': (init: RequestInit) => {
      const created = rule({ ...JSON.parse(String(init.body)), id: 'r_3', open_alert: null });
      rules = [...rules, created];
      return json(201, created);
    },
  };
}

describe('RulesSection', () => {
  it('lists every rule in words, with its badges and channels', async () => {
    signIn('admin');
    mockFetch(server());
    renderWithClient(<RulesSection catalog={catalogMap} />);
    const list = await screen.findByRole('list', { name: 'Alert rules' });
    const [revenue, health] = within(list).getAllByRole('listitem');
    expect(revenue).toHaveTextContent('Revenue 30-day total below $20,000 · high · for 2 checks · cooldown 1h');
    expect(within(revenue).getByText('Alert active')).toBeInTheDocument();
    expect(await within(revenue).findByText('Notifies Ops on Slack.')).toBeInTheDocument();
    expect(within(revenue).getByRole('switch', { name: 'Revenue is falling enabled' })).toHaveAttribute('aria-checked', 'true');

    expect(health).toHaveTextContent('Overall score 30-day change below -10 · critical · cooldown 1d');
    expect(within(health).getByText('Default')).toBeInTheDocument();
    expect(within(health).getByText('Paused')).toBeInTheDocument();
    expect(within(health).getByText('Notifies nobody: shown on this page only.')).toBeInTheDocument();
  });

  it('pauses a rule with its switch', async () => {
    signIn('owner');
    const fetch = mockFetch(server());
    const u = userEvent.setup();
    renderWithClient(<RulesSection catalog={catalogMap} />);
    const toggle = await screen.findByRole('switch', { name: 'Revenue is falling enabled' });
    await u.click(toggle);
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'false'));
    const patch = fetch.mock.calls.findIndex(([, init]) => init?.method === 'PATCH');
    expect(fetch.mock.calls[patch][0]).toBe('/api/v1/alert-rules/r_1');
    expect(bodyOf(fetch, patch)).toEqual({ enabled: false });
  });

  it('creates a rule in a dialog', async () => {
    signIn('admin');
    mockFetch(server());
    const u = userEvent.setup();
    renderWithClient(<RulesSection catalog={catalogMap} />);
    await screen.findByRole('list', { name: 'Alert rules' });
    await u.click(screen.getByRole('button', { name: 'New rule' }));
    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    await u.type(within(dialog).getByLabelText('Name'), 'Slow support');
    await waitFor(() => expect(within(dialog).getByRole('option', { name: 'Support resolution time hours' })).toBeInTheDocument());
    await u.selectOptions(within(dialog).getByLabelText('Metric'), 'support_resolution_time_hours');
    await u.selectOptions(within(dialog).getByLabelText('Condition'), 'above');
    await u.type(within(dialog).getByLabelText('Value'), '1000');
    await u.click(within(dialog).getByRole('button', { name: 'Create rule' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByText('Created “Slow support”.')).toBeInTheDocument();
    const list = await screen.findByRole('list', { name: 'Alert rules' });
    await waitFor(() =>
      expect(within(list).getAllByRole('listitem')[2]).toHaveTextContent(
        'Support resolution time hours (latest) above 1,000 hours · medium · cooldown 1h',
      ),
    );
  });

  it('deletes a rule after confirmation', async () => {
    signIn('admin');
    const fetch = mockFetch(server());
    const u = userEvent.setup();
    renderWithClient(<RulesSection catalog={catalogMap} />);
    await u.click(await screen.findByRole('button', { name: 'Delete Health is slipping' }));
    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    expect(dialog).toHaveTextContent('Delete “Health is slipping”?');
    await u.click(within(dialog).getByRole('button', { name: 'Delete rule' }));
    await waitFor(() => expect(screen.queryByText('Health is slipping')).not.toBeInTheDocument());
    expect(fetch.mock.calls.some(([url, init]) => url === '/api/v1/alert-rules/r_2' && init?.method === 'DELETE')).toBe(true);
  });

  it('lets members and viewers read the rules but not change them', async () => {
    signIn('member');
    const fetch = mockFetch(server());
    renderWithClient(<RulesSection catalog={catalogMap} />);
    const list = await screen.findByRole('list', { name: 'Alert rules' });
    expect(screen.getByText('Only owners and admins can change alert rules.')).toBeInTheDocument();
    expect(within(list).getAllByRole('listitem')[0]).toHaveTextContent('Notifies 1 channel.');
    expect(screen.queryByRole('button', { name: 'New rule' })).not.toBeInTheDocument();
    expect(screen.queryByRole('switch')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Edit / })).not.toBeInTheDocument();
    // The channels are an admin's business: not even asked for.
    expect(fetch.mock.calls.some(([url]) => String(url).includes('/notification-channels'))).toBe(false);
  });
});
