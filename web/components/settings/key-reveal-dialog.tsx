'use client';

import type { CreatedApiKey } from '@/lib/api';
import { SecretRevealDialog } from './secret-reveal-dialog';

/** Shows a new API key's secret once, with a copy button. Closing it drops the secret. */
export function KeyRevealDialog({ apiKey, onClose }: { apiKey: CreatedApiKey | null; onClose: () => void }) {
  return (
    <SecretRevealDialog
      secret={apiKey?.key ?? null}
      title="Copy your new API key"
      description={apiKey ? `“${apiKey.name}” was created.` : undefined}
      label="API key"
      warning={
        <>
          <strong>You won’t see this key again.</strong> Copy it now and store it somewhere safe. If you lose it,
          revoke it and create a new one.
        </>
      }
      copyLabel="Copy key"
      onClose={onClose}
    />
  );
}
