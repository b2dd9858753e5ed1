'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, canAdminister, errorMessage, type ApiKey, type CreatedApiKey } from '@/lib/api';
import { formatDate } from '@/lib/options';
import { queryKeys, useApiKeys, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Badge } from '../ui/badge';
import { Button } from '../ui/button';
import { EmptyState, Section } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Loading } from '../ui/spinner';
import { CreateApiKeyForm } from './create-api-key-form';
import { KeyRevealDialog } from './key-reveal-dialog';

export function ApiKeysSection() {
  const role = useSession((s) => s.role);
  const allowed = canAdminister(role);
  const orgId = useOrgId();
  const queryClient = useQueryClient();
  const { data, error, isPending } = useApiKeys(allowed);
  // The one place the secret lives, only while the reveal dialog is open.
  const [revealed, setRevealed] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys(orgId) });

  return (
    <Section
      id="api-keys"
      title="API keys"
      description="Keys let your own systems push metrics and read results through the REST API."
    >
      {!allowed ? (
        <Alert tone="info">Only owners and admins can see and manage API keys.</Alert>
      ) : (
        <div className="space-y-6">
          <CreateApiKeyForm
            onCreated={(key) => {
              setRevealed(key);
              void refresh();
            }}
          />
          <KeyRevealDialog apiKey={revealed} onClose={() => setRevealed(null)} />
          <div>
            <h3 className="text-sm font-semibold text-gray-900">Active keys</h3>
            {isPending ? (
              <Loading label="Loading API keys…" />
            ) : error ? (
              <Alert tone="error" className="mt-2">
                Could not load API keys. {errorMessage(error)}
              </Alert>
            ) : data.length === 0 ? (
              <div className="mt-2">
                <EmptyState>No API keys yet. Create one to push metrics from your own systems.</EmptyState>
              </div>
            ) : (
              <ul className="mt-1 divide-y divide-gray-200" aria-label="API keys">
                {data.map((k) => (
                  <li key={k.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
                    <div className="min-w-0 flex-1 basis-48">
                      <p className="truncate text-sm font-medium text-gray-900">{k.name}</p>
                      <p className="text-sm text-gray-600">
                        <span className="font-mono">{k.prefix}…</span> · created {formatDate(k.created_at)} ·{' '}
                        {k.last_used_at ? `last used ${formatDate(k.last_used_at)}` : 'never used'}
                      </p>
                    </div>
                    <div className="flex flex-wrap gap-1">
                      {k.scopes.map((s) => (
                        <Badge key={s}>{s}</Badge>
                      ))}
                    </div>
                    <Button variant="ghost" size="sm" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <ConfirmDialog
            open={revoking !== null}
            title={`Revoke “${revoking?.name ?? ''}”?`}
            description="Anything still using this key stops working at once. This cannot be undone."
            confirmLabel="Revoke key"
            onConfirm={async () => {
              if (revoking) await api.revokeApiKey(revoking.id);
              await refresh();
            }}
            onClose={() => setRevoking(null)}
          />
        </div>
      )}
    </Section>
  );
}
