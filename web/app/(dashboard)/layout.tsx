import type { ReactNode } from 'react';
import { LiveEvents } from '@/components/live/live-events';
import { AppShell } from '@/components/nav/app-shell';
import { RequireSession } from '@/components/session/guards';

export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <RequireSession>
      {/* Inside the guard: the event stream is opened only with a session, and closed without. */}
      <LiveEvents />
      <AppShell>{children}</AppShell>
    </RequireSession>
  );
}
