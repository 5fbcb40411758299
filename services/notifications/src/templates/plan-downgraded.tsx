// @jsxRuntime automatic
import { planLabel } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const planDowngraded: MailTemplate<'plan_downgraded'> = {
  subject: () => 'Your account is now on the Free plan',
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Your paid plan has ended."
      heading="Your account is now on the Free plan"
    >
      <Paragraph>
        The payment for your {planLabel(params.oldPlan)} plan did not go through in time, so your account is
        now on the Free plan. Your data is all still there. You can subscribe again at any time.
      </Paragraph>
      <Action href={params.billingUrl}>Choose a plan</Action>
    </Layout>
  ),
};
