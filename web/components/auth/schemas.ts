// zod/mini keeps the first load small (the classic API costs ~40 KB gzip more).
import * as z from 'zod/mini';

export const PASSWORD_MIN = 10;

/** A trimmed, required email address. */
export const emailField = (empty = 'Enter your email address') =>
  z.pipe(z.string().check(z.trim(), z.minLength(1, empty)), z.email('Enter a valid email address'));

/** A trimmed, required short text. */
export const textField = (empty: string, max = 100) =>
  z.string().check(z.trim(), z.minLength(1, empty), z.maxLength(max, `Use at most ${max} characters`));

export const loginSchema = z.object({
  email: emailField(),
  password: z.string().check(z.minLength(1, 'Enter your password')),
});
export type LoginValues = z.input<typeof loginSchema>;

export const signupSchema = z.object({
  name: textField('Enter your name'),
  email: emailField(),
  organization_name: textField('Enter your business name'),
  password: z.string().check(z.minLength(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`)),
});
export type SignupValues = z.input<typeof signupSchema>;
