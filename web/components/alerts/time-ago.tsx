import { absoluteTime, relativeTime } from './format';

/** "5 minutes ago", with the exact time (in the organization's time zone) on hover. */
export function TimeAgo({ iso, now, timeZone }: { iso: string; now: number; timeZone: string }) {
  const exact = absoluteTime(iso, timeZone);
  return (
    <time dateTime={iso} title={exact}>
      {relativeTime(iso, now)}
    </time>
  );
}
