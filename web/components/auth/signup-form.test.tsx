import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { useSession } from '@/lib/session';
import { bodyOf, headersOf, json, mockFetch, problem, renderWithClient, tokens } from '@/test/helpers';
import { SignupForm } from './signup-form';

async function fill(values: { name?: string; email?: string; org?: string; password?: string }) {
  const u = userEvent.setup();
  if (values.name) await u.type(screen.getByLabelText('Your name'), values.name);
  if (values.email) await u.type(screen.getByLabelText('Email'), values.email);
  if (values.org) await u.type(screen.getByLabelText('Business name'), values.org);
  if (values.password) await u.type(screen.getByLabelText('Password'), values.password);
  await u.click(screen.getByRole('button', { name: 'Create account' }));
}

describe('SignupForm', () => {
  it('shows a message next to every missing field and calls nothing', async () => {
    const fetch = mockFetch({});
    renderWithClient(<SignupForm onSuccess={vi.fn()} />);
    await fill({});
    expect(await screen.findByText('Enter your name')).toBeInTheDocument();
    expect(screen.getByText('Enter your email address')).toBeInTheDocument();
    expect(screen.getByText('Enter your business name')).toBeInTheDocument();
    expect(screen.getByText('Use at least 10 characters')).toBeInTheDocument();
    expect(screen.getByLabelText('Your name')).toHaveAttribute('aria-invalid', 'true');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('rejects a bad email and a short password', async () => {
    mockFetch({});
    renderWithClient(<SignupForm onSuccess={vi.fn()} />);
    await fill({ name: 'Ada', email: 'not-an-email', org: 'Acme', password: 'short' });
    expect(await screen.findByText('Enter a valid email address')).toBeInTheDocument();
    expect(screen.getByText('Use at least 10 characters')).toBeInTheDocument();
  });

  it('posts the trimmed values in cookie session mode and signs in', async () => {
    const fetch = mockFetch({ 'POST /auth/signup': json(201, tokens()) });
    const onSuccess = vi.fn();
    renderWithClient(<SignupForm onSuccess={onSuccess} />);
    await fill({ name: ' Ada Lovelace ', email: 'ada@example.com', org: 'Acme Ltd', password: 'correct horse' });
    await waitFor(() => expect(onSuccess).toHaveBeenCalled());
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/auth/signup');
    expect(bodyOf(fetch)).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      organization_name: 'Acme Ltd',
      password: 'correct horse',
    });
    expect(headersOf(fetch)['X-Session-Mode']).toBe('cookie');
    expect(useSession.getState()).toMatchObject({ status: 'authenticated', accessToken: 'access-1' });
  });

  it('shows server field errors next to their fields', async () => {
    mockFetch({
      'POST /auth/signup': problem(422, 'Invalid input', [
        { field: 'email', message: 'This email is already registered' },
        { field: 'password', message: 'This password is too common' },
      ]),
    });
    const onSuccess = vi.fn();
    renderWithClient(<SignupForm onSuccess={onSuccess} />);
    await fill({ name: 'Ada', email: 'ada@example.com', org: 'Acme', password: 'password123' });
    expect(await screen.findByText('This email is already registered')).toBeInTheDocument();
    expect(screen.getByText('This password is too common')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(onSuccess).not.toHaveBeenCalled();
  });

  it('turns the server\'s message fragments into sentences with the field label', async () => {
    mockFetch({
      'POST /auth/signup': problem(422, 'Invalid fields: email', [{ field: 'email', message: 'is already registered' }]),
    });
    renderWithClient(<SignupForm onSuccess={vi.fn()} />);
    await fill({ name: 'Ada', email: 'ada@example.com', org: 'Acme', password: 'password123' });
    expect(await screen.findByText('Email is already registered')).toBeInTheDocument();
  });

  it('shows a conflict without field errors on the email field', async () => {
    mockFetch({ 'POST /auth/signup': problem(409, 'An account with this email already exists') });
    renderWithClient(<SignupForm onSuccess={vi.fn()} />);
    await fill({ name: 'Ada', email: 'ada@example.com', org: 'Acme', password: 'password123' });
    expect(await screen.findByText('An account with this email already exists')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
  });
});
