import '@testing-library/jest-dom/vitest';
// A canvas for Chart.js (jsdom has none).
import 'vitest-canvas-mock';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { useLiveStatus } from '@/lib/live';
import { useSession } from '@/lib/session';

// jsdom has no ResizeObserver; Chart.js's responsive mode needs one.
if (typeof globalThis.ResizeObserver === 'undefined') {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  useLiveStatus.setState({ status: 'off' });
  useSession.setState({ status: 'loading', accessToken: null, expiresAt: null, user: null, organization: null, role: null });
});
