'use client';

import { useId, useState, type ReactNode } from 'react';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Dialog } from '../ui/dialog';

/**
 * Shows a secret the server reveals once (an API key, a webhook's signing secret), with a
 * copy button. Closing it drops the secret: the caller keeps it only while this is open.
 */
export function SecretRevealDialog({
  secret,
  title,
  description,
  label,
  warning,
  copyLabel,
  onClose,
}: {
  /** null: closed. */
  secret: string | null;
  title: string;
  description?: ReactNode;
  /** The text field's label. */
  label: string;
  warning: ReactNode;
  copyLabel: string;
  onClose: () => void;
}) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const fieldId = useId();

  const close = () => {
    setCopied(null);
    onClose();
  };

  const copy = async () => {
    if (secret === null) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <Dialog open={secret !== null} onClose={close} title={title} description={description}>
      {secret !== null && (
        <div className="space-y-4">
          <Alert tone="warning">{warning}</Alert>
          <div>
            <label htmlFor={fieldId} className="block text-sm font-medium text-gray-900">
              {label}
            </label>
            <textarea
              id={fieldId}
              readOnly
              rows={3}
              value={secret}
              spellCheck={false}
              onFocus={(e) => e.currentTarget.select()}
              className="mt-1 block w-full resize-none rounded-md bg-gray-50 px-3 py-2 font-mono text-sm break-all text-gray-900 ring-1 ring-inset ring-gray-300 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
            />
          </div>
          <p role="status" className="min-h-5 text-sm text-gray-700">
            {copied === 'yes' && 'Copied to the clipboard.'}
            {copied === 'failed' && `Copying failed: select the ${label.toLowerCase()} and copy it by hand.`}
          </p>
          <div className="flex flex-col-reverse gap-3 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={close}>
              Done
            </Button>
            <Button onClick={copy}>{copyLabel}</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
