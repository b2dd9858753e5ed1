'use client';

import { useQueryClient } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useState } from 'react';
import { api, errorMessage, type TokenResponse } from '@/lib/api';
import { ROLE_LABELS } from '@/lib/options';
import { useMe } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Dialog } from '../ui/dialog';
import { Dropdown, dropdownItem } from '../ui/dropdown';
import { Loading } from '../ui/spinner';

// Fetched when the dialog opens: the form (React Hook Form, Zod) stays out of every page's first load.
const CreateOrganizationForm = dynamic(() => import('./create-organization-form').then((m) => m.CreateOrganizationForm), {
  ssr: false,
  loading: () => <Loading />,
});

/** Lists the user's organizations, switches between them, and creates new ones. */
export function OrgSwitcher() {
  const organization = useSession((s) => s.organization);
  const queryClient = useQueryClient();
  const { data: me, isPending, error: meError } = useMe();
  const [creating, setCreating] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [error, setError] = useState<string | null>(null);

  const adopt = (tokens: TokenResponse) => {
    useSession.getState().setTokens(tokens);
    // Drop every cached answer of the previous organization.
    queryClient.removeQueries();
    setAnnouncement(`Switched to ${tokens.organization.name}.`);
  };

  const switchTo = async (id: string) => {
    setError(null);
    try {
      adopt(await api.switchOrganization(id));
    } catch (e) {
      setError(`Could not switch: ${errorMessage(e)}`);
    }
  };

  const memberships = me?.memberships ?? [];
  return (
    <div className="relative min-w-0">
      <Dropdown
        panelClassName="w-72 max-w-[calc(100vw-1.5rem)]"
        buttonClassName="flex min-h-11 max-w-full items-center gap-2 rounded-md px-2 text-left text-sm font-semibold text-gray-900 hover:bg-gray-100 focus-visible:outline-2 focus-visible:outline-indigo-600 aria-expanded:bg-gray-100"
        label={
          <>
            <span className="sr-only">Current organization: </span>
            <span className="truncate">{organization?.name ?? '…'}</span>
            <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 shrink-0 text-gray-600" fill="currentColor">
              <path d="M5.23 7.21a.75.75 0 0 1 1.06.02L10 11.17l3.71-3.94a.75.75 0 1 1 1.08 1.04l-4.25 4.5a.75.75 0 0 1-1.08 0l-4.25-4.5a.75.75 0 0 1 .02-1.06Z" />
            </svg>
          </>
        }
      >
        {(close) => (
          <>
            <h2 id="org-switcher-heading" className="px-3 py-2 text-xs font-semibold tracking-wide text-gray-600 uppercase">
              Your organizations
            </h2>
            {isPending && <p className="px-3 py-2 text-sm text-gray-600">Loading…</p>}
            {meError && <p className="px-3 py-2 text-sm text-red-700">{errorMessage(meError)}</p>}
            <ul aria-labelledby="org-switcher-heading">
              {memberships.map((m) => {
                const current = m.organization.id === organization?.id;
                return (
                  <li key={m.organization.id}>
                    <button
                      type="button"
                      aria-current={current ? 'true' : undefined}
                      className={dropdownItem}
                      onClick={() => {
                        close();
                        if (!current) void switchTo(m.organization.id);
                      }}
                    >
                      <span className="min-w-0 flex-1 truncate">{m.organization.name}</span>
                      <span className="text-xs text-gray-600">{ROLE_LABELS[m.role]}</span>
                      {current && (
                        <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 text-indigo-600" fill="currentColor">
                          <path d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.58l7.3-7.3a1 1 0 0 1 1.4 0Z" />
                        </svg>
                      )}
                    </button>
                  </li>
                );
              })}
            </ul>
            <div className="my-1 h-px bg-gray-200" />
            <button
              type="button"
              className={dropdownItem}
              onClick={() => {
                close();
                setCreating(true);
              }}
            >
              <span aria-hidden="true" className="text-indigo-600">
                +
              </span>{' '}
              Create organization
            </button>
          </>
        )}
      </Dropdown>
      <p role="status" className="sr-only">
        {announcement}
      </p>
      {error && (
        <p
          role="alert"
          className="absolute top-full left-0 z-30 mt-1 w-72 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 shadow ring-1 ring-red-200"
        >
          {error}
        </p>
      )}
      <Dialog
        open={creating}
        onClose={() => setCreating(false)}
        title="Create an organization"
        description="You will be its owner. Switch between organizations at any time from this menu."
      >
        <CreateOrganizationForm
          defaults={{ currency: organization?.currency, timezone: organization?.timezone }}
          onCancel={() => setCreating(false)}
          onCreated={(tokens) => {
            setCreating(false);
            adopt(tokens);
          }}
        />
      </Dialog>
    </div>
  );
}
