// @jsxRuntime automatic
import { formatInstant, planLabel } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const paymentFailed: MailTemplate<'payment_failed'> = {
  subject: () => 'Your payment did not go through',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Please update your payment details."
      heading="Your payment did not go through"
    >
      <Paragraph>
        We could not take the payment for your {planLabel(params.plan)} plan. You keep the plan until{' '}
        {formatInstant(params.graceUntil, locale)}; after that the account moves to the Free plan.
      </Paragraph>
      <Action href={params.billingUrl}>Update my payment details</Action>
    </Layout>
  ),
};
