'use client';

import { useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { useSession } from '@/lib/session';
import { Loading } from '../ui/spinner';

/** Renders children only with a session; sends everyone else to the log-in page. */
export function RequireSession({ children }: { children: ReactNode }) {
  const status = useSession((s) => s.status);
  const router = useRouter();
  useEffect(() => {
    if (status === 'anonymous') router.replace('/login/');
  }, [status, router]);
  if (status !== 'authenticated') {
    return (
      <div className="flex min-h-dvh items-center justify-center">
        <Loading label={status === 'loading' ? 'Loading your dashboard…' : 'Redirecting to log in…'} />
      </div>
    );
  }
  return children;
}

/** On the log-in and sign-up pages: someone already signed in goes to the dashboard. */
export function RedirectIfSignedIn() {
  const status = useSession((s) => s.status);
  const router = useRouter();
  useEffect(() => {
    if (status === 'authenticated') router.replace('/settings/');
  }, [status, router]);
  return null;
}
