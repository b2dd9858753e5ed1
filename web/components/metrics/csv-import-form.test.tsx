import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { headersOf, json, mockFetch, problem, renderWithClient, signIn } from '@/test/helpers';
import { CsvImportForm } from './csv-import-form';
import { CsvImportSection } from './csv-import-section';

const CSV = [
  'metric_type,value,recorded_at',
  'revenue,1250.00,2025-11-01T00:00:00Z',
  'revenue,abc,2025-11-02T00:00:00Z',
  'cash_balance,48000,2025-11-01T00:00:00Z',
  'nope,1,yesterday',
].join('\n');

const csvFile = (name = 'points.csv', type = 'text/csv') => new File([CSV], name, { type });

describe('CsvImportForm', () => {
  it('sends the file as is and lists accepted, updated and rejected lines', async () => {
    signIn('member');
    const fetch = mockFetch({
      'POST /metrics/import': json(200, {
        accepted: 2,
        updated: 1,
        rejected: [
          { line: 3, error: 'value: not a decimal number' },
          { line: 5, error: 'recorded_at: not an RFC 3339 date and time' },
        ],
      }),
    });
    const u = userEvent.setup();
    renderWithClient(<CsvImportForm />);
    const file = csvFile();
    await u.upload(screen.getByLabelText('CSV file'), file);
    await u.click(screen.getByRole('button', { name: 'Upload' }));

    expect(await screen.findByText('Imported “points.csv”, with 2 rejected lines.')).toBeInTheDocument();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/v1/metrics/import');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe(file);
    expect(headersOf(fetch)['Content-Type']).toBe('text/csv');
    expect(headersOf(fetch).Authorization).toBe('Bearer access-1');

    const figures = screen.getByRole('status');
    expect(within(figures).getByText('Accepted:').nextSibling).toHaveTextContent('2');
    expect(within(figures).getByText('Updated:').nextSibling).toHaveTextContent('1');
    expect(within(figures).getByText('Rejected:').nextSibling).toHaveTextContent('2');
    const rows = within(screen.getByRole('table', { name: /Rejected lines/ })).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual([
      'LineReason',
      '3value: not a decimal number',
      '5recorded_at: not an RFC 3339 date and time',
    ]);
  });

  it('reports a clean import without a table', async () => {
    signIn('member');
    mockFetch({ 'POST /metrics/import': json(200, { accepted: 4, updated: 0, rejected: [] }) });
    const u = userEvent.setup();
    renderWithClient(<CsvImportForm />);
    await u.upload(screen.getByLabelText('CSV file'), csvFile());
    await u.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Imported “points.csv”.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('counts every rejected line when the server lists only the first ones', async () => {
    signIn('member');
    mockFetch({
      'POST /metrics/import': json(200, {
        accepted: 10,
        updated: 0,
        rejected: [
          { line: 2, error: 'value: is required' },
          { line: 3, error: 'value: is required' },
        ],
        rejected_count: 1500,
      }),
    });
    const u = userEvent.setup();
    renderWithClient(<CsvImportForm />);
    await u.upload(screen.getByLabelText('CSV file'), csvFile());
    await u.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Imported “points.csv”, with 1,500 rejected lines.')).toBeInTheDocument();
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByText('And 1,498 more rejected lines.')).toBeInTheDocument();
  });

  it('asks for a CSV file before sending anything', async () => {
    signIn('member');
    const fetch = mockFetch({});
    const u = userEvent.setup({ applyAccept: false });
    renderWithClient(<CsvImportForm />);
    await u.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Choose a CSV file')).toBeInTheDocument();
    await u.upload(screen.getByLabelText('CSV file'), csvFile('numbers.xlsx', 'application/octet-stream'));
    await u.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Choose a file whose name ends in .csv')).toBeInTheDocument();
    expect(screen.getByLabelText('CSV file')).toHaveAttribute('aria-invalid', 'true');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('shows the server’s problem when the whole file is refused', async () => {
    signIn('member');
    mockFetch({ 'POST /metrics/import': problem(422, 'The header must name metric_type, value and recorded_at') });
    const u = userEvent.setup();
    renderWithClient(<CsvImportForm />);
    await u.upload(screen.getByLabelText('CSV file'), csvFile());
    await u.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() =>
      expect(screen.getByRole('alert')).toHaveTextContent('The header must name metric_type, value and recorded_at'),
    );
  });
});

describe('CsvImportSection', () => {
  it('tells viewers that importing needs the member role', () => {
    signIn('viewer');
    renderWithClient(<CsvImportSection />);
    expect(screen.getByText(/Viewers can read metrics but not import them/)).toBeInTheDocument();
    expect(screen.queryByLabelText('CSV file')).not.toBeInTheDocument();
  });
});
