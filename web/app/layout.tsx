import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/session/providers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Business Health Dashboard', template: '%s · Business Health Dashboard' },
  description: 'One health score for your business, with the reasons behind it.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#4f46e5',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-dvh font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
