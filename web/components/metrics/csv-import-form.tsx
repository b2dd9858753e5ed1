'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, errorMessage, type ImportResult } from '@/lib/api';
import { queryKeys, useOrgId } from '@/lib/queries';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Input } from '../ui/field';
import { csvImportSchema, type CsvImportValues } from './schemas';

/** Rejected lines shown at most; the count says how many more there were. */
const MAX_REJECTED_ROWS = 200;

/**
 * Sends a CSV file as is (`text/csv`) and shows what the server made of it: accepted,
 * updated, and every rejected line with its reason. Fresh data invalidates every metric query.
 */
export function CsvImportForm() {
  const orgId = useOrgId();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ fileName: string; result: ImportResult } | null>(null);
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<CsvImportValues, unknown, CsvImportValues>({ resolver: zodResolver(csvImportSchema) });

  const onSubmit = handleSubmit(async ({ file }) => {
    const chosen = file[0];
    setFormError(null);
    setOutcome(null);
    try {
      const result = await api.importMetricsCsv(chosen);
      setOutcome({ fileName: chosen.name, result });
      reset();
      if (result.accepted > 0 || result.updated > 0) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.metrics(orgId) });
      }
    } catch (error) {
      setFormError(errorMessage(error));
    }
  });

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Import a CSV file">
        {formError && <Alert tone="error">{formError}</Alert>}
        <Input
          type="file"
          accept=".csv,text/csv"
          label="CSV file"
          hint="Columns: metric_type, value, recorded_at; optional: category, source, dimension."
          error={errors.file?.message}
          {...register('file')}
        />
        <Button type="submit" loading={isSubmitting}>
          Upload
        </Button>
      </form>
      {outcome && <ImportOutcome fileName={outcome.fileName} result={outcome.result} />}
    </div>
  );
}

function ImportOutcome({ fileName, result }: { fileName: string; result: ImportResult }) {
  const { accepted, updated, rejected } = result;
  // The server lists the first rejected lines and counts them all.
  const rejectedCount = Math.max(result.rejected_count ?? 0, rejected.length);
  const shown = rejected.slice(0, MAX_REJECTED_ROWS);
  return (
    <div className="space-y-3">
      <Alert tone={rejectedCount > 0 ? 'warning' : 'success'}>
        <p className="font-semibold">
          Imported “{fileName}”{rejectedCount > 0 ? `, with ${rejectedCount.toLocaleString()} rejected ${plural(rejectedCount, 'line')}` : ''}.
        </p>
        <dl className="mt-2 flex flex-wrap gap-x-6 gap-y-1">
          <Figure label="Accepted" value={accepted} />
          <Figure label="Updated" value={updated} />
          <Figure label="Rejected" value={rejectedCount} />
        </dl>
      </Alert>
      {shown.length > 0 && (
        <div className="overflow-x-auto rounded-md ring-1 ring-gray-200">
          <table className="min-w-full divide-y divide-gray-200 text-left text-sm">
            <caption className="sr-only">Rejected lines (line 1 is the header)</caption>
            <thead className="bg-gray-50">
              <tr>
                <th scope="col" className="w-20 px-3 py-2 font-semibold text-gray-900">
                  Line
                </th>
                <th scope="col" className="px-3 py-2 font-semibold text-gray-900">
                  Reason
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-200 bg-white">
              {shown.map((r) => (
                <tr key={r.line}>
                  <td className="px-3 py-2 text-gray-900 tabular-nums">{r.line}</td>
                  <td className="px-3 py-2 break-words text-gray-700">{r.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rejectedCount > shown.length && (
            <p className="border-t border-gray-200 bg-gray-50 px-3 py-2 text-sm text-gray-700">
              And {(rejectedCount - shown.length).toLocaleString()} more rejected{' '}
              {plural(rejectedCount - shown.length, 'line')}.
            </p>
          )}
        </div>
      )}
    </div>
  );
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <div className="flex gap-1.5">
      <dt>{label}:</dt>
      <dd className="font-semibold tabular-nums">{value.toLocaleString()}</dd>
    </div>
  );
}

function plural(n: number, word: string) {
  return n === 1 ? word : `${word}s`;
}
