import { Link, Outlet } from 'react-router';

/** The frame of the screens anyone may see: sign in, sign up, the links we email, privacy. */
export function PublicRoot() {
  return (
    <div className="public">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="public-header">
        <Link to="/" className="brand">
          Tracking
        </Link>
      </header>
      <main id="main" className="public-main">
        <Outlet />
      </main>
      <footer className="public-footer">
        <Link to="/privacy">Privacy</Link>
      </footer>
    </div>
  );
}
