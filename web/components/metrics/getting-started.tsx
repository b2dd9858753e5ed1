import Link from 'next/link';
import { Section } from '../ui/card';

function CodeBlock({ label, children }: { label: string; children: string }) {
  return (
    <pre
      aria-label={label}
      tabIndex={0}
      className="mt-2 overflow-x-auto rounded-md bg-gray-900 p-3 text-xs leading-relaxed text-gray-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      <code>{children}</code>
    </pre>
  );
}

/** The honest empty state: no data yet, and the two ways to get some. */
export function GettingStarted() {
  // Rendered only in the browser (behind the session guard), so window is there.
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  const day = new Date().toISOString().slice(0, 10);
  const curl = [
    `curl -X POST ${origin}/api/v1/metrics \\`,
    `  -H "Authorization: Bearer $BHD_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"metric_type": "revenue", "value": "1250.00", "recorded_at": "${day}T00:00:00Z"}'`,
  ].join('\n');
  const csv = ['metric_type,value,recorded_at', `revenue,1250.00,${day}T00:00:00Z`, `cash_balance,48000,${day}T00:00:00Z`].join(
    '\n',
  );

  return (
    <Section
      id="getting-started"
      title="No metrics yet"
      description="Metrics appear here as soon as your organization has data. There are two ways to add some."
    >
      <ol className="list-decimal space-y-5 pl-5 text-sm text-gray-700">
        <li>
          <p>
            <strong className="text-gray-900">Upload a CSV file</strong> with the import below: a header row, then one
            value per row, with the columns <code>metric_type</code>, <code>value</code> and <code>recorded_at</code>{' '}
            (a date and time with its offset).
          </p>
          <CodeBlock label="Example CSV file">{csv}</CodeBlock>
        </li>
        <li>
          <p>
            <strong className="text-gray-900">Push from your own systems</strong> with an API key: create one with the
            Ingest scope in{' '}
            <Link href="/settings/" className="font-medium text-indigo-700 underline hover:text-indigo-900">
              Settings
            </Link>{' '}
            (owners and admins can), then send points to the REST API. Up to 10,000 go in one request as{' '}
            <code>{'{"points": [...]}'}</code>.
          </p>
          <CodeBlock label="Example API call">{curl}</CodeBlock>
        </li>
      </ol>
      <p className="mt-5 text-sm text-gray-600">
        Use the standard names, such as <code>revenue</code>, <code>expenses</code>, <code>cash_balance</code> or{' '}
        <code>active_customers</code>, so that the health score can read them.
      </p>
    </Section>
  );
}
