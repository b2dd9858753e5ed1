import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { useLiveStatus } from '@/lib/live';
import { json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { emptyScore, insights, score } from './fixtures';
import { OverviewView } from './overview-view';

const history = {
  from: '2025-11-24T00:00:00Z',
  to: '2026-11-24T00:00:00Z',
  items: [
    { id: 'h1', overall: 70.2, financial: 70, customer: 70, operational: 80, growth: 50, risk: null, coverage: 0.9, confidence: 1, model_version: '1.0.0', calculated_at: '2026-09-01T10:00:00Z' },
    { id: 'h2', overall: 75.1, financial: 73, customer: 75, operational: 90, growth: 35, risk: null, coverage: 0.9, confidence: 1, model_version: '1.0.0', calculated_at: '2026-11-24T22:33:31Z' },
  ],
};

function routes(overrides: Record<string, Response> = {}) {
  return {
    'GET /health/score': json(200, score()),
    'GET /health/history': json(200, history),
    'GET /insights': json(200, insights),
    ...overrides,
  };
}

describe('OverviewView', () => {
  it('shows the gauge, five categories, trend, drivers and insights', async () => {
    signIn('member');
    const fetch = mockFetch(routes());
    renderWithClient(<OverviewView />);
    expect(screen.getByRole('status', { name: 'Loading the health score' })).toBeInTheDocument();
    expect(await screen.findByRole('meter', { name: /75\.1 out of 100/ })).toBeInTheDocument();
    expect(screen.getByText(/Health score for the months up to October 2026, calculated/)).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Category scores' })).getAllByRole('listitem')).toHaveLength(5);
    expect(await screen.findByRole('img', { name: /from 70\.2 on .* to 75\.1 on/ })).toBeInTheDocument();
    expect(screen.getByRole('list', { name: 'Top drivers' })).toBeInTheDocument();
    expect(await screen.findByRole('list', { name: 'Insights' })).toBeInTheDocument();
    // The history asks for the last 12 months.
    const url = fetch.mock.calls.map((c) => String(c[0])).find((u) => u.includes('/health/history'))!;
    const params = new URL(url, 'http://x').searchParams;
    const days = (Date.parse(params.get('to')!) - Date.parse(params.get('from')!)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(365);
    expect(days).toBeLessThanOrEqual(366);
  });

  it('shows whether the page is live in its header', async () => {
    signIn('member');
    mockFetch(routes());
    useLiveStatus.setState({ status: 'live' });
    renderWithClient(<OverviewView />);
    await screen.findByRole('meter');
    expect(screen.getAllByRole('status').find((s) => s.textContent === 'Live')).toBeDefined();
  });

  it('asks for insights and history only after the score, which the first request computes', async () => {
    signIn('member');
    const order: string[] = [];
    mockFetch({
      'GET /health/score': () => {
        order.push('score');
        return json(200, score());
      },
      'GET /health/history': () => {
        order.push('history');
        return json(200, history);
      },
      'GET /insights': () => {
        order.push('insights');
        return json(200, insights);
      },
    });
    renderWithClient(<OverviewView />);
    await screen.findByRole('list', { name: 'Insights' });
    expect(order[0]).toBe('score');
    expect(order.slice(1).sort()).toEqual(['history', 'insights']);
  });

  it('opens a category’s factors', async () => {
    signIn('viewer');
    mockFetch(routes());
    renderWithClient(<OverviewView />);
    await userEvent.click(await screen.findByRole('button', { name: 'See financial factors' }));
    const breakdown = screen.getByRole('region', { name: 'Financial factors' });
    expect(within(breakdown).getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual([
      'Profit margin',
      'Cash runway',
      'Current ratio',
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Showing financial factors' }));
    expect(screen.queryByRole('region', { name: 'Financial factors' })).not.toBeInTheDocument();
  });

  it('offers Recalculate to members but not to viewers', async () => {
    signIn('viewer');
    mockFetch(routes());
    const { unmount } = renderWithClient(<OverviewView />);
    await screen.findByRole('meter');
    expect(screen.queryByRole('button', { name: 'Recalculate' })).not.toBeInTheDocument();
    unmount();

    signIn('member');
    let calls = 0;
    const fetch = mockFetch({
      ...routes(),
      'GET /health/score': () => {
        calls += 1;
        // The first read is the old score; after the recalculation a new one is stored.
        return json(200, calls === 1 ? score() : score({ id: 's_2', overall: 80, calculated_at: '2026-11-24T23:00:00Z' }));
      },
      'POST /health/recalculate': json(202, { status: 'accepted' }),
    });
    renderWithClient(<OverviewView />);
    await userEvent.click(await screen.findByRole('button', { name: 'Recalculate' }));
    expect(fetch.mock.calls.some((c) => c[1]?.method === 'POST' && String(c[0]).endsWith('/health/recalculate'))).toBe(true);
    expect(await screen.findByText('Score recalculated.', {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.getByRole('meter', { name: /80\.0 out of 100/ })).toBeInTheDocument();
  });

  it('says so when recalculating fails', async () => {
    signIn('owner');
    mockFetch({ ...routes(), 'POST /health/recalculate': problem(403, 'Viewers cannot recalculate.') });
    renderWithClient(<OverviewView />);
    await userEvent.click(await screen.findByRole('button', { name: 'Recalculate' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not recalculate. Viewers cannot recalculate.');
  });

  it('has an honest empty state that points to Metrics', async () => {
    signIn('owner');
    mockFetch(routes({ 'GET /health/score': json(200, emptyScore()), 'GET /insights': json(200, []) }));
    renderWithClient(<OverviewView />);
    expect(await screen.findByRole('heading', { name: 'No health score yet' })).toBeInTheDocument();
    expect(screen.getByText(/needs at least 25 %/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Metrics' })).toHaveAttribute('href', '/metrics/');
    expect(screen.queryByRole('meter')).not.toBeInTheDocument();
  });

  it('shows a partial score with a reason and the hints', async () => {
    signIn('owner');
    const partial = score({ overall: null, reason: 'Only 20 % of the model’s weight has data.' });
    mockFetch(routes({ 'GET /health/score': json(200, partial) }));
    renderWithClient(<OverviewView />);
    expect(await screen.findByRole('img', { name: 'Overall health score: not enough data yet' })).toBeInTheDocument();
    expect(screen.getByText('Only 20 % of the model’s weight has data.')).toBeInTheDocument();
    expect(screen.getByText(/to unlock the risk score/)).toBeInTheDocument();
  });

  it('reports a failed load', async () => {
    signIn('owner');
    mockFetch(routes({ 'GET /health/score': json(500, { title: 'Internal error' }) }));
    renderWithClient(<OverviewView />);
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Could not load the health score.'));
  });
});
