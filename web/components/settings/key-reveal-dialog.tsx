'use client';

import { useState } from 'react';
import type { CreatedApiKey } from '@/lib/api';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Dialog } from '../ui/dialog';

/** Shows a new API key's secret once, with a copy button. Closing it drops the secret. */
export function KeyRevealDialog({ apiKey, onClose }: { apiKey: CreatedApiKey | null; onClose: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  const close = () => {
    setCopied(null);
    onClose();
  };

  const copy = async () => {
    if (!apiKey) return;
    try {
      await navigator.clipboard.writeText(apiKey.key);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <Dialog
      open={apiKey !== null}
      onClose={close}
      title="Copy your new API key"
      description={apiKey ? `“${apiKey.name}” was created.` : undefined}
    >
      {apiKey && (
        <div className="space-y-4">
          <Alert tone="warning">
            <strong>You won’t see this key again.</strong> Copy it now and store it somewhere safe. If you lose it,
            revoke it and create a new one.
          </Alert>
          <div>
            <label htmlFor="revealed-api-key" className="block text-sm font-medium text-gray-900">
              API key
            </label>
            <textarea
              id="revealed-api-key"
              readOnly
              rows={3}
              value={apiKey.key}
              spellCheck={false}
              onFocus={(e) => e.currentTarget.select()}
              className="mt-1 block w-full resize-none rounded-md bg-gray-50 px-3 py-2 font-mono text-sm break-all text-gray-900 ring-1 ring-inset ring-gray-300 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
            />
          </div>
          <p role="status" className="min-h-5 text-sm text-gray-700">
            {copied === 'yes' && 'Copied to the clipboard.'}
            {copied === 'failed' && 'Copying failed: select the key and copy it by hand.'}
          </p>
          <div className="flex flex-col-reverse gap-3 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={close}>
              Done
            </Button>
            <Button onClick={copy}>Copy key</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
