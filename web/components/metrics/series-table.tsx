import type { GoodDirection, MetricSeries } from '@/lib/api';
import { describeChange, formatBucket, formatValue } from './format';

/** Every bucket's value (and comparison) as a table: the chart's text alternative. */
export function SeriesTable({
  series,
  name,
  compareLabel,
  good,
  currency,
  timeZone,
}: {
  series: MetricSeries;
  name: string;
  compareLabel: string | null;
  good: GoodDirection;
  currency: string;
  timeZone: string;
}) {
  const compare = compareLabel ? series.compare : undefined;
  const value = (v: string | null) => (v === null ? <span className="text-gray-500">No data</span> : formatValue(v, series.unit, currency));
  return (
    <details className="group rounded-md ring-1 ring-gray-200">
      <summary className="flex min-h-11 cursor-pointer items-center px-3 text-sm font-medium text-indigo-700 hover:bg-gray-50 focus-visible:outline-2 focus-visible:outline-indigo-600">
        <span className="group-open:hidden">Show the numbers</span>
        <span className="hidden group-open:inline">Hide the numbers</span>
      </summary>
      <div className="max-h-96 overflow-auto border-t border-gray-200">
        <table className="min-w-full divide-y divide-gray-200 text-left text-sm">
          <caption className="sr-only">
            {name} by {series.granularity}
            {compareLabel ? `, compared with the ${compareLabel.toLowerCase()}` : ''}
          </caption>
          <thead className="sticky top-0 bg-gray-50">
            <tr>
              <th scope="col" className="px-3 py-2 font-semibold text-gray-900">
                Period
              </th>
              <th scope="col" className="px-3 py-2 text-right font-semibold text-gray-900">
                {name}
              </th>
              {compare && (
                <>
                  <th scope="col" className="px-3 py-2 text-right font-semibold text-gray-900">
                    {compareLabel}
                  </th>
                  <th scope="col" className="px-3 py-2 text-right font-semibold text-gray-900">
                    Change
                  </th>
                </>
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-gray-100 bg-white">
            {series.buckets.map((b, i) => {
              const other = compare?.buckets[i];
              const change = describeChange(compare?.changes[i], good, series.unit, currency);
              return (
                <tr key={b.start}>
                  <th scope="row" className="px-3 py-2 font-normal whitespace-nowrap text-gray-900">
                    {formatBucket(b.start, series.granularity, timeZone, 'long')}
                  </th>
                  <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">{value(b.value)}</td>
                  {compare && (
                    <>
                      <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">
                        {other ? (
                          <>
                            {value(other.value)}{' '}
                            <span className="text-gray-600">({formatBucket(other.start, series.granularity, timeZone, 'long')})</span>
                          </>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">
                        {change ? `${change.text}${change.verdict === 'neutral' ? '' : ` (${change.verdict})`}` : '—'}
                      </td>
                    </>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </details>
  );
}
