import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { bodyOf, json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { ApiKeysSection } from './api-keys-section';
import { CreateApiKeyForm } from './create-api-key-form';

const created = {
  id: 'k_1',
  name: 'Warehouse sync',
  prefix: 'bhd_ab12',
  scopes: ['read', 'ingest'],
  created_at: '2025-02-01T00:00:00Z',
  key: 'bhd_ab12_s3cr3t-value-shown-once',
};

describe('CreateApiKeyForm', () => {
  it('requires a name and at least one scope', async () => {
    const fetch = mockFetch({});
    const u = userEvent.setup();
    renderWithClient(<CreateApiKeyForm onCreated={vi.fn()} />);
    expect(screen.getByLabelText('Read')).toBeChecked();
    await u.click(screen.getByLabelText('Read'));
    await u.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Name the key, e.g. “Warehouse sync”')).toBeInTheDocument();
    expect(screen.getByText('Choose at least one scope')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('posts the name and the chosen scopes', async () => {
    signIn('admin');
    const fetch = mockFetch({ 'POST /api-keys': json(201, created) });
    const onCreated = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<CreateApiKeyForm onCreated={onCreated} />);
    await u.type(screen.getByLabelText('Key name'), 'Warehouse sync');
    await u.click(screen.getByLabelText('Ingest'));
    await u.click(screen.getByRole('button', { name: 'Create key' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/api-keys');
    expect(bodyOf(fetch)).toEqual({ name: 'Warehouse sync', scopes: ['read', 'ingest'] });
  });

  it('shows server field errors next to their fields', async () => {
    signIn('admin');
    mockFetch({ 'POST /api-keys': problem(422, 'Invalid input', [{ field: 'name', message: 'Name is already used' }]) });
    const u = userEvent.setup();
    renderWithClient(<CreateApiKeyForm onCreated={vi.fn()} />);
    await u.type(screen.getByLabelText('Key name'), 'Dup');
    await u.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Name is already used')).toBeInTheDocument();
    expect(screen.getByLabelText('Key name')).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('ApiKeysSection', () => {
  it('reveals a new key once; after closing, the secret is gone from the page', async () => {
    signIn('owner');
    let listed: unknown[] = [];
    mockFetch({
      'GET /api-keys': () => json(200, { items: listed }),
      'POST /api-keys': () => {
        listed = [{ ...created, key: undefined, last_used_at: null }];
        return json(201, created);
      },
    });
    const u = userEvent.setup();
    renderWithClient(<ApiKeysSection />);
    expect(await screen.findByText(/No API keys yet/)).toBeInTheDocument();
    await u.type(screen.getByLabelText('Key name'), 'Warehouse sync');
    await u.click(screen.getByRole('button', { name: 'Create key' }));

    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    expect(within(dialog).getByLabelText('API key')).toHaveValue(created.key);
    expect(within(dialog).getByText(/You won’t see this key again/)).toBeInTheDocument();

    await u.click(within(dialog).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByText('Warehouse sync')).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(created.key);
  });

  it('tells members and viewers that keys are for admins', () => {
    signIn('viewer');
    const fetch = mockFetch({});
    renderWithClient(<ApiKeysSection />);
    expect(screen.getByText('Only owners and admins can see and manage API keys.')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });
});
