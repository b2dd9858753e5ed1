'use client';

import { useLiveEvents } from '@/lib/live';

/** Holds the live event stream open for the signed-in organization (renders nothing). */
export function LiveEvents() {
  useLiveEvents();
  return null;
}
