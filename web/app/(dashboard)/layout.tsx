import type { ReactNode } from 'react';
import { AppShell } from '@/components/nav/app-shell';
import { RequireSession } from '@/components/session/guards';

export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <RequireSession>
      <AppShell>{children}</AppShell>
    </RequireSession>
  );
}
