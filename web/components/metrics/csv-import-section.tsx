'use client';

import { canWriteMetrics } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Section } from '../ui/card';
import { CsvImportForm } from './csv-import-form';

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
