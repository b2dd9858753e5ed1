import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-4 p-6 text-center">
      <h1 className="text-2xl font-bold text-gray-900">Page not found</h1>
      <p className="text-gray-600">This page does not exist (yet).</p>
      <Link href="/" className="font-semibold text-indigo-700 underline hover:text-indigo-900">
        Go to the dashboard
      </Link>
    </main>
  );
}
