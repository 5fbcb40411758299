// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph, PRODUCT } from './layout';
import type { MailTemplate } from './template';

export const passwordReset: MailTemplate<'password_reset'> = {
  subject: () => `Reset your ${PRODUCT} password`,
  Body: ({ params, locale }) => (
    <Layout locale={locale} preview="Someone asked to reset your password." heading="Reset your password">
      <Paragraph>
        Someone asked to reset the password of your account. If it was you, choose a new one:
      </Paragraph>
      <Action href={params.resetUrl}>Choose a new password</Action>
      <Paragraph>The link works once, until {formatInstant(params.expiresAt, locale)}.</Paragraph>
      <Paragraph>If it was not you, ignore this mail: your password stays as it is.</Paragraph>
    </Layout>
  ),
};
