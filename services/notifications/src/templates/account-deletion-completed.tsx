// @jsxRuntime automatic
import { formatInstant } from './format';
import { Layout, Paragraph, PRODUCT } from './layout';
import type { MailTemplate } from './template';
export const accountDeletionCompleted: MailTemplate<'account_deletion_completed'> = {
  subject: () => `Your ${PRODUCT} account was deleted`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview="Your account and its data are gone."
      heading="Your account was deleted"
      why={`You are getting this because this address belonged to a ${PRODUCT} account.`}
    >
      <Paragraph>
        Your account and its data were erased on {formatInstant(params.completedAt, locale)}. This is the last
        mail we send to this address about it.
      </Paragraph>
    </Layout>
  ),
};
