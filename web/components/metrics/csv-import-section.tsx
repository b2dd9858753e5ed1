'use client';

import dynamic from 'next/dynamic';
import { canWriteMetrics } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Section } from '../ui/card';
import { Loading } from '../ui/spinner';

// Fetched after the first render: the form (React Hook Form, Zod) stays out of the first load.
const CsvImportForm = dynamic(() => import('./csv-import-form').then((m) => m.CsvImportForm), {
  ssr: false,
  loading: () => <Loading label="Loading the import form…" />,
});

export function CsvImportSection() {
  const role = useSession((s) => s.role);
  return (
    <Section
      id="csv-import"
      title="Import a CSV file"
      description="A header row, then one value per row. Sending a row again replaces its value instead of adding a copy."
    >
      {canWriteMetrics(role) ? (
        <CsvImportForm />
      ) : (
        <Alert tone="info">Viewers can read metrics but not import them. Ask an admin for the member role.</Alert>
      )}
    </Section>
  );
}
