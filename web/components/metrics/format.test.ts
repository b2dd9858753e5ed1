import { describe, expect, it } from 'vitest';
import { bucketPhrase, describeChange, formatBucket, formatValue, humanizeMetric } from './format';
import { alignDate, granularityFor, presetRange, seriesWindow, startOfDay, todayIn } from './range';

describe('formatValue', () => {
  it('formats by unit', () => {
    expect(formatValue('12345.67', 'currency', 'USD')).toBe('$12,346');
    expect(formatValue('12.5', 'currency', 'EUR')).toBe('€12.50');
    expect(formatValue('0.0345', 'ratio', 'USD')).toBe('3.45%');
    expect(formatValue('45', 'percent', 'USD')).toBe('45%');
    expect(formatValue('1204', 'count', 'USD')).toBe('1,204');
    expect(formatValue('3.5', 'hours', 'USD')).toBe('3.5 hours');
    expect(formatValue('1', 'days', 'USD')).toBe('1 day');
    expect(formatValue('-12', 'score', 'USD')).toBe('-12');
    expect(formatValue(null, 'currency', 'USD')).toBe('—');
    expect(formatValue('2500000', 'currency', 'USD', { compact: true })).toBe('$2.5M');
  });

  it('falls back to a plain number for an unknown currency code', () => {
    expect(formatValue('10', 'currency', 'XX')).toBe('10');
  });
});

describe('describeChange', () => {
  it('judges the direction by the metric’s good direction', () => {
    expect(describeChange({ absolute: '250', percent: '0.125' }, 'up', 'currency', 'USD')).toEqual({
      trend: 'up',
      verdict: 'better',
      text: '+12.5%',
    });
    expect(describeChange({ absolute: '250', percent: '0.125' }, 'down', 'currency', 'USD')?.verdict).toBe('worse');
    expect(describeChange({ absolute: '-3', percent: '-0.1' }, 'neutral', 'count', 'USD')).toEqual({
      trend: 'down',
      verdict: 'neutral',
      text: '-10%',
    });
    expect(describeChange({ absolute: '0', percent: '0' }, 'up', 'count', 'USD')?.trend).toBe('flat');
  });

  it('falls back to the absolute change, in points for percentages', () => {
    expect(describeChange({ absolute: '1200', percent: null }, 'up', 'currency', 'USD')?.text).toBe('+$1,200');
    expect(describeChange({ absolute: '0.02', percent: null }, 'up', 'ratio', 'USD')?.text).toBe('+2 pts');
    expect(describeChange({ absolute: null, percent: null }, 'up', 'ratio', 'USD')).toBeNull();
    expect(describeChange(undefined, 'up', 'ratio', 'USD')).toBeNull();
  });
});

describe('humanizeMetric', () => {
  it('reads like words, with acronyms in capitals', () => {
    expect(humanizeMetric('cash_balance')).toBe('Cash balance');
    expect(humanizeMetric('new_mrr')).toBe('New MRR');
    expect(humanizeMetric('nps')).toBe('NPS');
  });
});

describe('formatBucket', () => {
  it('labels buckets in the organization’s time zone', () => {
    // Midnight in Tokyo is the previous day in UTC.
    const start = '2025-03-31T15:00:00Z';
    expect(formatBucket(start, 'day', 'Asia/Tokyo', 'long')).toBe('Apr 1, 2025');
    expect(formatBucket(start, 'week', 'Asia/Tokyo', 'long')).toBe('Week of Apr 1, 2025');
    expect(formatBucket(start, 'month', 'Asia/Tokyo', 'short')).toBe('Apr 2025');
    expect(formatBucket(start, 'quarter', 'Asia/Tokyo', 'short')).toBe('Q2 2025');
    expect(formatBucket(start, 'quarter', 'UTC', 'short')).toBe('Q1 2025');
    expect(formatBucket('2024-12-31T23:00:00Z', 'year', 'Europe/Berlin', 'short')).toBe('2025');
    expect(bucketPhrase(start, 'week', 'Asia/Tokyo')).toBe('the week of Apr 1, 2025');
    expect(bucketPhrase(start, 'month', 'Asia/Tokyo')).toBe('April 2025');
  });
});

describe('ranges', () => {
  it('knows today in the organization’s time zone', () => {
    const now = new Date('2025-11-24T23:30:00Z');
    expect(todayIn('UTC', now)).toBe('2025-11-24');
    expect(todayIn('Asia/Tokyo', now)).toBe('2025-11-25');
    expect(todayIn('Not/AZone', now)).toBe('2025-11-24');
  });

  it('covers whole calendar periods ending today', () => {
    expect(presetRange('30d', '2025-11-24')).toEqual({ from: '2025-10-26', to: '2025-11-24' });
    expect(presetRange('12m', '2025-11-24')).toEqual({ from: '2024-12-01', to: '2025-11-24' });
    expect(presetRange('5y', '2025-11-24')).toEqual({ from: '2020-12-01', to: '2025-11-24' });
  });

  it('starts on a bucket boundary (weeks on Monday)', () => {
    expect(alignDate('2024-12-01', 'week')).toBe('2024-11-25');
    expect(alignDate('2025-11-24', 'week')).toBe('2025-11-24');
    expect(alignDate('2025-11-24', 'quarter')).toBe('2025-10-01');
    expect(alignDate('2025-11-24', 'year')).toBe('2025-01-01');
  });

  it('turns local dates into instants, across daylight saving time', () => {
    expect(startOfDay('2025-01-15', 'Europe/Berlin').toISOString()).toBe('2025-01-14T23:00:00.000Z');
    expect(startOfDay('2025-07-15', 'Europe/Berlin').toISOString()).toBe('2025-07-14T22:00:00.000Z');
    expect(startOfDay('2025-03-30', 'America/New_York').toISOString()).toBe('2025-03-30T04:00:00.000Z');
    // Midnight did not exist in Santiago on 2024-09-08: the day began at 01:00.
    expect(startOfDay('2024-09-08', 'America/Santiago').toISOString()).toBe('2024-09-08T04:00:00.000Z');
    expect(seriesWindow({ from: '2024-12-01', to: '2025-11-24' }, 'month', 'Europe/Berlin')).toEqual({
      from: '2024-11-30T23:00:00Z',
      to: '2025-11-24T23:00:00Z',
    });
  });

  it('picks a readable granularity for custom ranges', () => {
    expect(granularityFor({ from: '2025-01-01', to: '2025-02-15' })).toBe('day');
    expect(granularityFor({ from: '2025-01-01', to: '2025-06-30' })).toBe('week');
    expect(granularityFor({ from: '2023-01-01', to: '2025-06-30' })).toBe('month');
    expect(granularityFor({ from: '2018-01-01', to: '2025-06-30' })).toBe('quarter');
    expect(granularityFor({ from: '2000-01-01', to: '2025-06-30' })).toBe('year');
  });
});
