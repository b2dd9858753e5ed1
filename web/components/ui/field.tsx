'use client';

import { useId, type InputHTMLAttributes, type ReactNode, type Ref, type SelectHTMLAttributes } from 'react';
import { cn } from './cn';

const control =
  'block w-full rounded-md border-0 bg-white px-3 py-2 text-base text-gray-900 ring-1 ring-inset ring-gray-300 ' +
  'placeholder:text-gray-500 focus:ring-2 focus:ring-inset focus:ring-indigo-600 focus:outline-none ' +
  'disabled:cursor-not-allowed disabled:bg-gray-50 disabled:text-gray-600 sm:text-sm min-h-11';

interface FieldProps {
  label: string;
  /** Help text under the control. */
  hint?: ReactNode;
  /** Validation or server message for this field. */
  error?: string;
  className?: string;
}

function useFieldIds(id: string | undefined) {
  const generated = useId();
  const controlId = id ?? generated;
  return { controlId, hintId: `${controlId}-hint`, errorId: `${controlId}-error` };
}

function describedBy(hintId: string, errorId: string, hint: unknown, error: unknown) {
  return [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
}

function FieldFooter({ hint, hintId, error, errorId }: { hint?: ReactNode; hintId: string; error?: string; errorId: string }) {
  return (
    <>
      {hint && (
        <p id={hintId} className="mt-1 text-sm text-gray-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </>
  );
}

export interface InputProps extends FieldProps, Omit<InputHTMLAttributes<HTMLInputElement>, 'className'> {
  ref?: Ref<HTMLInputElement>;
}

/** A labelled text input with hint and error wired to aria-describedby / aria-invalid. */
export function Input({ label, hint, error, className, id, ref, ...rest }: InputProps) {
  const { controlId, hintId, errorId } = useFieldIds(id);
  return (
    <div className={className}>
      <label htmlFor={controlId} className="block text-sm font-medium text-gray-900">
        {label}
      </label>
      <input
        id={controlId}
        ref={ref}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hintId, errorId, hint, error)}
        className={cn('mt-1', control, error && 'ring-red-600')}
        {...rest}
      />
      <FieldFooter hint={hint} hintId={hintId} error={error} errorId={errorId} />
    </div>
  );
}

export interface SelectOption {
  value: string;
  label: string;
  /** Options with a group are shown under it (an `<optgroup>`), in the order given. */
  group?: string;
}

function optionElement(o: SelectOption) {
  return (
    <option key={o.value} value={o.value}>
      {o.label}
    </option>
  );
}

/** Options in order; consecutive options of one group go in one `<optgroup>`. */
function renderOptions(options: readonly SelectOption[]) {
  const out: ReactNode[] = [];
  // Keys stay put when options are added elsewhere, so that a selected option survives.
  const seen = new Map<string, number>();
  let i = 0;
  while (i < options.length) {
    const group = options[i].group;
    if (group === undefined) {
      out.push(optionElement(options[i]));
      i += 1;
      continue;
    }
    const members: SelectOption[] = [];
    while (i < options.length && options[i].group === group) {
      members.push(options[i]);
      i += 1;
    }
    const n = seen.get(group) ?? 0;
    seen.set(group, n + 1);
    out.push(
      <optgroup key={`group-${group}-${n}`} label={group}>
        {members.map(optionElement)}
      </optgroup>,
    );
  }
  return out;
}

export interface SelectProps extends FieldProps, Omit<SelectHTMLAttributes<HTMLSelectElement>, 'className'> {
  options: readonly SelectOption[];
  ref?: Ref<HTMLSelectElement>;
}

/** A labelled native select: accessible and light, fine for long lists such as time zones. */
export function Select({ label, hint, error, className, id, options, ref, ...rest }: SelectProps) {
  const { controlId, hintId, errorId } = useFieldIds(id);
  return (
    <div className={className}>
      <label htmlFor={controlId} className="block text-sm font-medium text-gray-900">
        {label}
      </label>
      <select
        id={controlId}
        ref={ref}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hintId, errorId, hint, error)}
        className={cn('mt-1', control, 'pr-8', error && 'ring-red-600')}
        {...rest}
      >
        {renderOptions(options)}
      </select>
      <FieldFooter hint={hint} hintId={hintId} error={error} errorId={errorId} />
    </div>
  );
}

export interface CheckboxProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'className'> {
  label: string;
  description?: string;
  ref?: Ref<HTMLInputElement>;
}

/** A labelled checkbox with an optional description. */
export function Checkbox({ label, description, id, ref, ...rest }: CheckboxProps) {
  const generated = useId();
  const controlId = id ?? generated;
  return (
    <div className="flex items-start gap-3">
      <input
        id={controlId}
        ref={ref}
        type="checkbox"
        aria-describedby={description ? `${controlId}-desc` : undefined}
        className="mt-0.5 size-5 rounded border-gray-400 accent-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        {...rest}
      />
      <div className="text-sm">
        <label htmlFor={controlId} className="font-medium text-gray-900">
          {label}
        </label>
        {description && (
          <p id={`${controlId}-desc`} className="text-gray-600">
            {description}
          </p>
        )}
      </div>
    </div>
  );
}
