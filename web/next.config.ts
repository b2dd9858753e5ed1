import type { NextConfig } from 'next';

// The dashboard is a static export served by `bhd serve` from the same origin as the API.
const nextConfig: NextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
