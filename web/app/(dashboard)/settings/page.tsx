import type { Metadata } from 'next';
import { ApiKeysSection } from '@/components/settings/api-keys-section';
import { MembersSection } from '@/components/settings/members-section';
import { NotificationChannelsSection } from '@/components/settings/notification-channels-section';
import { OrganizationSection } from '@/components/settings/organization-section';

export const metadata: Metadata = { title: 'Settings' };

export default function SettingsPage() {
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold text-gray-900">Settings</h1>
      <OrganizationSection />
      <MembersSection />
      <ApiKeysSection />
      <NotificationChannelsSection />
    </div>
  );
}
