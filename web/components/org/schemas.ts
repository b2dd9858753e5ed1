import * as z from 'zod/mini';
import { organizationSchema } from '../settings/schemas';

/** A new organization takes the same fields as the organization settings form. */
export const createOrganizationSchema = organizationSchema;
export type CreateOrganizationValues = z.input<typeof createOrganizationSchema>;
