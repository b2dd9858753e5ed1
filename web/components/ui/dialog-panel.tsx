'use client';
// Loaded lazily through ./dialog.tsx so that Headless UI stays out of the first load.

import { Description, Dialog as HDialog, DialogBackdrop, DialogPanel, DialogTitle } from '@headlessui/react';
import type { DialogProps } from './dialog';

/** A modal dialog: focus is trapped inside and returns to the opener on close; Escape closes. */
export default function DialogPanelImpl({ open, onClose, title, description, children }: DialogProps) {
  return (
    <HDialog
      open={open}
      onClose={onClose}
      className="fixed inset-0 z-50 flex items-end justify-center overflow-y-auto sm:items-center sm:p-4"
    >
      <DialogBackdrop className="fixed inset-0 bg-gray-900/50" />
      <DialogPanel className="relative w-full max-w-lg rounded-t-xl bg-white p-5 shadow-xl sm:rounded-xl sm:p-6">
        <DialogTitle className="text-lg font-semibold text-gray-900">{title}</DialogTitle>
        {description && <Description className="mt-1 text-sm text-gray-600">{description}</Description>}
        <div className="mt-4">{children}</div>
      </DialogPanel>
    </HDialog>
  );
}
