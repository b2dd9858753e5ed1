import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { bodyOf, headersOf, json, mockFetch, problem, renderWithClient, tokens } from '@/test/helpers';
import { LoginForm } from './login-form';

async function submit(email: string, password: string) {
  const u = userEvent.setup();
  if (email) await u.type(screen.getByLabelText('Email'), email);
  if (password) await u.type(screen.getByLabelText('Password'), password);
  await u.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('LoginForm', () => {
  it('requires an email and a password', async () => {
    const fetch = mockFetch({});
    renderWithClient(<LoginForm onSuccess={vi.fn()} />);
    await submit('', '');
    expect(await screen.findByText('Enter your email address')).toBeInTheDocument();
    expect(screen.getByText('Enter your password')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('rejects a malformed email', async () => {
    mockFetch({});
    renderWithClient(<LoginForm onSuccess={vi.fn()} />);
    await submit('ada@', 'whatever-password');
    expect(await screen.findByText('Enter a valid email address')).toBeInTheDocument();
  });

  it('posts the credentials in cookie session mode and stores the token in memory', async () => {
    const fetch = mockFetch({ 'POST /auth/login': json(200, tokens({ access_token: 'fresh' })) });
    const onSuccess = vi.fn();
    renderWithClient(<LoginForm onSuccess={onSuccess} />);
    await submit('ada@example.com', 'correct horse battery');
    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/auth/login');
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
    expect(bodyOf(fetch)).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });
    expect(headersOf(fetch)['X-Session-Mode']).toBe('cookie');
    expect(useSession.getState().accessToken).toBe('fresh');
    expect(window.localStorage.length).toBe(0);
    expect(window.sessionStorage.length).toBe(0);
  });

  it('shows one generic message for bad credentials (401) and does not try a refresh', async () => {
    const fetch = mockFetch({ 'POST /auth/login': problem(401, 'Invalid email or password') });
    const onSuccess = vi.fn();
    renderWithClient(<LoginForm onSuccess={onSuccess} />);
    await submit('ada@example.com', 'wrong password');
    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is incorrect.');
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(onSuccess).not.toHaveBeenCalled();
    expect(useSession.getState().accessToken).toBeNull();
  });

  it('shows server field errors next to their fields', async () => {
    mockFetch({
      'POST /auth/login': problem(422, 'Invalid input', [{ field: 'email', message: 'Email is not valid' }]),
    });
    renderWithClient(<LoginForm onSuccess={vi.fn()} />);
    await submit('ada@example.com', 'correct horse');
    expect(await screen.findByText('Email is not valid')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
  });
});
