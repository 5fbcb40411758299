// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const emailChangeRequested: MailTemplate<'email_change_requested'> = {
  subject: () => 'Your account email address is being changed',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="A change of your account's email address was requested."
      heading="Your email address is being changed"
    >
      <Paragraph>
        On {formatInstant(params.requestedAt, locale)}, someone asked to change your account&apos;s email
        address to {params.newEmail}. The change happens once the new address is confirmed.
      </Paragraph>
      <Paragraph>If this was you, there is nothing more to do. If it was not, stop the change now:</Paragraph>
      <Action href={params.reportUrl}>This wasn&apos;t me</Action>
    </Layout>
  ),
};
