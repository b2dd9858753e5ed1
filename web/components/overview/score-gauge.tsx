import { BAND_LABELS, BAND_STROKE, BAND_TEXT, formatScore, scoreBand } from './format';

// A half circle from 180° to 0°: radius 80 around (100, 100).
const R = 80;
const LENGTH = Math.PI * R;
const ARC = `M ${100 - R} 100 A ${R} ${R} 0 0 1 ${100 + R} 100`;

/**
 * The overall score as a half-circle gauge. A meter to assistive tech (with the score in its
 * label); with no score it is an image that says so, never a zero.
 */
export function ScoreGauge({ score, label = 'Overall health score' }: { score: number | null; label?: string }) {
  const band = scoreBand(score);
  const shown = formatScore(score);
  const fraction = score === null ? 0 : Math.min(Math.max(score, 0), 100) / 100;
  const a11y =
    score === null
      ? { role: 'img' as const, 'aria-label': `${label}: not enough data yet` }
      : {
          role: 'meter' as const,
          'aria-label': `${label}: ${shown} out of 100, ${BAND_LABELS[band].toLowerCase()}`,
          'aria-valuemin': 0,
          'aria-valuemax': 100,
          'aria-valuenow': Math.round(score * 10) / 10,
          'aria-valuetext': `${shown} out of 100`,
        };
  return (
    <div {...a11y} className="mx-auto w-full max-w-xs">
      <svg viewBox="0 0 200 112" aria-hidden="true" className="w-full">
        <path d={ARC} fill="none" stroke="#e5e7eb" strokeWidth="16" strokeLinecap="round" />
        {score !== null && fraction > 0 && (
          <path
            d={ARC}
            fill="none"
            stroke={BAND_STROKE[band]}
            strokeWidth="16"
            strokeLinecap="round"
            strokeDasharray={`${fraction * LENGTH} ${LENGTH}`}
            data-testid="gauge-value"
          />
        )}
        <text x="100" y="92" textAnchor="middle" className="fill-gray-900 text-[34px] font-bold">
          {shown}
        </text>
        <text x="100" y="110" textAnchor="middle" className="fill-gray-500 text-[11px]">
          out of 100
        </text>
      </svg>
      <p className={`mt-1 text-center text-sm font-semibold ${BAND_TEXT[band]}`}>{BAND_LABELS[band]}</p>
    </div>
  );
}
