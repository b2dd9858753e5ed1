'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { OrgSwitcher } from '../org/org-switcher';
import { cn } from '../ui/cn';
import { visibleNavItems } from './nav-items';
import { UserMenu } from './user-menu';

function isActive(pathname: string, href: string) {
  const normalized = pathname.endsWith('/') ? pathname : `${pathname}/`;
  return normalized.startsWith(href);
}

/**
 * Mobile first: a top bar (organization switcher, account) and a bottom tab bar on
 * phones; from the `lg` breakpoint a left sidebar replaces the bottom bar.
 */
export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const items = visibleNavItems();

  return (
    <div className="min-h-dvh bg-gray-50">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>

      <aside className="fixed inset-y-0 left-0 hidden w-60 flex-col border-r border-gray-200 bg-white lg:flex">
        <div className="flex h-16 items-center px-5 text-base font-bold text-gray-900">
          <span aria-hidden="true" className="mr-2 inline-block size-3 rounded-full bg-indigo-600" />
          Business Health
        </div>
        <nav aria-label="Main" className="flex-1 px-3 py-2">
          <ul className="space-y-1">
            {items.map((item) => {
              const active = isActive(pathname, item.href);
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={active ? 'page' : undefined}
                    className={cn(
                      'flex min-h-11 items-center gap-3 rounded-md px-3 text-sm font-medium',
                      'focus-visible:outline-2 focus-visible:outline-indigo-600',
                      active ? 'bg-indigo-50 text-indigo-800' : 'text-gray-700 hover:bg-gray-100',
                    )}
                  >
                    {item.icon}
                    {item.label}
                    {/* The space keeps the badge's name apart from the label's ("Alerts 3 active alerts"). */}
                    {item.badge && (
                      <>
                        {' '}
                        <item.badge placement="sidebar" />
                      </>
                    )}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      </aside>

      <div className="lg:pl-60">
        <header className="sticky top-0 z-30 flex h-16 items-center justify-between gap-2 border-b border-gray-200 bg-white/95 px-3 backdrop-blur sm:px-6">
          <OrgSwitcher />
          <UserMenu />
        </header>
        <main id="main" tabIndex={-1} className="mx-auto max-w-4xl px-4 pt-6 pb-28 focus:outline-none sm:px-6 lg:pb-12">
          {children}
        </main>
      </div>

      <nav
        aria-label="Main"
        className="fixed inset-x-0 bottom-0 z-30 border-t border-gray-200 bg-white pb-[env(safe-area-inset-bottom)] lg:hidden"
      >
        <ul className="mx-auto flex max-w-md justify-around">
          {items.map((item) => {
            const active = isActive(pathname, item.href);
            return (
              <li key={item.href} className="flex-1">
                <Link
                  href={item.href}
                  aria-current={active ? 'page' : undefined}
                  className={cn(
                    'relative flex min-h-14 flex-col items-center justify-center gap-0.5 text-xs font-medium',
                    'focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600',
                    active ? 'text-indigo-700' : 'text-gray-600 hover:text-gray-900',
                  )}
                >
                  {item.icon}
                  {item.label}
                  {item.badge && (
                    <>
                      {' '}
                      <item.badge placement="tabbar" />
                    </>
                  )}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
    </div>
  );
}
