import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { MetricSummary } from '@/lib/api';
import { json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { MetricsOverview } from './metrics-overview';

const flat = (v: string | null) => Array.from({ length: 30 }, () => v);

function summary(overrides: Partial<MetricSummary> & Pick<MetricSummary, 'metric_type'>): MetricSummary {
  return {
    unit: 'currency',
    category: 'financial',
    kind: 'stock',
    good_direction: 'up',
    latest: { value: '100', recorded_at: '2025-11-23T12:00:00Z' },
    current: '100',
    previous: '90',
    change: { absolute: '10', percent: '0.111111' },
    sparkline: flat('100'),
    ...overrides,
  };
}

const items: MetricSummary[] = [
  summary({
    metric_type: 'conversion_rate',
    unit: 'ratio',
    category: 'growth',
    kind: 'rate',
    latest: { value: '0.0345', recorded_at: '2025-11-23T00:00:00Z' },
    current: '0.031',
    change: { absolute: '-0.004', percent: '-0.114286' },
  }),
  summary({
    metric_type: 'revenue',
    kind: 'flow',
    latest: { value: '1250.5', recorded_at: '2025-11-23T00:00:00Z' },
    current: '36000',
    previous: '32000',
    change: { absolute: '4000', percent: '0.125' },
    sparkline: [...flat('1200').slice(0, 28), null, '1250.5'],
  }),
  summary({
    metric_type: 'expenses',
    kind: 'flow',
    good_direction: 'down',
    latest: { value: '900', recorded_at: '2025-11-23T00:00:00Z' },
    current: '27000',
    change: { absolute: '2700', percent: '0.1' },
  }),
  summary({
    metric_type: 'active_customers',
    unit: 'count',
    category: 'customer',
    latest: { value: '1204', recorded_at: '2025-11-23T00:00:00Z' },
    change: { absolute: null, percent: null },
  }),
  summary({
    metric_type: 'support_resolution_time_hours',
    unit: 'hours',
    category: 'operational',
    kind: 'rate',
    good_direction: 'down',
    latest: { value: '3.5', recorded_at: '2025-11-23T00:00:00Z' },
    change: { absolute: '0', percent: '0' },
  }),
];

function card(name: string) {
  return screen.getByRole('link', { name }).closest('li')!;
}

describe('MetricsOverview', () => {
  it('groups metrics by category, in a fixed order', async () => {
    signIn('member');
    mockFetch({ 'GET /metrics/summary': json(200, { items }) });
    renderWithClient(<MetricsOverview />);
    await screen.findByRole('heading', { name: 'Financial', level: 2 });
    const categories = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    // Risk has no data, so no section; the CSV import closes the page.
    expect(categories).toEqual(['Financial', 'Customer', 'Operational', 'Growth', 'Import a CSV file']);
    const financial = screen.getByRole('region', { name: 'Financial' });
    expect(within(financial).getAllByRole('listitem')).toHaveLength(2);
    expect(screen.getByRole('link', { name: 'Revenue' })).toHaveAttribute('href', '/metrics/?m=revenue');
  });

  it('formats values by unit in the organization’s currency', async () => {
    signIn('member');
    mockFetch({ 'GET /metrics/summary': json(200, { items }) });
    renderWithClient(<MetricsOverview />);
    await screen.findByRole('link', { name: 'Revenue' });
    expect(within(card('Revenue')).getByText('$1,251')).toBeInTheDocument();
    expect(within(card('Revenue')).getByText('$36,000')).toBeInTheDocument();
    expect(within(card('Revenue')).getByText(/30-day total/)).toBeInTheDocument();
    expect(within(card('Conversion rate')).getByText('3.45%')).toBeInTheDocument();
    expect(within(card('Active customers')).getByText('1,204')).toBeInTheDocument();
    expect(within(card('Support resolution time hours')).getByText('3.5 hours')).toBeInTheDocument();
    expect(within(card('Revenue')).getByTestId('sparkline')).toBeInTheDocument();
  });

  it('says whether each change is better or worse, not by colour alone', async () => {
    signIn('member');
    mockFetch({ 'GET /metrics/summary': json(200, { items }) });
    renderWithClient(<MetricsOverview />);
    await screen.findByRole('link', { name: 'Revenue' });

    const revenue = within(card('Revenue')).getByText(/\+12\.5%/);
    expect(revenue).toHaveTextContent('▲ +12.5% (better)');
    expect(revenue).toHaveClass('text-green-700');
    // Expenses going up is bad.
    const expenses = within(card('Expenses')).getByText(/\+10%/);
    expect(expenses).toHaveTextContent('▲ +10% (worse)');
    expect(expenses).toHaveClass('text-red-700');
    expect(within(card('Conversion rate')).getByText(/-11\.4%/)).toHaveTextContent('▼ -11.4% (worse)');
    expect(within(card('Support resolution time hours')).getByText(/No change/)).toBeInTheDocument();
    expect(within(card('Active customers')).getByText('No earlier data to compare with')).toBeInTheDocument();
    expect(within(card('Revenue')).getByText('vs the 30 days before')).toBeInTheDocument();
  });

  it('explains how to get data when there is none', async () => {
    signIn('admin');
    mockFetch({ 'GET /metrics/summary': json(200, { items: [] }) });
    renderWithClient(<MetricsOverview />);
    expect(await screen.findByRole('heading', { name: 'No metrics yet' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Settings' })).toHaveAttribute('href', '/settings/');
    const curl = screen.getByLabelText('Example API call');
    expect(curl).toHaveTextContent('curl -X POST http://localhost:3000/api/v1/metrics');
    expect(curl).toHaveTextContent('Authorization: Bearer $BHD_API_KEY');
    expect(screen.getByLabelText('Example CSV file')).toHaveTextContent('metric_type,value,recorded_at');
    expect(await screen.findByLabelText('CSV file', {}, { timeout: 3000 })).toBeInTheDocument();
  });

  it('shows a loading skeleton, then an honest error', async () => {
    signIn('viewer');
    mockFetch({ 'GET /metrics/summary': problem(500, 'boom') });
    renderWithClient(<MetricsOverview />);
    expect(screen.getByRole('status', { name: 'Loading metrics…' })).toBeInTheDocument();
    expect(await screen.findByText(/Could not load metrics/)).toBeInTheDocument();
    expect(screen.getByText(/Viewers can read metrics but not import them/)).toBeInTheDocument();
  });
});
