import { Link } from 'react-router';

import { Card, Page } from '../../components/ui/page';

/**
 * What happens to meal text (docs/ai-inference.md), as the security page promises
 * ("see privacy → third-party AI"). Keep it in step with the ai-inference service's providers.
 */
export function Component() {
  return (
    <Page title="Privacy">
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
            <strong>Alibaba Cloud</strong> (Qwen models, through its international DashScope endpoint);
          </li>
          <li>our own built-in estimator, which runs on our servers and sends nothing anywhere.</li>
        </ul>
        <p>
          Only the meal description (or the review's numbers) is sent: never your name, email address or
          account details. Requests go from our servers over TLS; your browser never talks to a provider, and
          no provider key is ever in this app. We do not keep the text in our logs.
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
