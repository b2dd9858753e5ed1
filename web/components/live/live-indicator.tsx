'use client';

import { useLiveStatus, type LiveStatus } from '@/lib/live';
import { cn } from '../ui/cn';

const TEXT: Record<LiveStatus, string> = {
  off: '',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

const DOT: Record<LiveStatus, string> = {
  off: '',
  connecting: 'bg-gray-400',
  live: 'bg-emerald-500',
  reconnecting: 'bg-amber-500 motion-safe:animate-pulse',
};

/**
 * Whether the page updates itself: a dot and a word in a polite live region (the colour
 * only repeats the word). Empty while no connection is wanted.
 */
export function LiveIndicator({ className }: { className?: string }) {
  const status = useLiveStatus((s) => s.status);
  return (
    <p
      role="status"
      className={cn('inline-flex items-center gap-1.5 text-xs font-medium text-gray-700', className)}
      title={status === 'live' ? 'This page updates itself as new data arrives.' : undefined}
    >
      {status !== 'off' && (
        <>
          <span aria-hidden="true" className={cn('inline-block size-2 rounded-full', DOT[status])} />
          {TEXT[status]}
        </>
      )}
    </p>
  );
}
