'use client';

import { useQueryClient } from '@tanstack/react-query';
import { canAdminister, errorMessage, type Organization } from '@/lib/api';
import { queryKeys, useOrganization } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Section } from '../ui/card';
import { Loading } from '../ui/spinner';
import { OrganizationForm } from './organization-form';

export function OrganizationSection() {
  const role = useSession((s) => s.role);
  const queryClient = useQueryClient();
  const { data, error, isPending } = useOrganization();

  const onSaved = (org: Organization) => {
    queryClient.setQueryData(queryKeys.organization(org.id), org);
    useSession.getState().setOrganization(org);
    void queryClient.invalidateQueries({ queryKey: ['me'] });
  };

  return (
    <Section id="organization" title="Organization" description="How your business is named and where its days begin.">
      {isPending ? (
        <Loading label="Loading organization…" />
      ) : error ? (
        <Alert tone="error">Could not load the organization. {errorMessage(error)}</Alert>
      ) : (
        // Keyed by id so switching organizations resets the form to the new values.
        <OrganizationForm key={data.id} organization={data} canEdit={canAdminister(role)} onSaved={onSaved} />
      )}
    </Section>
  );
}
