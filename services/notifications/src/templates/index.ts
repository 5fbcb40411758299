import type { NotificationTemplate } from '@tracking/contracts';

import { accountDeletionCompleted } from './account-deletion-completed';
import { accountDeletionScheduled } from './account-deletion-scheduled';
import { dataExportReady } from './data-export-ready';
import { paymentFailed } from './payment-failed';
import { planChanged } from './plan-changed';
import { planDowngraded } from './plan-downgraded';
import { mfaDisabled } from './mfa-disabled';
import { mfaEnabled } from './mfa-enabled';
import { newDeviceSignIn } from './new-device-sign-in';
import { recoveryCodeUsed } from './recovery-code-used';
import { recoveryCodesRegenerated } from './recovery-codes-regenerated';
import { totpCodeReplayed } from './totp-code-replayed';
import { emailChangeCompleted } from './email-change-completed';
import { emailChangeConfirm } from './email-change-confirm';
import { emailChangeRequested } from './email-change-requested';
import { emailVerification } from './email-verification';
import { passwordChanged } from './password-changed';
import { passwordReset } from './password-reset';
import type { MailTemplate } from './template';
import { trainerInvitation } from './trainer-invitation';
import { trainerInvitationAccepted } from './trainer-invitation-accepted';

export type { Locale, MailTemplate } from './template';

/** Every template of the contract has its message here, or the type-checker says which is missing. */
export const TEMPLATES: { [T in NotificationTemplate]: MailTemplate<T> } = {
  email_verification: emailVerification,
  password_reset: passwordReset,
  email_change_confirm: emailChangeConfirm,
  email_change_requested: emailChangeRequested,
  email_change_completed: emailChangeCompleted,
  password_changed: passwordChanged,
  mfa_enabled: mfaEnabled,
  mfa_disabled: mfaDisabled,
  recovery_codes_regenerated: recoveryCodesRegenerated,
  recovery_code_used: recoveryCodeUsed,
  totp_code_replayed: totpCodeReplayed,
  new_device_sign_in: newDeviceSignIn,
  trainer_invitation: trainerInvitation,
  trainer_invitation_accepted: trainerInvitationAccepted,
  plan_changed: planChanged,
  payment_failed: paymentFailed,
  plan_downgraded: planDowngraded,
  data_export_ready: dataExportReady,
  account_deletion_scheduled: accountDeletionScheduled,
  account_deletion_completed: accountDeletionCompleted,
};
