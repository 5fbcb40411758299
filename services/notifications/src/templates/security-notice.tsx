// @jsxRuntime automatic
import { formatInstant } from './format';
import { Action, Layout, Paragraph } from './layout';
import type { Locale } from './template';

/** The shape every "something changed in your sign-in security" notice shares. */
export function SecurityNotice(props: {
  heading: string;
  what: string;
  at: string;
  securityUrl: string;
  locale: Locale;
}) {
  return (
    <Layout locale={props.locale} preview={props.what} heading={props.heading}>
      <Paragraph>
        {props.what} This happened on {formatInstant(props.at, props.locale)}.
      </Paragraph>
      <Paragraph>
        If this was you, there is nothing more to do. If it was not, change your password and check your
        account&apos;s security settings now:
      </Paragraph>
      <Action href={props.securityUrl}>Review my security settings</Action>
    </Layout>
  );
}
