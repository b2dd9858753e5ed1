'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { Loading } from '@/components/ui/spinner';
import { useSession } from '@/lib/session';

/** `/`: signed-in users go to their settings, everyone else to log in. */
export default function Home() {
  const status = useSession((s) => s.status);
  const router = useRouter();
  useEffect(() => {
    if (status === 'authenticated') router.replace('/settings/');
    else if (status === 'anonymous') router.replace('/login/');
  }, [status, router]);
  return (
    <main className="flex min-h-dvh items-center justify-center">
      <Loading label="Loading…" />
    </main>
  );
}
