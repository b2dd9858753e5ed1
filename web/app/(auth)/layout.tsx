import type { ReactNode } from 'react';
import { RedirectIfSignedIn } from '@/components/session/guards';

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-start px-4 py-10 sm:justify-center">
      <RedirectIfSignedIn />
      <p className="mb-6 flex items-center text-base font-bold text-gray-900">
        <span aria-hidden="true" className="mr-2 inline-block size-3 rounded-full bg-indigo-600" />
        Business Health Dashboard
      </p>
      <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-sm ring-1 ring-gray-200 sm:p-8">{children}</div>
    </main>
  );
}
