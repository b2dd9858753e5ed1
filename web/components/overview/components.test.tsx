import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { CategoryCards } from './category-cards';
import { DriversList } from './drivers-list';
import { FactorBreakdown } from './factor-breakdown';
import { emptyScore, financial, insights, score } from './fixtures';
import { formatFactorValue, formatScore } from './format';
import { InsightsList } from './insights-list';
import { ScoreGauge } from './score-gauge';

describe('format', () => {
  it('shows scores with one decimal and null as a dash, never zero', () => {
    expect(formatScore(75.13842856850871)).toBe('75.1');
    expect(formatScore(100)).toBe('100.0');
    expect(formatScore(null)).toBe('—');
  });

  it('formats factor values by unit', () => {
    expect(formatFactorValue(-0.02614844679870701, 'ratio', 'USD')).toBe('-2.6%');
    expect(formatFactorValue(14.25, 'months', 'USD')).toBe('14.3 months');
    expect(formatFactorValue(6.115646, 'multiple', 'USD')).toBe('6.12×');
    expect(formatFactorValue(null, 'multiple', 'USD')).toBe('—');
  });
});

describe('ScoreGauge', () => {
  it('is a meter whose label states the score', () => {
    render(<ScoreGauge score={75.13842856850871} />);
    const meter = screen.getByRole('meter', { name: 'Overall health score: 75.1 out of 100, healthy' });
    expect(meter).toHaveAttribute('aria-valuenow', '75.1');
    expect(meter).toHaveAttribute('aria-valuemin', '0');
    expect(meter).toHaveAttribute('aria-valuemax', '100');
    expect(screen.getByText('Healthy')).toBeInTheDocument();
    expect(screen.getByTestId('gauge-value')).toBeInTheDocument();
  });

  it('names the band in words for a low score', () => {
    render(<ScoreGauge score={22} />);
    expect(screen.getByRole('meter', { name: /22\.0 out of 100, at risk/ })).toBeInTheDocument();
  });

  it('says there is not enough data instead of showing zero', () => {
    render(<ScoreGauge score={null} />);
    expect(screen.queryByRole('meter')).not.toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Overall health score: not enough data yet' })).toBeInTheDocument();
    expect(screen.queryByTestId('gauge-value')).not.toBeInTheDocument();
  });
});

describe('CategoryCards', () => {
  it('shows each category with its score and coverage, and the hint for a null one', async () => {
    const onSelect = vi.fn();
    render(<CategoryCards categories={score().categories} selected={null} onSelect={onSelect} />);
    const cards = within(screen.getByRole('list', { name: 'Category scores' })).getAllByRole('listitem');
    expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual([
      'Financial',
      'Customer',
      'Operational',
      'Growth',
      'Risk',
    ]);
    expect(within(cards[0]!).getByText('72.9')).toBeInTheDocument();
    expect(within(cards[0]!).getByText('80%')).toBeInTheDocument();
    expect(within(cards[3]!).getByText('At risk')).toBeInTheDocument();
    const risk = cards[4]!;
    expect(within(risk).getByText('—')).toBeInTheDocument();
    expect(within(risk).getByText('Not enough data')).toBeInTheDocument();
    expect(
      within(risk).getByText('Send or backfill compliance_items_total, compliance_items_ok to unlock the risk score.'),
    ).toBeInTheDocument();

    const open = within(cards[0]!).getByRole('button', { name: 'See financial factors' });
    expect(open).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(open);
    expect(onSelect).toHaveBeenCalledWith('financial');
  });

  it('marks the open category', () => {
    render(<CategoryCards categories={score().categories} selected="financial" onSelect={() => {}} />);
    expect(screen.getByRole('button', { name: 'Showing financial factors' })).toHaveAttribute('aria-expanded', 'true');
  });

  it('gives every category of an empty organization its hint', () => {
    render(<CategoryCards categories={emptyScore().categories} selected={null} onSelect={() => {}} />);
    expect(screen.getAllByText(/^Send or backfill/)).toHaveLength(5);
    expect(screen.getAllByText('Not enough data')).toHaveLength(5);
  });
});

describe('DriversList', () => {
  it('lists the largest changes first and leaves out rounding noise', () => {
    render(<DriversList drivers={score().drivers} />);
    const items = within(screen.getByRole('list', { name: 'Top drivers' })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Net revenue retention');
    expect(items[0]).toHaveTextContent('+1.3 pts (raised the overall)');
    expect(items[0]).toHaveTextContent('factor score 5.0 → 11.7');
    expect(items[1]).toHaveTextContent('Profit margin');
    expect(items[1]).toHaveTextContent('−0.8 pts (lowered the overall)');
    expect(screen.queryByText('Uptime')).not.toBeInTheDocument();
  });

  it('explains why there are no drivers', () => {
    const { rerender } = render(<DriversList drivers={[]} />);
    expect(screen.getByText(/appear once there is an earlier score/)).toBeInTheDocument();
    rerender(<DriversList drivers={score().drivers.slice(2)} />);
    expect(screen.getByText('Nothing moved the score noticeably since the previous calculation.')).toBeInTheDocument();
  });
});

describe('InsightsList', () => {
  it('lists insights by severity with their evidence behind a toggle', async () => {
    render(<InsightsList insights={insights} currency="USD" />);
    const items = within(screen.getByRole('list', { name: 'Insights' })).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('Severity: high');
    expect(items[0]).toHaveTextContent('net revenue retention is 73.9 %');
    expect(items[1]).toHaveTextContent('Severity: medium');

    const profit = items[1]!;
    const details = profit.querySelector('details')!;
    expect(details).not.toHaveAttribute('open');
    await userEvent.click(within(profit).getByText('Evidence'));
    expect(details).toHaveAttribute('open');
    expect(within(profit).getByText('Target value').nextSibling).toHaveTextContent('10%');
    expect(within(profit).getByText('Value').nextSibling).toHaveTextContent('-2.6%');
    expect(within(profit).getByText('Score').nextSibling).toHaveTextContent('34.8');
    expect(within(profit).getByText('Potential').nextSibling).toHaveTextContent('+2.0 pts');
    expect(within(profit).getByText('Factor').nextSibling).toHaveTextContent('Profit margin');
    expect(within(profit).getByRole('link', { name: 'Net profit' })).toHaveAttribute('href', '/metrics/?m=net_profit');
  });

  it('has an honest empty state', () => {
    render(<InsightsList insights={[]} currency="USD" />);
    expect(screen.getByText(/No insights yet/)).toBeInTheDocument();
  });
});

describe('FactorBreakdown', () => {
  it('lists every factor with value, points, weight, benchmark and source, and why one is absent', () => {
    render(<FactorBreakdown category={financial} currency="USD" />);
    expect(screen.getByRole('heading', { name: 'Financial factors', level: 2 })).toBeInTheDocument();
    expect(screen.getByText(/from 2 of 3 factors/)).toBeInTheDocument();
    const items = within(screen.getByRole('list', { name: 'Financial factors' })).getAllByRole('listitem');
    expect(items).toHaveLength(3);

    const runway = items[1]!;
    expect(within(runway).getByRole('heading', { name: 'Cash runway' })).toBeInTheDocument();
    expect(within(runway).getByText('Value').nextSibling).toHaveTextContent('14.3 months');
    expect(within(runway).getByText('Points').nextSibling).toHaveTextContent('80.0');
    expect(within(runway).getByText('Weight').nextSibling).toHaveTextContent('6.3%');
    expect(runway).toHaveTextContent('Benchmark: under 6 months of runway is tight');
    expect(runway).toHaveTextContent('Source: Runway rule of thumb');

    const absent = items[2]!;
    expect(within(absent).getByText('No data')).toBeInTheDocument();
    expect(within(absent).getByText('Value').nextSibling).toHaveTextContent('—');
    expect(within(absent).getByText('Points').nextSibling).toHaveTextContent('—');
    expect(absent).toHaveTextContent('Why it is missing: needs current_assets, current_liabilities');
  });
});
