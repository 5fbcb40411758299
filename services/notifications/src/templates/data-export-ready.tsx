// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';
export const dataExportReady: MailTemplate<'data_export_ready'> = {
  subject: () => 'Your data export is ready',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Everything we hold about you, ready to download."
      heading="Your data export is ready"
    >
      <Paragraph>
        The export of everything we hold about you is ready. You will be asked to sign in to download it.
      </Paragraph>
      <Action href={params.downloadUrl}>Download my data</Action>
      <Paragraph>It can be downloaded until {formatInstant(params.expiresAt, locale)}.</Paragraph>
    </Layout>
  ),
};
