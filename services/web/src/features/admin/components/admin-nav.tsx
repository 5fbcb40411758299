import { NavLink } from 'react-router';

const ITEMS = [
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/audit', label: 'Audit log' },
  { to: '/admin/support', label: 'Support access' },
  { to: '/admin/operations', label: 'Operations' },
  { to: '/admin/privacy', label: 'Privacy requests' },
] as const;

/** The admin console's pages, under the main navigation's "Admin". */
export function AdminNav() {
  return (
    <nav aria-label="Admin" className="subnav">
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
