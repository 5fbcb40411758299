import { useMemo, type ComponentType } from 'react';
import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router';

import { AppRoot } from './routes/app/root';
import { PublicRoot } from './routes/public-root';
import { RouteError } from './routes/route-error';

/**
 * Every screen, one file per route under routes/, each loaded on first visit so the first
 * page downloads only what it shows. Public screens need no session; the rest sit under
 * AppRoot, which sends anyone signed out to the sign-in page and back.
 */
const lazy = (load: () => Promise<{ Component: ComponentType }>): Pick<RouteObject, 'lazy'> => ({
  lazy: load,
});

export const routes: RouteObject[] = [
  {
    element: <PublicRoot />,
    errorElement: <RouteError />,
    children: [
      { path: 'sign-in', ...lazy(() => import('./routes/auth/sign-in')) },
      { path: 'sign-up', ...lazy(() => import('./routes/auth/sign-up')) },
      { path: 'verify-email', ...lazy(() => import('./routes/auth/verify-email')) },
      { path: 'forgot-password', ...lazy(() => import('./routes/auth/forgot-password')) },
      { path: 'reset-password', ...lazy(() => import('./routes/auth/reset-password')) },
      // "This wasn't me", from a notice to an account's old address.
      { path: 'report-email-change', ...lazy(() => import('./routes/auth/report-email-change')) },
      { path: 'privacy', ...lazy(() => import('./routes/privacy')) },
    ],
  },
  {
    path: '/',
    element: <AppRoot />,
    errorElement: <RouteError />,
    children: [
      { index: true, ...lazy(() => import('./routes/app/home')) },
      { path: 'today', ...lazy(() => import('./routes/app/today')) },
      { path: 'history', ...lazy(() => import('./routes/app/history')) },
      { path: 'body', ...lazy(() => import('./routes/app/body')) },
      { path: 'trainers', ...lazy(() => import('./routes/app/trainers')) },
      // The trainer console: clients at a glance, then one client's pages in a frame that shows
      // nothing unless that client is linked to this trainer.
      { path: 'clients', ...lazy(() => import('./routes/app/clients/index')) },
      {
        path: 'clients/:clientId',
        ...lazy(() => import('./routes/app/clients/client')),
        children: [
          { index: true, ...lazy(() => import('./routes/app/clients/meals')) },
          { path: 'body', ...lazy(() => import('./routes/app/clients/body')) },
          { path: 'goals', ...lazy(() => import('./routes/app/clients/goals')) },
          { path: 'comments', ...lazy(() => import('./routes/app/clients/comments')) },
          { path: 'reviews', ...lazy(() => import('./routes/app/clients/reviews')) },
        ],
      },
      { path: 'account/units', ...lazy(() => import('./routes/app/account/units')) },
      { path: 'account', ...lazy(() => import('./routes/app/account/profile')) },
      { path: 'account/security', ...lazy(() => import('./routes/app/account/security')) },
      { path: 'account/sessions', ...lazy(() => import('./routes/app/account/sessions')) },
      // Export my data, delete my account; the privacy mails link here (#22).
      { path: 'account/privacy', ...lazy(() => import('./routes/app/account/privacy')) },
      // Stripe Checkout and the Portal send people back here (services/billing: returnUrl).
      { path: 'billing', ...lazy(() => import('./routes/app/billing')) },
      {
        path: 'admin',
        ...lazy(() => import('./routes/admin/root')),
        children: [
          { index: true, ...lazy(() => import('./routes/admin/users')) },
          { path: 'users', ...lazy(() => import('./routes/admin/users')) },
          { path: 'audit', ...lazy(() => import('./routes/admin/audit')) },
          { path: 'support', ...lazy(() => import('./routes/admin/support')) },
          { path: 'operations', ...lazy(() => import('./routes/admin/operations')) },
          { path: 'privacy', ...lazy(() => import('./routes/admin/privacy')) },
        ],
      },
    ],
  },
  { path: '*', ...lazy(() => import('./routes/not-found')) },
];

export function AppRouter() {
  const router = useMemo(() => createBrowserRouter(routes), []);
  return <RouterProvider router={router} />;
}
