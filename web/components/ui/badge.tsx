import type { ReactNode } from 'react';
import { cn } from './cn';

/** A small label such as a role or a scope. */
export function Badge({ children, tone = 'gray' }: { children: ReactNode; tone?: 'gray' | 'indigo' | 'amber' }) {
  return (
    <span
      className={cn(
        'inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
        tone === 'gray' && 'bg-gray-50 text-gray-700 ring-gray-300',
        tone === 'indigo' && 'bg-indigo-50 text-indigo-800 ring-indigo-200',
        tone === 'amber' && 'bg-amber-50 text-amber-900 ring-amber-300',
      )}
    >
      {children}
    </span>
  );
}
