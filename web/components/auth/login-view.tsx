'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { LoginForm } from './login-form';

export function LoginView() {
  const router = useRouter();
  return (
    <>
      <h1 className="text-xl font-bold text-gray-900">Log in</h1>
      <p className="mt-1 mb-6 text-sm text-gray-600">Welcome back. See how your business is doing.</p>
      <LoginForm onSuccess={() => router.replace('/settings/')} />
      <p className="mt-6 text-center text-sm text-gray-600">
        New here?{' '}
        <Link href="/signup/" className="font-semibold text-indigo-700 underline hover:text-indigo-900">
          Create an account
        </Link>
      </p>
    </>
  );
}
