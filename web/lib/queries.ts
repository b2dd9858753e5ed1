/**
 * TanStack Query hooks over lib/api.ts. Every key carries the current organization id,
 * so switching organizations never shows one tenant's cached data under another.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import { useSession } from './session';

export const queryKeys = {
  me: (orgId: string | null) => ['me', orgId] as const,
  organization: (orgId: string | null) => ['organization', orgId] as const,
  members: (orgId: string | null) => ['members', orgId] as const,
  apiKeys: (orgId: string | null) => ['api-keys', orgId] as const,
};

export function useOrgId(): string | null {
  return useSession((s) => s.organization?.id ?? null);
}

export function useMe() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.me(orgId), queryFn: api.me, enabled: orgId !== null });
}

export function useOrganization() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.organization(orgId), queryFn: api.getOrganization, enabled: orgId !== null });
}

export function useMembers(enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.members(orgId), queryFn: api.listMembers, enabled: enabled && orgId !== null });
}

export function useApiKeys(enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.apiKeys(orgId),
    queryFn: api.listApiKeys,
    enabled: enabled && orgId !== null,
    select: (data) => data.items,
  });
}
