'use client';
// Loaded lazily through ./dialog.tsx so that Headless UI stays out of the first load.

import { Description, Dialog as HDialog, DialogBackdrop, DialogPanel, DialogTitle } from '@headlessui/react';
import type { DialogProps } from './dialog';

/** A modal dialog: focus is trapped inside and returns to the opener on close; Escape closes. */
export default function DialogPanelImpl({ open, onClose, title, description, children }: DialogProps) {
  return (
    <HDialog open={open} onClose={onClose} className="fixed inset-0 z-50 overflow-y-auto">
      <DialogBackdrop className="fixed inset-0 bg-gray-900/50" />
      {/* A flex box at least as tall as the screen inside the scroller: a dialog taller than the
          screen (a long form on a phone) scrolls from its top instead of being cut off. */}
      <div className="flex min-h-full items-end justify-center sm:items-center sm:p-4">
        <DialogPanel className="relative w-full max-w-lg rounded-t-xl bg-white p-5 shadow-xl sm:rounded-xl sm:p-6">
          <DialogTitle className="text-lg font-semibold text-gray-900">{title}</DialogTitle>
          {description && <Description className="mt-1 text-sm text-gray-600">{description}</Description>}
          <div className="mt-4">{children}</div>
        </DialogPanel>
      </div>
    </HDialog>
  );
}
