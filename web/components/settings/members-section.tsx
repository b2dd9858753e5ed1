'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, canAdminister, errorMessage, type Member, type Role } from '@/lib/api';
import { ROLE_DESCRIPTIONS, ROLE_LABELS, formatDate } from '@/lib/options';
import { queryKeys, useMembers, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Badge } from '../ui/badge';
import { Button } from '../ui/button';
import { EmptyState, Section } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Loading } from '../ui/spinner';
import { InviteMemberForm } from './invite-member-form';

function assignableRoles(myRole: Role | null): Role[] {
  return myRole === 'owner' ? ['owner', 'admin', 'member', 'viewer'] : ['admin', 'member', 'viewer'];
}

function MemberRow({ member, isSelf, myRole }: { member: Member; isSelf: boolean; myRole: Role | null }) {
  const queryClient = useQueryClient();
  const orgId = useOrgId();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  // You cannot change yourself here, and admins cannot touch owners.
  const locked = isSelf || (member.role === 'owner' && myRole !== 'owner');
  const roles = assignableRoles(myRole);
  const options = roles.includes(member.role) ? roles : [member.role, ...roles];

  const changeRole = async (role: Role) => {
    setBusy(true);
    setError(null);
    try {
      await api.updateMemberRole(member.user_id, role);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      await queryClient.invalidateQueries({ queryKey: queryKeys.members(orgId) });
    }
  };

  const remove = async () => {
    await api.removeMember(member.user_id);
    await queryClient.invalidateQueries({ queryKey: queryKeys.members(orgId) });
  };

  const label = member.name || member.email;
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3">
      <div className="min-w-0 flex-1 basis-48">
        <p className="truncate text-sm font-medium text-gray-900">
          {label}
          {isSelf && <span className="font-normal text-gray-600"> (you)</span>}
        </p>
        <p className="truncate text-sm text-gray-600">{member.email}</p>
      </div>
      {locked ? (
        <Badge tone={member.role === 'owner' ? 'indigo' : 'gray'}>{ROLE_LABELS[member.role]}</Badge>
      ) : (
        <div className="flex items-center gap-2">
          <select
            aria-label={`Role for ${member.email}`}
            value={member.role}
            disabled={busy}
            onChange={(e) => void changeRole(e.target.value as Role)}
            className="min-h-9 rounded-md border-0 bg-white py-1 pr-8 pl-2 text-sm text-gray-900 ring-1 ring-gray-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
          >
            {options.map((r) => (
              <option key={r} value={r} title={ROLE_DESCRIPTIONS[r]}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
          <Button variant="ghost" size="sm" onClick={() => setConfirming(true)} aria-label={`Remove ${member.email}`}>
            Remove
          </Button>
        </div>
      )}
      {error && (
        <p role="alert" className="w-full text-sm text-red-700">
          {error}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Remove ${label}?`}
        description="They lose access to this organization at once. You can invite them again later."
        confirmLabel="Remove member"
        onConfirm={remove}
        onClose={() => setConfirming(false)}
      />
    </li>
  );
}

export function MembersSection() {
  const role = useSession((s) => s.role);
  const me = useSession((s) => s.user);
  const allowed = canAdminister(role);
  const queryClient = useQueryClient();
  const orgId = useOrgId();
  const { data, error, isPending } = useMembers(allowed);

  return (
    <Section id="members" title="Members" description="Who can see this organization, and what they may do.">
      {!allowed ? (
        <Alert tone="info">Only owners and admins can see and manage members.</Alert>
      ) : (
        <div className="space-y-6">
          <InviteMemberForm
            assignableRoles={assignableRoles(role)}
            onInvited={() => void queryClient.invalidateQueries({ queryKey: queryKeys.members(orgId) })}
          />
          {isPending ? (
            <Loading label="Loading members…" />
          ) : error ? (
            <Alert tone="error">Could not load members. {errorMessage(error)}</Alert>
          ) : (
            <>
              <div>
                <h3 className="text-sm font-semibold text-gray-900">People with access</h3>
                <ul className="mt-1 divide-y divide-gray-200" aria-label="Members">
                  {data.items.map((m) => (
                    <MemberRow key={m.user_id} member={m} isSelf={m.user_id === me?.id} myRole={role} />
                  ))}
                </ul>
              </div>
              <div>
                <h3 className="text-sm font-semibold text-gray-900">Pending invitations</h3>
                {data.invitations.length === 0 ? (
                  <div className="mt-2">
                    <EmptyState>No pending invitations.</EmptyState>
                  </div>
                ) : (
                  <ul className="mt-1 divide-y divide-gray-200" aria-label="Pending invitations">
                    {data.invitations.map((inv) => (
                      <li key={inv.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-3">
                        <p className="min-w-0 flex-1 basis-48 truncate text-sm text-gray-900">{inv.email}</p>
                        <Badge tone="amber">Pending</Badge>
                        <Badge>{ROLE_LABELS[inv.role]}</Badge>
                        <p className="text-sm text-gray-600">Invited {formatDate(inv.created_at)}</p>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </>
          )}
        </div>
      )}
    </Section>
  );
}
