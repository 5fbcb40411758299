import { useSession } from '../../../features/auth/api/get-session';
import { TodayScreen } from '../../../features/meals/components/today-screen';

/** The client's day: meals, their estimates and the totals against goals (features/meals). */
export function Component() {
  const session = useSession();
  // AppRoot renders this only with a session.
  if (!session.data) return null;
  return <TodayScreen userId={session.data.userId} />;
}
