'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, refreshSession } from '@/lib/api';
import { useSession } from '@/lib/session';

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx will not change by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}

/** App-wide providers; restores the session from the refresh cookie once per page load. */
export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient);

  useEffect(() => {
    if (useSession.getState().status === 'loading') void refreshSession();
  }, []);

  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
