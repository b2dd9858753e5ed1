'use client';

import { errorMessage } from '@/lib/api';
import { useMetricSummary } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { CsvImportSection } from './csv-import-section';
import { GettingStarted } from './getting-started';
import { SummaryGrid, SummarySkeleton } from './summary-grid';

/** `/metrics/`: every metric's latest value and 30-day change, by category, and the CSV import. */
export function MetricsOverview() {
  const organization = useSession((s) => s.organization);
  const { data, error, isPending } = useMetricSummary();

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-bold text-gray-900">Metrics</h1>
        <p className="mt-1 text-sm text-gray-600">
          The latest value of every metric, and how its last 30 days compare with the 30 days before. Open one to
          explore its history.
        </p>
      </div>
      {isPending ? (
        <SummarySkeleton />
      ) : error ? (
        <Alert tone="error">Could not load metrics. {errorMessage(error)}</Alert>
      ) : data.length === 0 ? (
        <GettingStarted />
      ) : (
        <SummaryGrid
          items={data}
          currency={organization?.currency ?? 'USD'}
          timeZone={organization?.timezone ?? 'UTC'}
        />
      )}
      {/* Always in the same place, so that an import's result survives the first data arriving. */}
      <CsvImportSection />
    </div>
  );
}
