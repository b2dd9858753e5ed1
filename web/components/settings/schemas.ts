import * as z from 'zod/mini';
import { API_KEY_SCOPES, INDUSTRIES } from '@/lib/api';
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
