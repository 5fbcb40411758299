// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const emailChangeCompleted: MailTemplate<'email_change_completed'> = {
  subject: () => 'Your account email address was changed',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Your account now uses a different email address."
      heading="Your email address was changed"
    >
      <Paragraph>
        On {formatInstant(params.changedAt, locale)}, your account&apos;s email address was changed to{' '}
        {params.newEmail}. We will not write to this address again about the account.
      </Paragraph>
      <Paragraph>
        If this was not you, tell us now and we will lock the account until it is sorted out:
      </Paragraph>
      <Action href={params.reportUrl}>This wasn&apos;t me</Action>
    </Layout>
  ),
};
