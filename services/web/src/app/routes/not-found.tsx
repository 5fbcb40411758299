import { Link } from 'react-router';

import { Page } from '../../components/ui/page';

export function Component() {
  return (
    <main id="main" className="public-main">
      <Page title="Page not found">
        <p>There is nothing at this address. It may have moved, or the link may be incomplete.</p>
        <p>
          <Link to="/">Go to the start page</Link>
        </p>
      </Page>
    </main>
  );
}
