import type { Metadata } from 'next';
import { Suspense } from 'react';
import { MetricsView } from '@/components/metrics/metrics-view';
import { SummarySkeleton } from '@/components/metrics/summary-grid';

export const metadata: Metadata = { title: 'Metrics' };

export default function MetricsPage() {
  // The search parameters exist only in the browser: a static export renders the fallback.
  return (
    <Suspense fallback={<SummarySkeleton />}>
      <MetricsView />
    </Suspense>
  );
}
