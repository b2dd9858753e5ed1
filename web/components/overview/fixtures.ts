// Test fixtures shaped like the real answers of `bhd serve` (demo company and an empty one).
import type { CategoryScore, HealthScore, Insight, ScoreFactor } from '@/lib/api';

export function factor(overrides: Partial<ScoreFactor> & Pick<ScoreFactor, 'name'>): ScoreFactor {
  return {
    kpi: 'net profit / revenue',
    unit: 'ratio',
    value: -0.02614844679870701,
    score: 34.7703106402586,
    weight: 1,
    effective_weight: 0.05,
    contribution: 1.7385155320129302,
    benchmark: 'break-even (0 %) scores 40, a 10 % net margin 75, 20 % or more 100',
    source: 'SCORING.md v1 default curve (no external benchmark)',
    confidence: 1,
    optional: false,
    ...overrides,
  };
}

export const financial: CategoryScore = {
  name: 'financial',
  score: 72.87011958572626,
  weight: 25,
  effective_weight: 0.25,
  coverage: 0.8,
  confidence: 1,
  factors: [
    factor({ name: 'profit_margin' }),
    factor({
      name: 'cash_runway',
      kpi: 'cash balance / average monthly net burn (cash-flow positive → 100)',
      unit: 'months',
      value: 14.25,
      score: 80,
      effective_weight: 0.0625,
      contribution: 5,
      benchmark: 'under 6 months of runway is tight (45), 12 months 75, 24 months or more 100',
      source: 'Runway rule of thumb',
    }),
    factor({
      name: 'current_ratio',
      kpi: 'current assets / current liabilities',
      unit: 'multiple',
      value: null,
      score: null,
      effective_weight: 0,
      contribution: 0,
      confidence: null,
      benchmark: 'a current ratio of 2:1 or more scores 100',
      source: 'Rule of thumb: current ratio ≥ 2:1',
      absent_reason: 'needs current_assets, current_liabilities for at least 1 of the 3 complete months (current_assets: no data)',
    }),
  ],
};

const empty = (name: CategoryScore['name'], weight: number, needs: string[]): CategoryScore => ({
  name,
  score: null,
  weight,
  effective_weight: 0,
  coverage: 0,
  confidence: null,
  hint: `Send or backfill ${needs.join(', ')} to unlock the ${name} score.`,
  needs,
  factors: [],
});

export function score(overrides: Partial<HealthScore> = {}): HealthScore {
  const categories: CategoryScore[] = [
    financial,
    { ...financial, name: 'customer', score: 75.30365250197683, coverage: 1, factors: [] },
    { ...financial, name: 'operational', score: 89.66, coverage: 1, effective_weight: 0.2, factors: [] },
    { ...financial, name: 'growth', score: 35.2, coverage: 0.5, effective_weight: 0.2, factors: [] },
    empty('risk', 10, ['compliance_items_total', 'compliance_items_ok']),
  ];
  return {
    id: 's_1',
    overall: 75.13842856850871,
    financial: 72.87011958572626,
    customer: 75.30365250197683,
    operational: 89.66,
    growth: 35.2,
    risk: null,
    coverage: 0.9,
    confidence: 1,
    model_version: '1.0.0',
    industry: 'saas',
    as_of: '2026-10-01',
    calculated_at: '2026-11-24T22:33:31.682389Z',
    weights: { financial: 25, customer: 25, operational: 20, growth: 20, risk: 10 },
    categories,
    drivers: [
      {
        factor: 'profit_margin',
        category: 'financial',
        previous_score: 50,
        current_score: 34.77,
        previous_contribution: 2.5,
        current_contribution: 1.74,
        change: -0.76,
      },
      {
        factor: 'net_revenue_retention',
        category: 'customer',
        previous_score: 5,
        current_score: 11.7,
        previous_contribution: 0.2,
        current_contribution: 0.49,
        change: 1.29,
      },
      {
        factor: 'uptime',
        category: 'operational',
        previous_score: 94.8,
        current_score: 94.8,
        previous_contribution: 3.79,
        current_contribution: 3.79,
        change: 4.4e-16,
      },
    ],
    stored: { overall: 75, financial: 73, customer: 75, operational: 90, growth: 35, risk: null },
    recommendations: [],
    ...overrides,
  };
}

export function emptyScore(): HealthScore {
  return score({
    overall: null,
    financial: null,
    customer: null,
    operational: null,
    growth: null,
    risk: null,
    coverage: 0,
    confidence: null,
    reason: "Only 0 % of the model's weight has data; an overall score needs at least 25 %. Send revenue, net_profit to unlock more.",
    categories: [
      empty('financial', 25, ['revenue', 'net_profit']),
      empty('customer', 25, ['mrr']),
      empty('operational', 20, ['uptime']),
      empty('growth', 20, ['leads']),
      empty('risk', 10, ['compliance_items_total']),
    ],
    drivers: [],
    stored: { overall: null, financial: null, customer: null, operational: null, growth: null, risk: null },
  });
}

export const insights: Insight[] = [
  {
    id: 'i_2',
    kind: 'recommendation',
    severity: 'medium',
    title: 'profit margin is -2.6 %; 10.0 % would score 75 (it scores 35)',
    body: 'Review pricing and the largest cost lines.',
    evidence: {
      benchmark: 'break-even (0 %) scores 40, a 10 % net margin 75, 20 % or more 100',
      factor: 'profit_margin',
      potential: 2.0114844679870703,
      score: 34.7703106402586,
      target_value: 0.1,
      unit: 'ratio',
      value: -0.02614844679870701,
    },
    metrics: ['revenue', 'net_profit'],
    generated_at: '2026-11-24T22:33:31.682389Z',
  },
  {
    id: 'i_1',
    kind: 'recommendation',
    severity: 'high',
    title: 'net revenue retention is 73.9 %; 100.0 % would score 75 (it scores 12)',
    body: 'Build an expansion path.',
    evidence: { factor: 'net_revenue_retention', score: 11.719213862240908, unit: 'ratio', value: 0.7390640462074697 },
    metrics: ['mrr'],
    generated_at: '2026-11-24T22:33:31.682389Z',
  },
];
