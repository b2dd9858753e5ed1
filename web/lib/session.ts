/**
 * The signed-in session, in memory only. The access token lives here and nowhere else
 * (never localStorage or sessionStorage); the refresh token is an HttpOnly cookie that
 * scripts never see. A page load restores the session with `refreshSession()` (lib/api.ts).
 */
import { create } from 'zustand';
import type { Organization, Role, TokenResponse, User } from './api';

export type SessionStatus = 'loading' | 'authenticated' | 'anonymous';

export interface SessionState {
  status: SessionStatus;
  accessToken: string | null;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number | null;
  user: User | null;
  organization: Organization | null;
  role: Role | null;
  setTokens: (tokens: TokenResponse) => void;
  setOrganization: (organization: Organization) => void;
  clear: () => void;
}

const empty = {
  accessToken: null,
  expiresAt: null,
  user: null,
  organization: null,
  role: null,
} as const;

export const useSession = create<SessionState>()((set) => ({
  status: 'loading',
  ...empty,
  setTokens: (tokens) =>
    set({
      status: 'authenticated',
      accessToken: tokens.access_token,
      expiresAt: Date.now() + tokens.expires_in * 1000,
      user: tokens.user,
      organization: tokens.organization,
      role: tokens.role,
    }),
  setOrganization: (organization) =>
    set((state) => (state.organization?.id === organization.id ? { organization } : {})),
  clear: () => set({ status: 'anonymous', ...empty }),
}));
