import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Sparkline } from './sparkline';

const path = (values: (string | null)[]) => {
  const { container } = render(<Sparkline values={values} />);
  return container.querySelector('path')?.getAttribute('d') ?? null;
};

describe('Sparkline', () => {
  it('breaks the line at days without data instead of dropping to zero', () => {
    const d = path(['10', '20', null, '20', '30']);
    expect(d?.match(/M/g)).toHaveLength(2);
    // The lowest value sits at the bottom edge (less the padding), not at a zero below it.
    expect(d).toMatch(/^M0\.00 29\.00L25\.00 16\.00M75\.00 16\.00L100\.00 3\.00$/);
  });

  it('shows a lone day between gaps as a dot, and nothing without data', () => {
    expect(path([null, '5', null])).toBe('M50.00 16.00h0.01');
    expect(path([null, null])).toBeNull();
  });
});
