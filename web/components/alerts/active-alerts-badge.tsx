'use client';

import { useAlertCounts } from '@/lib/queries';
import { cn } from '../ui/cn';

/**
 * The number of active alerts beside the navigation's Alerts item; nothing while there are
 * none. The alert events of the stream (lib/live.ts) keep the count fresh.
 */
export function ActiveAlertsBadge({ placement }: { placement: 'sidebar' | 'tabbar' }) {
  const { data } = useAlertCounts();
  const active = data?.active ?? 0;
  if (!(active > 0)) return null;
  const label = `${active} active ${active === 1 ? 'alert' : 'alerts'}`;
  return (
    <span
      role="img"
      aria-label={label}
      title={label}
      className={cn(
        'inline-flex min-w-5 items-center justify-center rounded-full bg-red-600 px-1.5 text-xs leading-5 font-semibold text-white',
        placement === 'sidebar' ? 'ml-auto' : 'absolute top-1 left-1/2 ml-1.5 ring-2 ring-white',
      )}
    >
      {active > 99 ? '99+' : active}
    </span>
  );
}
