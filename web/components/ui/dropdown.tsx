'use client';

import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { cn } from './cn';

/**
 * A disclosure dropdown: a button that shows and hides a panel of plain buttons and
 * links (the WAI disclosure pattern; lighter than an ARIA menu and as accessible).
 * Escape or a click outside closes it and returns focus to the button.
 */
export function Dropdown({
  label,
  buttonClassName,
  panelClassName,
  align = 'start',
  children,
}: {
  /** The button's content; give it an accessible name. */
  label: ReactNode;
  buttonClassName?: string;
  panelClassName?: string;
  align?: 'start' | 'end';
  /** The panel; `close` hides it (call it after an item's action). */
  children: (close: () => void) => ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const buttonId = `${id}-button`;

  const close = useCallback(
    (refocus = true) => {
      setOpen(false);
      if (refocus) document.getElementById(buttonId)?.focus();
    },
    [buttonId],
  );

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
    };
    const onPointer = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) close(false);
    };
    const onFocus = (e: FocusEvent) => {
      if (root.current && e.target instanceof Node && !root.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('focusin', onFocus);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('focusin', onFocus);
    };
  }, [open, close]);

  return (
    <div ref={root} className="relative min-w-0">
      <button
        id={buttonId}
        type="button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
        className={buttonClassName}
      >
        {label}
      </button>
      <div
        id={id}
        hidden={!open}
        className={cn(
          'absolute top-full z-40 mt-1 rounded-lg bg-white p-1 shadow-lg ring-1 ring-gray-200',
          align === 'end' ? 'right-0' : 'left-0',
          panelClassName,
        )}
      >
        {open && children(() => close())}
      </div>
    </div>
  );
}

/** The look of an item inside a Dropdown panel. */
export const dropdownItem =
  'flex min-h-11 w-full items-center gap-2 rounded-md px-3 text-left text-sm text-gray-900 hover:bg-indigo-50 ' +
  'focus-visible:bg-indigo-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600';
