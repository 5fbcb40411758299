// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph, PRODUCT } from './layout';
import type { MailTemplate } from './template';

export const trainerInvitation: MailTemplate<'trainer_invitation'> = {
  subject: (params) => `${params.trainerName} invited you to ${PRODUCT}`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview={`${params.trainerName} would like to coach you.`}
      heading={`${params.trainerName} invited you to ${PRODUCT}`}
      why={`You are getting this because a trainer on ${PRODUCT} entered this address.`}
    >
      <Paragraph>
        {params.trainerName} would like to coach you on {PRODUCT}: you log meals, body measurements and
        habits, and your trainer can see them and help. Accept to create an account, or to link the one you
        have.
      </Paragraph>
      <Action href={params.acceptUrl}>Accept the invitation</Action>
      <Paragraph>The invitation is open until {formatInstant(params.expiresAt, locale)}.</Paragraph>
      <Paragraph>
        If you do not know this trainer, ignore this mail; nothing is shared unless you accept.
      </Paragraph>
    </Layout>
  ),
};
