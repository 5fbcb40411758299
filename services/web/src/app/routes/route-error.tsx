import { isRouteErrorResponse, Link, useRouteError } from 'react-router';

import { ProblemAlert } from '../../components/ui/problem-alert';

/** What a screen shows when it failed to load or threw, instead of a blank page. */
export function RouteError() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <main id="main" className="public-main">
        <h1>Page not found</h1>
        <p>
          <Link to="/">Go to the start page</Link>
        </p>
      </main>
    );
  }
  return (
    <main id="main" className="public-main">
      <h1>Something went wrong</h1>
      <ProblemAlert error={error} />
      <p>
        <Link to="/">Go to the start page</Link> or reload this page.
      </p>
    </main>
  );
}
