// @jsxRuntime automatic
import { Action, Layout, Paragraph } from './layout';
import type { MailTemplate } from './template';

export const trainerInvitationAccepted: MailTemplate<'trainer_invitation_accepted'> = {
  subject: (params) => `${params.clientName} accepted your invitation`,
  Body: ({ params, locale }) => (
    <Layout
      locale={locale}
      preview={`${params.clientName} is now your client.`}
      heading={`${params.clientName} accepted your invitation`}
    >
      <Paragraph>{params.clientName} accepted your invitation and is now one of your clients.</Paragraph>
      <Action href={params.clientUrl}>{`See ${params.clientName}`}</Action>
    </Layout>
  ),
};
