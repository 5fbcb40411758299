import { NavLink } from 'react-router';

const ITEMS = [
  { to: '/account', label: 'Profile' },
  { to: '/account/security', label: 'Two-step sign-in' },
  { to: '/account/sessions', label: 'Sessions' },
  { to: '/account/units', label: 'Units and time' },
  { to: '/billing', label: 'Plan and billing' },
  { to: '/account/privacy', label: 'Privacy' },
] as const;

/** The account's pages, under the main navigation's "Account". */
export function AccountNav() {
  return (
    <nav aria-label="Account" className="subnav">
      <ul>
        {ITEMS.map((item) => (
          <li key={item.to}>
            <NavLink to={item.to} end>
              {item.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
