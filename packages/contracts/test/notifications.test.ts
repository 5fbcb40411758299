import {
  NOTIFICATION_TEMPLATE_NAMES,
  maskEmail,
  notificationRequest,
  notificationRequestedSchema,
} from '../src/notifications';

describe('notification.requested', () => {
  it('accepts a request whose parameters fit its template', () => {
    const body = notificationRequest(
      'password_reset',
      { email: 'sam@example.com' },
      { resetUrl: 'https://app.example/reset-password#token=abc', expiresAt: '2026-12-06T13:00:00Z' },
    );
    expect(body).toMatchObject({ template: 'password_reset', locale: 'en-NZ' });
  });

  it('rejects parameters that do not fit the template, naming the field', () => {
    const result = notificationRequestedSchema.safeParse({
      template: 'password_reset',
      recipient: { email: 'sam@example.com' },
      params: { resetUrl: 'javascript:alert(1)', expiresAt: '2026-12-06T13:00:00Z' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain('params.resetUrl');
  });

  it('rejects an unknown template and a recipient that is both or neither', () => {
    const params = { at: '2026-12-06T13:00:00Z', securityUrl: 'https://app.example/account/security' };
    expect(
      notificationRequestedSchema.safeParse({ template: 'nope', recipient: { email: 'a@b.co' }, params })
        .success,
    ).toBe(false);
    expect(
      notificationRequestedSchema.safeParse({
        template: 'mfa_enabled',
        recipient: { email: 'a@b.co', userId: '00000000-0000-4000-8000-000000000000' },
        params,
      }).success,
    ).toBe(false);
    expect(
      notificationRequestedSchema.safeParse({ template: 'mfa_enabled', recipient: {}, params }).success,
    ).toBe(false);
  });

  it('lists every template the issue asks for', () => {
    expect(NOTIFICATION_TEMPLATE_NAMES).toEqual(
      expect.arrayContaining([
        'email_verification',
        'totp_code_replayed',
        'trainer_invitation',
        'account_deletion_completed',
      ]),
    );
  });

  it('masks an address for a notice sent to another one', () => {
    expect(maskEmail('jordan@example.com')).toBe('j***@example.com');
  });
});
