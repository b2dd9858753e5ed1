import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { NotificationChannel } from '@/lib/api';
import { bodyOf, json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { channel } from '../alerts/fixtures';
import { CreateChannelForm } from './create-channel-form';
import { NotificationChannelsSection } from './notification-channels-section';

const email = channel({ id: 'c_2', kind: 'email', name: 'Finance inbox', config: { to: ['cfo@example.com', 'ops@example.com'] }, secret_hint: null });
const hook = channel({ id: 'c_3', kind: 'webhook', name: 'Warehouse', config: { url: 'https://example.com/hooks/bhd' }, secret_hint: '…k9Qz' });

function postedBody(fetch: ReturnType<typeof mockFetch>) {
  return bodyOf(fetch, fetch.mock.calls.findIndex(([, init]) => init?.method === 'POST'));
}

describe('CreateChannelForm', () => {
  it('checks an email channel’s recipients and sends them as a list', async () => {
    signIn('admin');
    const fetch = mockFetch({ 'POST /notification-channels': json(201, email) });
    const onCreated = vi.fn();
    const u = userEvent.setup();
    renderWithClient(<CreateChannelForm onCreated={onCreated} />);
    expect(screen.getByLabelText('Kind')).toHaveValue('email');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByText('Name the channel, e.g. “Ops on Slack”')).toBeInTheDocument();
    expect(screen.getByText('Enter at least one email address')).toBeInTheDocument();

    await u.type(screen.getByLabelText('Channel name'), 'Finance inbox');
    await u.type(screen.getByLabelText('Recipients'), 'cfo@example.com, nope');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByText('“nope” is not a valid email address')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();

    await u.clear(screen.getByLabelText('Recipients'));
    await u.type(screen.getByLabelText('Recipients'), 'cfo@example.com, ops@example.com');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(email));
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/notification-channels');
    expect(postedBody(fetch)).toEqual({ kind: 'email', name: 'Finance inbox', config: { to: ['cfo@example.com', 'ops@example.com'] } });
  });

  it('asks Slack for an https webhook URL', async () => {
    signIn('admin');
    const fetch = mockFetch({ 'POST /notification-channels': json(201, channel()) });
    const u = userEvent.setup();
    renderWithClient(<CreateChannelForm onCreated={vi.fn()} />);
    await u.selectOptions(screen.getByLabelText('Kind'), 'slack');
    expect(screen.queryByLabelText('Recipients')).not.toBeInTheDocument();
    await u.type(screen.getByLabelText('Channel name'), 'Ops on Slack');
    await u.type(screen.getByLabelText('Slack webhook URL'), 'http://hooks.slack.com/services/T/B/x');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByText('Enter an https:// URL')).toBeInTheDocument();
    await u.clear(screen.getByLabelText('Slack webhook URL'));
    await u.type(screen.getByLabelText('Slack webhook URL'), 'https://hooks.slack.com/services/T/B/Xy9Z');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(postedBody(fetch)).toEqual({
      kind: 'slack',
      name: 'Ops on Slack',
      config: { webhook_url: 'https://hooks.slack.com/services/T/B/Xy9Z' },
    });
  });

  it('sends a webhook’s URL, and its secret only when one is given', async () => {
    signIn('admin');
    const fetch = mockFetch({ 'POST /notification-channels': json(201, hook) });
    const u = userEvent.setup();
    renderWithClient(<CreateChannelForm onCreated={vi.fn()} />);
    await u.selectOptions(screen.getByLabelText('Kind'), 'webhook');
    await u.type(screen.getByLabelText('Channel name'), 'Warehouse');
    await u.type(screen.getByLabelText('Webhook URL'), 'ftp://example.com');
    await u.type(screen.getByLabelText('Signing secret (optional)'), 'short');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByText('Enter an http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByText(/Use at least 16 characters/)).toBeInTheDocument();

    await u.clear(screen.getByLabelText('Webhook URL'));
    await u.type(screen.getByLabelText('Webhook URL'), 'https://example.com/hooks/bhd');
    await u.type(screen.getByLabelText('Signing secret (optional)'), '-and-now-long-enough');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(postedBody(fetch)).toEqual({
      kind: 'webhook',
      name: 'Warehouse',
      config: { url: 'https://example.com/hooks/bhd', secret: 'short-and-now-long-enough' },
    });
  });

  it('shows the server’s field errors on the kind’s fields', async () => {
    signIn('admin');
    mockFetch({
      'POST /notification-channels': problem(422, 'Invalid channel.', [
        { field: 'config.url', message: 'must not point to a private address' },
        { field: 'name', message: 'is already used' },
      ]),
    });
    const u = userEvent.setup();
    renderWithClient(<CreateChannelForm onCreated={vi.fn()} />);
    await u.selectOptions(screen.getByLabelText('Kind'), 'webhook');
    await u.type(screen.getByLabelText('Channel name'), 'Warehouse');
    await u.type(screen.getByLabelText('Webhook URL'), 'http://10.0.0.1/hook');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByText('Webhook URL must not point to a private address')).toBeInTheDocument();
    expect(screen.getByText('Channel name is already used')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('NotificationChannelsSection', () => {
  function server(initial: NotificationChannel[] = [channel(), email, hook]) {
    let channels = initial;
    return {
      'GET /notification-channels': () => json(200, channels),
      'POST /notification-channels/c_1/test': () => json(200, { ok: true, status: 200, detail: 'Slack answered ok.' }),
      'POST /notification-channels/c_3/test': () =>
        json(200, { ok: false, status: 500, detail: 'The receiver answered 500 Internal Server Error.' }),
      'DELETE /notification-channels/c_2': () => {
        channels = channels.filter((c) => c.id !== 'c_2');
        return json(204);
      },
      'POST /notification-channels': (init: RequestInit) => {
        const body = JSON.parse(String(init.body));
        const created = { ...hook, id: 'c_4', name: body.name, config: { url: body.config.url }, secret_hint: '…Ab12' };
        channels = [...channels, created];
        return json(201, { ...created, secret: 'whsec_generated-once-3f9a' });
      },
    };
  }

  it('lists channels with their kind and target', async () => {
    signIn('owner');
    mockFetch(server());
    renderWithClient(<NotificationChannelsSection />);
    const list = await screen.findByRole('list', { name: 'Notification channels' });
    const [slack, mail, web] = within(list).getAllByRole('listitem');
    expect(slack).toHaveTextContent('Ops on Slack');
    expect(slack).toHaveTextContent('Slack');
    expect(slack).toHaveTextContent('https://hooks.slack.com/…Xy9Z');
    expect(mail).toHaveTextContent('cfo@example.com, ops@example.com');
    expect(web).toHaveTextContent('https://example.com/hooks/bhd · signing secret …k9Qz');
  });

  it('sends a test and shows the result inline', async () => {
    signIn('admin');
    mockFetch(server());
    const u = userEvent.setup();
    renderWithClient(<NotificationChannelsSection />);
    await u.click(await screen.findByRole('button', { name: 'Send a test to Ops on Slack' }));
    expect(await screen.findByText('Test delivered (HTTP 200). Slack answered ok.')).toBeInTheDocument();
    await u.click(screen.getByRole('button', { name: 'Send a test to Warehouse' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Test failed (HTTP 500). The receiver answered 500 Internal Server Error.',
    );
  });

  it('reveals a generated webhook secret once', async () => {
    signIn('admin');
    mockFetch(server([]));
    const u = userEvent.setup();
    renderWithClient(<NotificationChannelsSection />);
    expect(await screen.findByText(/No channels yet/)).toBeInTheDocument();
    await u.selectOptions(screen.getByLabelText('Kind'), 'webhook');
    await u.type(screen.getByLabelText('Channel name'), 'Data team');
    await u.type(screen.getByLabelText('Webhook URL'), 'https://data.example.com/in');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));

    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    expect(within(dialog).getByLabelText('Signing secret')).toHaveValue('whsec_generated-once-3f9a');
    expect(within(dialog).getByText(/You won’t see this secret again/)).toBeInTheDocument();
    await u.click(within(dialog).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByText('Data team')).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('whsec_generated-once-3f9a');
  });

  it('does not open the reveal dialog when no secret came back', async () => {
    signIn('admin');
    mockFetch({ ...server([]), 'POST /notification-channels': json(201, email) });
    const u = userEvent.setup();
    renderWithClient(<NotificationChannelsSection />);
    await u.type(await screen.findByLabelText('Channel name'), 'Finance inbox');
    await u.type(screen.getByLabelText('Recipients'), 'cfo@example.com');
    await u.click(screen.getByRole('button', { name: 'Add channel' }));
    await waitFor(() => expect(screen.getByLabelText('Channel name')).toHaveValue(''));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('deletes a channel after confirmation', async () => {
    signIn('admin');
    mockFetch(server());
    const u = userEvent.setup();
    renderWithClient(<NotificationChannelsSection />);
    await u.click(await screen.findByRole('button', { name: 'Delete Finance inbox' }));
    const dialog = await screen.findByRole('dialog', {}, { timeout: 3000 });
    await u.click(within(dialog).getByRole('button', { name: 'Delete channel' }));
    await waitFor(() => expect(screen.queryByText('Finance inbox')).not.toBeInTheDocument());
  });

  it('tells members and viewers that channels are for admins', () => {
    signIn('member');
    const fetch = mockFetch({});
    renderWithClient(<NotificationChannelsSection />);
    expect(screen.getByText('Only owners and admins can see and manage notification channels.')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });
});
