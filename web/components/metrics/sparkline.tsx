import { toNumber } from './format';

/**
 * A tiny trend line (an SVG path, no chart library). Days without data break the line
 * instead of dropping to zero; a lone day between gaps shows as a dot. Decorative: the
 * card around it states the value and the change in words.
 */
export function Sparkline({
  values,
  className,
}: {
  /** Oldest first; null is a gap. */
  values: (string | number | null)[];
  className?: string;
}) {
  const numbers = values.map(toNumber);
  const present = numbers.filter((n): n is number => n !== null);
  if (present.length === 0) return null;
  const min = Math.min(...present);
  const max = Math.max(...present);
  const width = 100;
  const height = 32;
  const pad = 3;
  const x = (i: number) => (numbers.length === 1 ? width / 2 : (i / (numbers.length - 1)) * width);
  // A flat series sits in the middle rather than on an edge.
  const y = (n: number) => (max === min ? height / 2 : pad + (1 - (n - min) / (max - min)) * (height - 2 * pad));

  let d = '';
  numbers.forEach((n, i) => {
    if (n === null) return;
    const point = `${x(i).toFixed(2)} ${y(n).toFixed(2)}`;
    const startsSegment = i === 0 || numbers[i - 1] === null;
    const endsSegment = i === numbers.length - 1 || numbers[i + 1] === null;
    if (startsSegment) d += `M${point}`;
    else d += `L${point}`;
    // A lone point gets a zero-length stroke, drawn as a dot by the round line cap.
    if (startsSegment && endsSegment) d += 'h0.01';
  });

  return (
    <svg
      aria-hidden="true"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      className={className}
      data-testid="sparkline"
    >
      <path
        d={d}
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
}
