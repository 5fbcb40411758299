// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph, PRODUCT } from './layout';
import type { MailTemplate } from './template';

export const emailChangeConfirm: MailTemplate<'email_change_confirm'> = {
  subject: () => `Confirm your new email address for ${PRODUCT}`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Confirm this address to make it your account's address."
      heading="Confirm your new email address"
      why={`You are getting this because someone asked to use this address for a ${PRODUCT} account.`}
    >
      <Paragraph>Someone asked to use this address for their account. If it was you, confirm it:</Paragraph>
      <Action href={params.confirmUrl}>Use this address</Action>
      <Paragraph>The link works until {formatInstant(params.expiresAt, locale)}.</Paragraph>
      <Paragraph>If it was not you, ignore this mail; the address is not used without the link.</Paragraph>
    </Layout>
  ),
};
