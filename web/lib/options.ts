/** Choice lists for organization settings: industries, currencies, time zones, roles. */
import type { Industry, Role } from './api';

export const INDUSTRY_LABELS: Record<Industry, string> = {
  saas: 'Software / SaaS',
  ecommerce: 'E-commerce',
  services: 'Services',
  retail: 'Retail',
  general: 'General',
};

export const industryOptions = (Object.keys(INDUSTRY_LABELS) as Industry[]).map((value) => ({
  value,
  label: INDUSTRY_LABELS[value],
}));

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including billing and deleting the organization',
  admin: 'Manages members, API keys and settings',
  member: 'Writes metrics and acknowledges alerts',
  viewer: 'Reads everything, changes nothing',
};

const COMMON_CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY', 'CHF', 'INR', 'BRL', 'MXN'];

function supported(key: 'currency' | 'timeZone'): string[] {
  try {
    return Intl.supportedValuesOf(key);
  } catch {
    return [];
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

/** ISO 4217 currencies, the common ones first; `current` is always included. */
export function currencyOptions(current?: string) {
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames(['en'], { type: 'currency' });
  } catch {
    names = null;
  }
  const rest = supported('currency').filter((c) => !COMMON_CURRENCIES.includes(c));
  return unique([...(current ? [current] : []), ...COMMON_CURRENCIES, ...rest]).map((code) => {
    const name = names?.of(code);
    return { value: code, label: name && name !== code ? `${code} — ${name}` : code };
  });
}

/** The browser's own time zone, or UTC. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** IANA time zones from the browser; `current` and UTC are always included. */
export function timeZoneOptions(current?: string) {
  const zones = supported('timeZone');
  const all = unique([...(current ? [current] : []), 'UTC', ...zones]).sort((a, b) =>
    a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b),
  );
  return all.map((zone) => ({ value: zone, label: zone.replaceAll('_', ' ') }));
}

/** A short, locale-aware date for lists. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
