'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { SignupForm } from './signup-form';

export function SignupView() {
  const router = useRouter();
  return (
    <>
      <h1 className="text-xl font-bold text-gray-900">Create your account</h1>
      <p className="mt-1 mb-6 text-sm text-gray-600">One health score for your business, with the reasons behind it.</p>
      <SignupForm onSuccess={() => router.replace('/settings/')} />
      <p className="mt-6 text-center text-sm text-gray-600">
        Already have an account?{' '}
        <Link href="/login/" className="font-semibold text-indigo-700 underline hover:text-indigo-900">
          Log in
        </Link>
      </p>
    </>
  );
}
