// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';
export const accountDeletionScheduled: MailTemplate<'account_deletion_scheduled'> = {
  subject: () => 'Your account will be deleted',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Your account and its data will be erased."
      heading="Your account will be deleted"
    >
      <Paragraph>
        As asked, your account and everything in it will be erased on{' '}
        {formatInstant(params.scheduledFor, locale)}. Until then you can change your mind:
      </Paragraph>
      <Action href={params.cancelUrl}>Keep my account</Action>
    </Layout>
  ),
};
