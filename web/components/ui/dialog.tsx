'use client';

import dynamic from 'next/dynamic';
import { useEffect, useState, type ReactNode } from 'react';

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
}

const load = () => import('./dialog-panel');
const DialogPanel = dynamic(load, { ssr: false });
let preloading = false;

/**
 * A modal dialog (Headless UI): focus is trapped inside and returns to the opener on
 * close; Escape closes it. The implementation is fetched after the page has loaded,
 * keeping it out of the first-load JavaScript.
 */
export function Dialog(props: DialogProps) {
  const [used, setUsed] = useState(props.open);
  if (props.open && !used) setUsed(true);

  useEffect(() => {
    if (preloading) return;
    preloading = true;
    const idle = window.requestIdleCallback ?? ((cb: () => void) => window.setTimeout(cb, 200));
    idle(() => void load());
  }, []);

  return used ? <DialogPanel {...props} /> : null;
}
