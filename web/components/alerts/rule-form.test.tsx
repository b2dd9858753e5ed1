import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { bodyOf, json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { score } from '../overview/fixtures';
import { catalog, channel, rule } from './fixtures';
import { RuleForm } from './rule-form';
import { alertRuleSchema, NEW_RULE } from './schemas';

const routes = {
  'GET /metrics/catalog': json(200, { items: catalog }),
  'GET /notification-channels': json(200, [
    channel(),
    channel({ id: 'c_2', kind: 'email', name: 'Finance inbox', config: { to: ['cfo@example.com'] }, secret_hint: null }),
  ]),
  'GET /health/score': json(200, score()),
};

function options(select: HTMLElement) {
  return within(select).getAllByRole('option').map((o) => (o as HTMLOptionElement).value);
}

async function fillRevenueRule(u: ReturnType<typeof userEvent.setup>) {
  await u.type(screen.getByLabelText('Name'), 'Revenue is falling');
  await waitFor(() => expect(options(screen.getByLabelText('Metric'))).toContain('revenue'));
  await u.selectOptions(screen.getByLabelText('Metric'), 'revenue');
}

describe('RuleForm', () => {
  it('asks for a value unless the condition is an anomaly', async () => {
    signIn('admin');
    const fetch = mockFetch(routes);
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={vi.fn()} onCancel={vi.fn()} />);
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    expect(await screen.findByText('Name the rule, e.g. “Revenue is falling”')).toBeInTheDocument();
    expect(screen.getByLabelText('Metric')).toHaveAccessibleDescription(/Choose a metric/);
    expect(screen.getByLabelText('Value')).toHaveAccessibleDescription(/Enter a value/);

    await fillRevenueRule(u);
    await u.type(screen.getByLabelText('Value'), '20k');
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    expect(await screen.findByText('Enter a number, such as 20000 or -5.5')).toBeInTheDocument();

    // An anomaly has no value at all.
    await u.selectOptions(screen.getByLabelText('Condition'), 'anomaly');
    expect(screen.queryByLabelText('Value')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Window')).toHaveDisplayValue('Last 7 days (default)');
    expect(fetch.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);
  });

  it('needs a window for a change', async () => {
    signIn('admin');
    mockFetch({ ...routes, 'POST /alert-rules': json(201, rule()) });
    const onSaved = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={onSaved} onCancel={vi.fn()} />);
    await fillRevenueRule(u);
    await u.selectOptions(screen.getByLabelText('Condition'), 'change_pct_below');
    await u.type(screen.getByLabelText('Value'), '-10');
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    expect(await screen.findByText('Choose the window the change is measured over')).toBeInTheDocument();
    expect(screen.getByLabelText('Window')).toHaveAttribute('aria-invalid', 'true');
    expect(onSaved).not.toHaveBeenCalled();

    await u.selectOptions(screen.getByLabelText('Window'), '30d');
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
  });

  it('offers anomaly detection on metrics only, and no changes on factors', async () => {
    signIn('admin');
    mockFetch(routes);
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={vi.fn()} onCancel={vi.fn()} />);
    expect(options(screen.getByLabelText('Condition'))).toContain('anomaly');

    await u.selectOptions(screen.getByLabelText('Condition'), 'anomaly');
    await u.selectOptions(screen.getByLabelText('Watch'), 'score');
    expect(options(screen.getByLabelText('Condition'))).not.toContain('anomaly');
    expect(options(screen.getByLabelText('Condition'))).toContain('change_pct_below');
    // The condition fell back to one the score supports.
    expect(screen.getByLabelText('Condition')).toHaveValue('below');
    expect(options(screen.getByLabelText('Score'))).toEqual(['overall', 'financial', 'customer', 'operational', 'growth', 'risk']);

    await u.selectOptions(screen.getByLabelText('Watch'), 'factor');
    expect(options(screen.getByLabelText('Condition'))).toEqual(['above', 'below']);
    // Factor names come from the latest score's breakdown.
    await waitFor(() => expect(options(screen.getByLabelText('Factor'))).toEqual(['', 'profit_margin', 'cash_runway', 'current_ratio']));
    expect(screen.getByRole('option', { name: 'Cash runway' })).toBeInTheDocument();
  });

  it('mirrors the server: the schema refuses an anomaly on a score and a change on a factor', () => {
    const anomaly = alertRuleSchema.safeParse({ ...NEW_RULE, name: 'x', target_kind: 'score', op: 'anomaly' });
    expect(anomaly.success).toBe(false);
    expect(anomaly.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['op'], message: 'Anomaly detection works on metrics only' }),
    );
    const change = alertRuleSchema.safeParse({
      ...NEW_RULE,
      name: 'x',
      target_kind: 'factor',
      factor: 'cash_runway',
      op: 'change_below',
      value: '-1',
      window: '30d',
    });
    expect(change.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['op'], message: 'Changes over a window work on metrics and scores only' }),
    );
    const ok = alertRuleSchema.safeParse({ ...NEW_RULE, name: 'x', target_kind: 'factor', factor: 'cash_runway', value: '6' });
    expect(ok.success).toBe(true);
    const badDuration = alertRuleSchema.safeParse({ ...NEW_RULE, name: 'x', metric_type: 'revenue', value: '1', cooldown: '1 hour' });
    expect(badDuration.error?.issues).toContainEqual(expect.objectContaining({ path: ['cooldown'] }));
    const tooMany = alertRuleSchema.safeParse({ ...NEW_RULE, name: 'x', metric_type: 'revenue', value: '1', for_evaluations: '101' });
    expect(tooMany.error?.issues).toContainEqual(expect.objectContaining({ path: ['for_evaluations'] }));
  });

  it('creates a rule with the body the server expects', async () => {
    signIn('admin');
    const fetch = mockFetch({ ...routes, 'POST /alert-rules': json(201, rule()) });
    const onSaved = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={onSaved} onCancel={vi.fn()} />);
    await fillRevenueRule(u);
    await u.type(screen.getByLabelText('Value'), '20000');
    await u.selectOptions(screen.getByLabelText('Window'), '30d');
    await u.selectOptions(screen.getByLabelText('Severity'), 'high');
    await u.clear(screen.getByLabelText('Checks in a row'));
    await u.type(screen.getByLabelText('Checks in a row'), '2');
    await u.click(await screen.findByLabelText('Ops on Slack'));
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(rule()));
    const post = fetch.mock.calls.findIndex(([, init]) => init?.method === 'POST');
    expect(fetch.mock.calls[post][0]).toBe('/api/v1/alert-rules');
    expect(bodyOf(fetch, post)).toEqual({
      name: 'Revenue is falling',
      target: { metric_type: 'revenue' },
      condition: { op: 'below', value: '20000', window: '30d' },
      severity: 'high',
      for_evaluations: 2,
      for_duration: '0s',
      cooldown: '1h',
      channels: ['c_1'],
      enabled: true,
    });
  });

  it('sends an anomaly without a value', async () => {
    signIn('admin');
    const fetch = mockFetch({ ...routes, 'POST /alert-rules': json(201, rule()) });
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={vi.fn()} onCancel={vi.fn()} />);
    await fillRevenueRule(u);
    await u.selectOptions(screen.getByLabelText('Condition'), 'anomaly');
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    await waitFor(() => expect(fetch.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true));
    const post = fetch.mock.calls.findIndex(([, init]) => init?.method === 'POST');
    expect((bodyOf(fetch, post) as { condition: unknown }).condition).toEqual({ op: 'anomaly', window: null });
  });

  it('puts the server’s field errors on the fields', async () => {
    signIn('admin');
    mockFetch({
      ...routes,
      'POST /alert-rules': problem(422, 'The rule is not valid.', [
        { field: 'condition.value', message: 'must be at most 1e15' },
        { field: 'target', message: 'Unknown metric type for this organization' },
        { field: 'cooldown', message: 'must be at most 30d' },
      ]),
    });
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={null} onSaved={vi.fn()} onCancel={vi.fn()} />);
    await fillRevenueRule(u);
    await u.type(screen.getByLabelText('Value'), '99999999999999999');
    await u.click(screen.getByRole('button', { name: 'Create rule' }));
    expect(await screen.findByText('Value must be at most 1e15')).toBeInTheDocument();
    expect(screen.getByLabelText('Value')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Metric')).toHaveAccessibleDescription(/Unknown metric type for this organization/);
    expect(screen.getByLabelText('Cooldown')).toHaveAccessibleDescription(/Cooldown must be at most 30d/);
    // Every error found its field: no form-level message.
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('edits a rule with PATCH, starting from its values', async () => {
    signIn('owner');
    const existing = rule({ condition: { op: 'change_below', value: '-5000', window: '4w' } });
    const fetch = mockFetch({ ...routes, 'PATCH /alert-rules/r_1': json(200, existing) });
    const onSaved = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<RuleForm rule={existing} onSaved={onSaved} onCancel={vi.fn()} />);
    expect(screen.getByLabelText('Name')).toHaveValue('Revenue is falling');
    expect(screen.getByLabelText('Condition')).toHaveValue('change_below');
    expect(screen.getByLabelText('Value')).toHaveValue('-5000');
    expect(screen.getByLabelText('Window')).toHaveValue('4w');
    expect(screen.getByLabelText('Checks in a row')).toHaveValue('2');
    expect(await screen.findByLabelText('Ops on Slack')).toBeChecked();
    await waitFor(() => expect(screen.getByLabelText('Metric')).toHaveValue('revenue'));
    await u.clear(screen.getByLabelText('Name'));
    await u.type(screen.getByLabelText('Name'), 'Revenue drops');
    await u.click(screen.getByRole('button', { name: 'Save rule' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const patch = fetch.mock.calls.findIndex(([, init]) => init?.method === 'PATCH');
    expect(bodyOf(fetch, patch)).toMatchObject({
      name: 'Revenue drops',
      condition: { op: 'change_below', value: '-5000', window: '4w' },
    });
  });
});
