// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph, PRODUCT } from './layout';
import type { MailTemplate } from './template';

export const emailVerification: MailTemplate<'email_verification'> = {
  subject: () => `Confirm your email address for ${PRODUCT}`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Confirm this address to finish setting up your account."
      heading="Confirm your email address"
    >
      <Paragraph>Please confirm that this is your address, so we can reach you about your account.</Paragraph>
      <Action href={params.verifyUrl}>Confirm my address</Action>
      <Paragraph>The link works until {formatInstant(params.expiresAt, locale)}.</Paragraph>
      <Paragraph>
        If you did not sign up, you can ignore this mail; nothing happens without the link.
      </Paragraph>
    </Layout>
  ),
};
