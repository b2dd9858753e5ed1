import type { ComponentType, ReactNode } from 'react';
import { ActiveAlertsBadge } from '../alerts/active-alerts-badge';

export interface NavItem {
  href: string;
  label: string;
  icon: ReactNode;
  /** Pages that do not exist yet stay out of the navigation. */
  available: boolean;
  /** A live count beside the label (it names itself for assistive tech). */
  badge?: ComponentType<{ placement: 'sidebar' | 'tabbar' }>;
}

const icon = (d: string) => (
  <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="1.6">
    <path strokeLinecap="round" strokeLinejoin="round" d={d} />
  </svg>
);

/** The dashboard's sections, in order. Flip `available` as each page lands. */
export const NAV_ITEMS: NavItem[] = [
  { href: '/overview/', label: 'Overview', available: true, icon: icon('M3 12 12 3l9 9M5 10v10h14V10') },
  { href: '/metrics/', label: 'Metrics', available: true, icon: icon('M4 20V10m6 10V4m6 16v-7m4 7H2') },
  {
    href: '/alerts/',
    label: 'Alerts',
    available: true,
    badge: ActiveAlertsBadge,
    icon: icon('M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2Zm4 4h4'),
  },
  { href: '/integrations/', label: 'Integrations', available: false, icon: icon('M9 7V3m6 4V3M7 7h10v5a5 5 0 0 1-10 0V7Zm5 10v4') },
  {
    href: '/settings/',
    label: 'Settings',
    available: true,
    icon: icon(
      'M10.3 4.3c.4-1.7 3-1.7 3.4 0a1.7 1.7 0 0 0 2.6 1.1c1.5-.9 3.3.8 2.4 2.4a1.7 1.7 0 0 0 1 2.5c1.8.5 1.8 3 0 3.5a1.7 1.7 0 0 0-1 2.5c.9 1.6-.9 3.3-2.4 2.4a1.7 1.7 0 0 0-2.6 1c-.4 1.8-3 1.8-3.4 0a1.7 1.7 0 0 0-2.6-1c-1.5.9-3.3-.8-2.4-2.4a1.7 1.7 0 0 0-1-2.5c-1.8-.5-1.8-3 0-3.5a1.7 1.7 0 0 0 1-2.5c-.9-1.6.9-3.3 2.4-2.4a1.7 1.7 0 0 0 2.6-1.1ZM15 12a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z',
    ),
  },
];

export const visibleNavItems = () => NAV_ITEMS.filter((item) => item.available);
