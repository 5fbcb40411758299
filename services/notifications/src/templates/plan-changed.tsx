// @jsxRuntime automatic
import { planLabel } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

const PLAN_CHANGE_TEXT = {
  subscribed: 'Thank you for subscribing.',
  changed: 'Your plan was changed.',
  canceled: 'Your subscription was cancelled.',
  payment_recovered: 'Your payment went through, so your plan is back.',
} as const;

export const planChanged: MailTemplate<'plan_changed'> = {
  subject: (params) => `Your plan is now ${planLabel(params.newPlan)}`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview={`Your plan is now ${planLabel(params.newPlan)}.`}
      heading={`Your plan is now ${planLabel(params.newPlan)}`}
    >
      <Paragraph>
        {PLAN_CHANGE_TEXT[params.reason]} Your plan changed from {planLabel(params.oldPlan)} to{' '}
        {planLabel(params.newPlan)}.
      </Paragraph>
      <Action href={params.billingUrl}>See my plan</Action>
    </Layout>
  ),
};
