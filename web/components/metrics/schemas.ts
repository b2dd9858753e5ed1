import * as z from 'zod/mini';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A custom range of calendar dates (inclusive), as `<input type="date">` gives them. */
export const customRangeSchema = z
  .object({
    from: z.string().check(z.regex(DATE, 'Choose a start date')),
    to: z.string().check(z.regex(DATE, 'Choose an end date')),
  })
  .check(
    z.refine((v) => !DATE.test(v.from) || !DATE.test(v.to) || v.from <= v.to, {
      error: 'The end date must be on or after the start date',
      path: ['to'],
    }),
  );
export type CustomRangeValues = z.input<typeof customRangeSchema>;

function hasFile(v: unknown): v is FileList {
  return typeof FileList !== 'undefined' && v instanceof FileList && v.length > 0;
}

/** A CSV by its name or its type (Excel on Windows labels CSV files `application/vnd.ms-excel`). */
function isCsv(file: File): boolean {
  return /\.csv$/i.test(file.name) || file.type === 'text/csv';
}

export const csvImportSchema = z.object({
  file: z
    .custom<FileList>(hasFile, 'Choose a CSV file')
    .check(z.refine((v) => !hasFile(v) || isCsv(v[0]), 'Choose a file whose name ends in .csv')),
});
export type CsvImportValues = z.input<typeof csvImportSchema>;
