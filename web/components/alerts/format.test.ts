import { describe, expect, it } from 'vitest';
import { catalog, rule } from './fixtures';
import { describeCondition, opsFor, relativeTime, summarizeRule, windowPhrase } from './format';

const revenue = catalog[0];
const hours = catalog[1];
const cash = catalog[2];

describe('rules in words', () => {
  it('summarizes a rule the way the list shows it', () => {
    expect(summarizeRule(rule(), revenue, 'USD')).toBe('Revenue 30-day total below $20,000 · high · for 2 checks · cooldown 1h');
    expect(summarizeRule(rule({ for_evaluations: 1, for_duration: '30m', severity: 'low' }), revenue, 'EUR')).toBe(
      'Revenue 30-day total below €20,000 · low · for 30m · cooldown 1h',
    );
  });

  it('reads each condition by target and window', () => {
    const latest = { op: 'above', value: '1000' } as const;
    expect(describeCondition({ metric_type: 'support_resolution_time_hours' }, latest, hours, 'USD')).toBe(
      'Support resolution time hours (latest) above 1,000 hours',
    );
    expect(describeCondition({ metric_type: 'support_resolution_time_hours' }, { ...latest, window: '7d' }, hours, 'USD')).toBe(
      'Support resolution time hours 7-day average above 1,000 hours',
    );
    expect(describeCondition({ metric_type: 'cash_balance' }, { op: 'below', value: '50000', window: '4w' }, cash, 'USD')).toBe(
      'Cash balance over 4 weeks below $50,000',
    );
    expect(
      describeCondition({ metric_type: 'revenue' }, { op: 'change_pct_below', value: '-10', window: '30d' }, revenue, 'USD'),
    ).toBe('Revenue 30-day change below -10 %');
    expect(describeCondition({ metric_type: 'revenue' }, { op: 'anomaly', window: null }, revenue, 'USD')).toBe(
      'Revenue looks anomalous against the last 7 days',
    );
    expect(describeCondition({ score: 'financial' }, { op: 'below', value: '40' }, undefined, 'USD')).toBe(
      'Financial score below 40',
    );
    expect(describeCondition({ factor: 'cash_runway' }, { op: 'below', value: '6' }, undefined, 'USD')).toBe(
      'Cash runway below 6',
    );
    // A metric the catalogue does not know: the plain number.
    expect(describeCondition({ metric_type: 'widgets' }, { op: 'above', value: '12.5' }, undefined, 'USD')).toBe(
      'Widgets (latest) above 12.5',
    );
  });

  it('offers the conditions each target supports', () => {
    expect(opsFor('metric')).toContain('anomaly');
    expect(opsFor('score')).not.toContain('anomaly');
    expect(opsFor('factor')).toEqual(['above', 'below']);
  });

  it('reads windows', () => {
    expect(windowPhrase('30d')).toBe('30 days');
    expect(windowPhrase('1w')).toBe('1 week');
    expect(windowPhrase('3q')).toBe('3q');
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('says how long ago, in the largest fitting unit', () => {
    expect(relativeTime('2026-11-24T11:59:40Z', now)).toBe('just now');
    expect(relativeTime('2026-11-24T11:55:00Z', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-11-24T09:00:00Z', now)).toBe('3 hours ago');
    expect(relativeTime('2026-11-23T10:00:00Z', now)).toBe('yesterday');
    expect(relativeTime('2026-08-20T12:00:00Z', now)).toBe('3 months ago');
    expect(relativeTime('not a date', now)).toBe('not a date');
  });
});
