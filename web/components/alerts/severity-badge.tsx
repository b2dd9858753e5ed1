import type { AlertSeverity } from '@/lib/api';
import { cn } from '../ui/cn';
import { SEVERITY_LABELS, SEVERITY_STYLE } from './format';

/** An alert's or a rule's severity: a colour and, always, the word. */
export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return (
    <span
      className={cn(
        'inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset',
        SEVERITY_STYLE[severity] ?? SEVERITY_STYLE.low,
      )}
    >
      <span className="sr-only">Severity: </span>
      {SEVERITY_LABELS[severity] ?? severity}
    </span>
  );
}
