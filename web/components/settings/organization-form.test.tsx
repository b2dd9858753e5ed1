import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { bodyOf, json, mockFetch, organization, problem, renderWithClient, signIn } from '@/test/helpers';
import { OrganizationForm } from './organization-form';

describe('OrganizationForm', () => {
  it('shows the current values', () => {
    renderWithClient(<OrganizationForm organization={organization} canEdit />);
    expect(screen.getByLabelText('Organization name')).toHaveValue('Acme Ltd');
    expect(screen.getByLabelText('Industry')).toHaveValue('saas');
    expect(screen.getByLabelText('Currency')).toHaveValue('USD');
    expect(screen.getByLabelText('Time zone')).toHaveValue('Europe/Berlin');
  });

  it('requires a name', async () => {
    const fetch = mockFetch({});
    const u = userEvent.setup();
    renderWithClient(<OrganizationForm organization={organization} canEdit />);
    await u.clear(screen.getByLabelText('Organization name'));
    await u.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Enter the organization name')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('PATCHes the organization with the edited values', async () => {
    signIn('admin');
    const updated = { ...organization, name: 'Acme Group', timezone: 'Asia/Tokyo', currency: 'EUR', industry: 'retail' };
    const fetch = mockFetch({ 'PATCH /organization': json(200, updated) });
    const onSaved = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<OrganizationForm organization={organization} canEdit onSaved={onSaved} />);
    await u.clear(screen.getByLabelText('Organization name'));
    await u.type(screen.getByLabelText('Organization name'), 'Acme Group');
    await u.selectOptions(screen.getByLabelText('Industry'), 'retail');
    await u.selectOptions(screen.getByLabelText('Currency'), 'EUR');
    await u.selectOptions(screen.getByLabelText('Time zone'), 'Asia/Tokyo');
    await u.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(updated));
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/organization');
    expect(fetch.mock.calls[0][1]?.method).toBe('PATCH');
    expect(bodyOf(fetch)).toEqual({ name: 'Acme Group', industry: 'retail', currency: 'EUR', timezone: 'Asia/Tokyo' });
    expect((fetch.mock.calls[0][1]?.headers as Record<string, string>).Authorization).toBe('Bearer access-1');
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
  });

  it('shows server field errors next to their fields', async () => {
    signIn('owner');
    mockFetch({
      'PATCH /organization': problem(422, 'Invalid fields: timezone', [
        { field: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin' },
      ]),
    });
    const u = userEvent.setup();
    renderWithClient(<OrganizationForm organization={organization} canEdit />);
    await u.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Time zone must be an IANA time zone such as Europe/Berlin')).toBeInTheDocument();
    expect(screen.getByLabelText('Time zone')).toHaveAttribute('aria-invalid', 'true');
  });

  it('is read-only for roles that may not edit', () => {
    renderWithClient(<OrganizationForm organization={organization} canEdit={false} />);
    expect(screen.getByLabelText('Organization name')).toBeDisabled();
    expect(screen.getByLabelText('Time zone')).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Save changes' })).not.toBeInTheDocument();
    expect(screen.getByText('Only owners and admins can change these settings.')).toBeInTheDocument();
  });
});
