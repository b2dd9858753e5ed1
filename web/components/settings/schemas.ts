import * as z from 'zod/mini';
import { API_KEY_SCOPES, CHANNEL_KINDS, INDUSTRIES } from '@/lib/api';
import { emailField, textField } from '../auth/schemas';

export const organizationSchema = z.object({
  name: textField('Enter the organization name'),
  industry: z.enum(INDUSTRIES, 'Choose an industry'),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Choose a currency')),
  timezone: z.string().check(z.minLength(1, 'Choose a time zone')),
});
export type OrganizationValues = z.input<typeof organizationSchema>;

/** Visible labels of the organization fields (server messages are prefixed with them). */
export const ORGANIZATION_LABELS = {
  name: 'Organization name',
  industry: 'Industry',
  currency: 'Currency',
  timezone: 'Time zone',
};

export const inviteMemberSchema = z.object({
  email: emailField('Enter an email address'),
  role: z.enum(['owner', 'admin', 'member', 'viewer'], 'Choose a role'),
});
export type InviteMemberValues = z.input<typeof inviteMemberSchema>;

export const createApiKeySchema = z.object({
  name: textField('Name the key, e.g. “Warehouse sync”'),
  scopes: z.array(z.enum(API_KEY_SCOPES)).check(z.minLength(1, 'Choose at least one scope')),
});
export type CreateApiKeyValues = z.input<typeof createApiKeySchema>;

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
/** Webhook secrets shorter than this are too easy to guess to sign anything. */
export const WEBHOOK_SECRET_MIN = 16;

/** "a@b.com, c@d.com; e@f.com" → the addresses, in order, without blanks. */
export function splitEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * A notification channel as the form holds it: every kind's fields, of which only the chosen
 * kind's are checked and sent.
 */
export const notificationChannelSchema = z
  .object({
    kind: z.enum(CHANNEL_KINDS, 'Choose a kind'),
    name: textField('Name the channel, e.g. “Ops on Slack”'),
    to: z.string(),
    webhook_url: z.string().check(z.trim()),
    url: z.string().check(z.trim()),
    secret: z.string(),
  })
  .check(
    z.superRefine((v, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [path], input: v });
      if (v.kind === 'email') {
        const emails = splitEmails(v.to);
        const bad = emails.find((e) => !EMAIL.test(e));
        if (emails.length === 0) issue('to', 'Enter at least one email address');
        else if (bad) issue('to', `“${bad}” is not a valid email address`);
      } else if (v.kind === 'slack') {
        if (v.webhook_url === '') issue('webhook_url', 'Paste the Slack incoming webhook URL');
        else if (!isUrl(v.webhook_url, ['https:'])) issue('webhook_url', 'Enter an https:// URL');
      } else {
        if (v.url === '') issue('url', 'Enter the URL to send alerts to');
        else if (!isUrl(v.url, ['https:', 'http:'])) issue('url', 'Enter an http:// or https:// URL');
        if (v.secret !== '' && v.secret.length < WEBHOOK_SECRET_MIN) {
          issue('secret', `Use at least ${WEBHOOK_SECRET_MIN} characters, or leave it empty to have one generated`);
        }
      }
    }),
  );
export type NotificationChannelValues = z.input<typeof notificationChannelSchema>;

/** Visible labels of the channel form's fields. */
export const CHANNEL_LABELS = {
  kind: 'Kind',
  name: 'Channel name',
  to: 'Recipients',
  webhook_url: 'Slack webhook URL',
  url: 'Webhook URL',
  secret: 'Signing secret',
} as const;

/** The form field a server error names (`config.to[1]` → `to`). */
export function channelFieldOf(field: string, kind: string): string {
  const config = field.match(/^config(?:\.([a-z_]+))?/);
  if (!config) return field;
  if (config[1]) return config[1];
  return kind === 'email' ? 'to' : kind === 'slack' ? 'webhook_url' : 'url';
}
