import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useLiveStatus } from '@/lib/live';
import { LiveIndicator } from './live-indicator';

describe('LiveIndicator', () => {
  it('states the connection in a status region, in words', () => {
    render(<LiveIndicator />);
    const region = screen.getByRole('status');
    expect(region).toBeEmptyDOMElement();
    act(() => useLiveStatus.setState({ status: 'connecting' }));
    expect(region).toHaveTextContent(/^Connecting…$/);
    act(() => useLiveStatus.setState({ status: 'live' }));
    expect(region).toHaveTextContent(/^Live$/);
    expect(region).toHaveAttribute('title', 'This page updates itself as new data arrives.');
    act(() => useLiveStatus.setState({ status: 'reconnecting' }));
    expect(region).toHaveTextContent(/^Reconnecting…$/);
    // The dot only repeats the word.
    expect(region.querySelector('[aria-hidden="true"]')).not.toBeNull();
  });
});
