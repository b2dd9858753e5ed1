/**
 * Glue between server errors and React Hook Form: RFC 9457 field errors land next to
 * the field they name; anything else becomes one form-level message.
 */
import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { ApiError, errorMessage } from './api';

/** Strips wrappers some servers put around field paths (`body.email`, `/email`). */
function normalizeField(field: string): string {
  return field.replace(/^(body|json)[./]/, '').replace(/^\//, '');
}

/**
 * The server words field messages to follow the field's name ("is required"); such a
 * fragment gets the field's label in front so that it reads as a sentence.
 */
function sentence(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

/**
 * Shows the server's field errors on the matching fields (`labels` maps each form field
 * to its visible label) and returns the message to show for the form as a whole, or null
 * when every problem was placed on a field. `rename` maps a server field the form names
 * differently (`target.metric_type` → `metric_type`) to the form's.
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  labels: Partial<Record<Path<T>, string>>,
  rename: (field: string) => string = (field) => field,
): string | null {
  if (!(error instanceof ApiError) || error.errors.length === 0) return errorMessage(error);
  const unplaced: string[] = [];
  let first = true;
  for (const { field, message } of error.errors) {
    const name = rename(normalizeField(field)) as Path<T>;
    const label = labels[name];
    if (label !== undefined) {
      setError(name, { type: 'server', message: sentence(label, message) }, { shouldFocus: first });
      first = false;
    } else {
      unplaced.push(sentence(field, message));
    }
  }
  if (unplaced.length > 0) return unplaced.join(' ');
  return null;
}
