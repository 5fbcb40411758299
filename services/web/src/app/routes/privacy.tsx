import { Link } from 'react-router';

import { Card, Page } from '../../components/ui/page';

/**
 * The user-facing part of docs/privacy.md (#22): what we hold and why, where it is processed,
 * what happens to meal text (docs/ai-inference.md, as the security page promises: "see privacy →
 * third-party AI"), and what each right does today. Keep it in step with docs/privacy.md and
 * docs/subprocessors.md; tests/privacy/privacy-document.test.ts holds both to what the API offers.
 */
export function Component() {
  return (
    <Page title="Privacy">
      <Card title="What we hold, and why">
        <p>
          Your account (email address, name, password hash, two-step sign-in), the devices and networks you
          sign in from, and what you log: meals, body metrics, goals, weekly reviews and your trainer's
          comments. That log is health information; we hold it only because you record it to use the service.
          Every security-relevant change is written to an audit log that nobody can edit; your IP address and
          browser in it are encrypted under a key of your own.
        </p>
        <p>
          We keep your data for as long as you have an account. Backups are encrypted and kept for up to about
          twelve months. A meal or metric you delete is hidden at once, but its text is still stored for now;
          removing it within 30 days is coming.
        </p>
      </Card>
      <Card title="We sell nothing">
        <p>
          We sell nothing and share nothing with advertisers, data brokers or analytics companies. If your
          browser sends Global Privacy Control (the <code>Sec-GPC</code> signal), we record your opt-out of
          sale and sharing on your account when you are signed in, even though there is nothing to opt out of.
        </p>
      </Card>
      <Card title="Where your data is processed">
        <p>
          In Australia (Sydney): our servers, databases, backups and mail. Only the AI estimates below leave
          it, and Stripe processes payments in the United States; card details go straight to Stripe and never
          reach us.
        </p>
      </Card>
      <Card title="Third-party AI">
        <p>
          When you log a meal, its description is sent from our servers to an AI provider to estimate its
          energy and nutrients. A trainer's weekly review request sends a summary of your numbers the same
          way. Depending on how the service is configured, the provider is one of:
        </p>
        <ul>
          <li>
            <strong>Anthropic</strong> (Claude models), United States;
          </li>
          <li>
            <strong>Alibaba Cloud</strong> (Qwen models), Singapore: it has no Australian region;
          </li>
          <li>our own built-in estimator, which runs on our servers and sends nothing anywhere.</li>
        </ul>
        <p>
          Only the meal description (or the review's numbers) is sent: never your name, email address or
          account details. Requests go from our servers over TLS; your browser never talks to a provider, and
          no provider key is ever in this app. We do not keep the text in our logs.
        </p>
      </Card>
      <Card title="Your rights">
        <p>
          You can see and correct what you log in the app at any time. Under{' '}
          <Link to="/account/privacy">Account → Privacy</Link> you can download a copy of all your data (one
          ZIP file, with a README that explains every file in it) and delete your account. Both ask for your
          password again. A deletion waits 7 days, during which you can cancel it; then your account and
          everything you logged are erased from every part of the service. We answer every request within 20
          working days.
        </p>
      </Card>
      <Card title="Your account">
        <p>
          You can see every device signed in to your account, sign any of them out, and turn on two-step
          sign-in under <Link to="/account/sessions">Account → Sessions</Link> and{' '}
          <Link to="/account/security">Account → Two-step sign-in</Link>.
        </p>
      </Card>
    </Page>
  );
}
