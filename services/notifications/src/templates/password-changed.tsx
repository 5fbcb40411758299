// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const passwordChanged: MailTemplate<'password_changed'> = {
  subject: () => 'Your password was changed',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="The password of your account was changed."
      heading="Your password was changed"
    >
      <Paragraph>
        The password of your account was changed on {formatInstant(params.changedAt, locale)}.
      </Paragraph>
      <Paragraph>If this was you, there is nothing more to do. If it was not, tell us now:</Paragraph>
      <Action href={params.reportUrl}>This wasn&apos;t me</Action>
    </Layout>
  ),
};
