'use client';

import { Tab, TabGroup, TabList, TabPanel, TabPanels } from '@headlessui/react';
import { useMemo } from 'react';
import type { AlertStatus } from '@/lib/api';
import { useAlertCounts, useAlertRules, useMetricCatalog } from '@/lib/queries';
import { LiveIndicator } from '../live/live-indicator';
import { cn } from '../ui/cn';
import { AlertsPanel } from './alerts-panel';
import { STATUS_LABELS } from './format';
import { RulesSection } from './rules-section';

const STATUSES: AlertStatus[] = ['active', 'acknowledged', 'resolved'];

const tabClass = cn(
  'flex min-h-11 flex-1 items-center justify-center gap-2 rounded-md px-3 text-sm font-medium whitespace-nowrap text-gray-700',
  'hover:bg-white/60 focus-visible:outline-2 focus-visible:outline-indigo-600',
  'data-selected:bg-white data-selected:text-indigo-800 data-selected:shadow-sm',
);

function Count({ value, urgent }: { value: number | undefined; urgent?: boolean }) {
  if (value === undefined) return null;
  return (
    <span
      className={cn(
        'inline-flex min-w-6 justify-center rounded-full px-1.5 text-xs leading-5 font-semibold',
        urgent && value > 0 ? 'bg-red-600 text-white' : 'bg-gray-200 text-gray-800',
      )}
    >
      {value}
    </span>
  );
}

/**
 * `/alerts/`: the alerts by state (Active, Acknowledged, Resolved, with their counts) and the
 * rules that raise them. The event stream (lib/live.ts) refetches them as alerts fire,
 * are acknowledged and resolve.
 */
export function AlertsView() {
  const counts = useAlertCounts();
  const rules = useAlertRules();
  const catalog = useMetricCatalog();
  const ruleMap = useMemo(() => (rules.data ? new Map(rules.data.map((r) => [r.id, r])) : undefined), [rules.data]);
  const catalogMap = useMemo(() => new Map((catalog.data ?? []).map((m) => [m.name, m])), [catalog.data]);

  return (
    <div className="space-y-6">
      <div>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <h1 className="text-2xl font-bold text-gray-900">Alerts</h1>
          <LiveIndicator />
        </div>
        <p className="mt-1 text-sm text-gray-600">
          What needs attention now, what someone is on, and what has cleared; and the rules that watch your metrics
          and scores.
        </p>
      </div>

      <TabGroup>
        <TabList aria-label="Alerts by status" className="flex gap-1 overflow-x-auto rounded-lg bg-gray-100 p-1">
          {STATUSES.map((status) => (
            <Tab key={status} className={tabClass}>
              {STATUS_LABELS[status]}{' '}
              <Count value={counts.data?.[status]} urgent={status === 'active'} />
            </Tab>
          ))}
          <Tab className={tabClass}>
            Rules{' '}
            <Count value={rules.data?.length} />
          </Tab>
        </TabList>
        <TabPanels className="mt-4">
          {STATUSES.map((status) => (
            <TabPanel key={status} className="focus-visible:outline-2 focus-visible:outline-indigo-600">
              <AlertsPanel status={status} rules={ruleMap} catalog={catalogMap} />
            </TabPanel>
          ))}
          <TabPanel className="focus-visible:outline-2 focus-visible:outline-indigo-600">
            <RulesSection catalog={catalogMap} />
          </TabPanel>
        </TabPanels>
      </TabGroup>
    </div>
  );
}
