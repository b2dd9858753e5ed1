'use client';

import { useSearchParams } from 'next/navigation';
import { MetricDetail } from './metric-detail';
import { MetricsOverview } from './metrics-overview';

/** `/metrics/` lists every metric; `/metrics/?m=<type>` shows one (a static export has no dynamic segments). */
export function MetricsView() {
  const metric = useSearchParams().get('m');
  // Keyed by the metric so that each one starts with its own default range.
  return metric ? <MetricDetail key={metric} metricType={metric} /> : <MetricsOverview />;
}
