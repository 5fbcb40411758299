import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';

import { Button } from '../ui/button';
import { SupportBanner } from '../../features/admin/components/support-banner';
import { useLogout } from '../../features/auth/api/logout';
import type { Session } from '../../features/auth/api/get-session';

interface NavItem {
  to: string;
  label: string;
  roles: readonly Session['role'][];
}

/** The app's sections; each role sees the ones it can use. */
const NAV: readonly NavItem[] = [
  { to: '/today', label: 'Today', roles: ['client'] },
  { to: '/history', label: 'History', roles: ['client'] },
  { to: '/body', label: 'Body', roles: ['client'] },
  { to: '/trainers', label: 'Trainers', roles: ['client'] },
  { to: '/clients', label: 'Clients', roles: ['trainer'] },
  { to: '/admin', label: 'Admin', roles: ['admin'] },
  { to: '/account', label: 'Account', roles: ['client', 'trainer', 'admin'] },
];

export function AppShell({ session, children }: { session: Session; children: ReactNode }) {
  const logout = useLogout();
  const navigate = useNavigate();
  const signOut = () =>
    logout.mutate(undefined, { onSettled: () => void navigate('/sign-in', { replace: true }) });

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <NavLink to="/" className="brand">
          Tracking
        </NavLink>
        <nav aria-label="Main" className="shell-nav">
          <ul>
            {NAV.filter((item) => item.roles.includes(session.role)).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.to === '/account' ? false : undefined}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <Button variant="quiet" onPress={signOut} isDisabled={logout.isPending}>
          Sign out
        </Button>
      </header>
      {session.role === 'admin' ? <SupportBanner /> : null}
      <main id="main" className="shell-main">
        {children}
      </main>
      <footer className="shell-footer">
        <NavLink to="/privacy">Privacy</NavLink>
      </footer>
    </div>
  );
}
