import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Chart } from 'chart.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricDefinition, MetricSeries, SeriesBucket } from '@/lib/api';
import { json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { MetricDetail } from './metric-detail';

const catalog: MetricDefinition[] = [
  {
    name: 'cash_balance',
    unit: 'currency',
    category: 'financial',
    kind: 'stock',
    good_direction: 'up',
    canonical: true,
    description: 'Cash on hand.',
  },
  {
    name: 'revenue',
    unit: 'currency',
    category: 'financial',
    kind: 'flow',
    good_direction: 'up',
    canonical: true,
    description: 'Income from sales in the period.',
  },
];

/** Month buckets in Berlin time starting at `firstMonth` (1-12) of 2025. */
function months(values: (string | null)[], year = 2025, firstMonth = 9): SeriesBucket[] {
  return values.map((value, i) => {
    const start = new Date(Date.UTC(year, firstMonth - 1 + i, 1) - 3_600_000);
    const end = new Date(Date.UTC(year, firstMonth + i, 1) - 3_600_000);
    return { start: start.toISOString(), end: end.toISOString(), value };
  });
}

function series(overrides: Partial<MetricSeries> = {}): MetricSeries {
  return {
    metric_type: 'cash_balance',
    unit: 'currency',
    kind: 'stock',
    category: 'financial',
    granularity: 'month',
    timezone: 'Europe/Berlin',
    from: '2024-11-30T23:00:00Z',
    to: '2025-11-24T23:00:00Z',
    buckets: months(['48000', null, '51000']),
    ...overrides,
  };
}

function seriesUrls(fetch: ReturnType<typeof mockFetch>) {
  return fetch.mock.calls
    .map(([url]) => new URL(String(url), 'http://localhost'))
    .filter((u) => u.pathname.endsWith('/series'));
}

describe('MetricDetail', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-11-24T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('requests the series with the chosen range, granularity and comparison', async () => {
    signIn('viewer');
    const fetch = mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/cash_balance/series': (_init, url) => {
        const compare = new URL(url, 'http://localhost').searchParams.get('compare');
        const answer = series();
        if (compare) {
          answer.compare = {
            mode: 'previous_year',
            buckets: months(['40000', null, '42500'], 2024),
            changes: [
              { absolute: '8000', percent: '0.2' },
              { absolute: null, percent: null },
              { absolute: '8500', percent: '0.2' },
            ],
          };
        }
        return json(200, answer);
      },
    });
    const u = userEvent.setup();
    renderWithClient(<MetricDetail metricType="cash_balance" />);

    expect(await screen.findByRole('heading', { name: 'Cash balance', level: 1 })).toHaveFocus();
    expect(await screen.findByText(/Cash on hand\. Last value in each period\./)).toBeInTheDocument();
    await screen.findByText(/in November 2025/);
    // The last 12 months in Berlin time, by month.
    const [first] = seriesUrls(fetch);
    expect(first.pathname).toBe('/api/v1/metrics/cash_balance/series');
    expect(Object.fromEntries(first.searchParams)).toEqual({
      from: '2024-11-30T23:00:00Z',
      to: '2025-11-24T23:00:00Z',
      granularity: 'month',
    });

    await u.selectOptions(screen.getByLabelText('Granularity'), 'week');
    await waitFor(() => expect(seriesUrls(fetch)).toHaveLength(2));
    // Weeks start on Monday: the range begins on the Monday before December 1.
    expect(Object.fromEntries(seriesUrls(fetch)[1].searchParams)).toEqual({
      from: '2024-11-24T23:00:00Z',
      to: '2025-11-24T23:00:00Z',
      granularity: 'week',
    });

    await u.selectOptions(screen.getByLabelText('Compare with'), 'previous_year');
    await waitFor(() => expect(seriesUrls(fetch)).toHaveLength(3));
    expect(seriesUrls(fetch)[2].searchParams.get('compare')).toBe('previous_year');
    expect(seriesUrls(fetch)[2].searchParams.get('granularity')).toBe('week');

    // The comparison is drawn and its change shown, with words.
    const legend = await screen.findByRole('list', { name: 'Legend' });
    expect(within(legend).getByText('Previous year')).toBeInTheDocument();
    const canvas = screen.getByRole('img', { name: /compared with the previous year/ }) as HTMLCanvasElement;
    await waitFor(() => expect(Chart.getChart(canvas)?.data.datasets).toHaveLength(2));
    expect(Chart.getChart(canvas)!.data.datasets[1].data).toEqual([40000, null, 42500]);
    expect(screen.getByText('vs November 2024 ($42,500)').closest('p')).toHaveTextContent(
      '▲ +20% (better) vs November 2024 ($42,500)',
    );

    // A shorter range brings its own granularity.
    await u.selectOptions(screen.getByLabelText('Range'), '30d');
    expect(screen.getByLabelText('Granularity')).toHaveValue('day');
    await waitFor(() => expect(seriesUrls(fetch)).toHaveLength(4));
    expect(Object.fromEntries(seriesUrls(fetch)[3].searchParams)).toEqual({
      from: '2025-10-25T22:00:00Z',
      to: '2025-11-24T23:00:00Z',
      granularity: 'day',
      compare: 'previous_year',
    });
  });

  it('draws null buckets as gaps, never as zero', async () => {
    signIn('viewer');
    mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/cash_balance/series': json(200, series()),
    });
    const u = userEvent.setup();
    renderWithClient(<MetricDetail metricType="cash_balance" />);

    const canvas = (await screen.findByRole('img', { name: /Line chart of Cash balance by month/ })) as HTMLCanvasElement;
    await waitFor(() => expect(Chart.getChart(canvas)).toBeDefined());
    const chart = Chart.getChart(canvas)!;
    expect((chart.config as { type?: string }).type).toBe('line');
    expect(chart.data.datasets[0].data).toEqual([48000, null, 51000]);
    expect((chart.data.datasets[0] as { spanGaps?: boolean }).spanGaps).toBe(false);
    expect(chart.data.labels).toEqual(['Sep 2025', 'Oct 2025', 'Nov 2025']);

    await u.click(screen.getByText('Show the numbers'));
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual([
      'PeriodCash balance',
      'September 2025$48,000',
      'October 2025No data',
      'November 2025$51,000',
    ]);
    // The latest bucket is still filling up.
    expect(screen.getByText(/in November 2025 \(so far\)/)).toBeInTheDocument();
  });

  it('uses bars for flows', async () => {
    signIn('viewer');
    mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/revenue/series': json(200, series({ metric_type: 'revenue', kind: 'flow' })),
    });
    renderWithClient(<MetricDetail metricType="revenue" />);
    const canvas = (await screen.findByRole('img', { name: /Bar chart of Revenue/ })) as HTMLCanvasElement;
    await waitFor(() => expect((Chart.getChart(canvas)?.config as { type?: string } | undefined)?.type).toBe('bar'));
    expect(Chart.getChart(canvas)!.data.datasets[0].data).toEqual([48000, null, 51000]);
  });

  it('says so when the range has no data', async () => {
    signIn('viewer');
    mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/cash_balance/series': json(200, series({ buckets: months([null, null, null]) })),
    });
    renderWithClient(<MetricDetail metricType="cash_balance" />);
    expect(
      await screen.findByText(/No data for Cash balance between Dec 1, 2024 – Nov 24, 2025/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
    // The controls stay, to choose another range.
    expect(screen.getByLabelText('Range')).toBeInTheDocument();
  });

  it('tells an unknown metric apart from an error', async () => {
    signIn('viewer');
    mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/nope/series': problem(404, 'No such metric type'),
    });
    renderWithClient(<MetricDetail metricType="nope" />);
    expect(await screen.findByText(/There is no metric called “nope”/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Range')).not.toBeInTheDocument();
  });

  it('applies a custom range of dates, and checks it first', async () => {
    signIn('viewer');
    const fetch = mockFetch({
      'GET /metrics/catalog': json(200, { items: catalog }),
      'GET /metrics/cash_balance/series': json(200, series()),
    });
    const u = userEvent.setup();
    renderWithClient(<MetricDetail metricType="cash_balance" />);
    await screen.findByText(/in November 2025/);

    await u.selectOptions(screen.getByLabelText('Range'), 'custom');
    const from = await screen.findByLabelText('From', {}, { timeout: 3000 });
    const to = screen.getByLabelText('To');
    expect(from).toHaveValue('2024-12-01');
    await u.clear(from);
    await u.type(from, '2025-03-10');
    await u.clear(to);
    await u.type(to, '2025-03-01');
    await u.click(screen.getByRole('button', { name: 'Apply dates' }));
    expect(await screen.findByText('The end date must be on or after the start date')).toBeInTheDocument();
    expect(seriesUrls(fetch)).toHaveLength(1);

    await u.clear(to);
    await u.type(to, '2025-04-20');
    await u.click(screen.getByRole('button', { name: 'Apply dates' }));
    await waitFor(() => expect(seriesUrls(fetch)).toHaveLength(2));
    expect(Object.fromEntries(seriesUrls(fetch)[1].searchParams)).toEqual({
      from: '2025-03-09T23:00:00Z',
      to: '2025-04-20T22:00:00Z',
      granularity: 'day',
    });
    expect(screen.getByRole('heading', { name: 'Mar 10, 2025 – Apr 20, 2025' })).toBeInTheDocument();
  });
});
