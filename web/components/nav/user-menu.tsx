'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { api } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Dropdown, dropdownItem } from '../ui/dropdown';

/** The signed-in user, with log-out. */
export function UserMenu() {
  const user = useSession((s) => s.user);
  const queryClient = useQueryClient();
  const router = useRouter();

  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // The local session ends regardless; the server-side cookie expires on its own.
    }
    useSession.getState().clear();
    queryClient.clear();
    router.replace('/login/');
  };

  const initial = (user?.name || user?.email || '?').charAt(0).toUpperCase();
  return (
    <Dropdown
      align="end"
      panelClassName="w-64"
      buttonClassName="flex size-11 items-center justify-center rounded-full hover:bg-gray-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
      label={
        <>
          <span className="sr-only">Account</span>
          <span
            aria-hidden="true"
            className="flex size-8 items-center justify-center rounded-full bg-indigo-600 text-sm font-semibold text-white"
          >
            {initial}
          </span>
        </>
      }
    >
      {() => (
        <>
          <div className="px-3 py-2">
            <p className="truncate text-sm font-medium text-gray-900">{user?.name}</p>
            <p className="truncate text-sm text-gray-600">{user?.email}</p>
          </div>
          <button type="button" onClick={() => void logout()} className={dropdownItem}>
            Log out
          </button>
        </>
      )}
    </Dropdown>
  );
}
