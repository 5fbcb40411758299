import { Page } from '../../../components/ui/page';
import { MealHistory } from '../../../features/meals/components/meal-history';
import '../../../features/meals/components/meals.css';

/** Every meal, by day, newest first, a page at a time (features/meals). */
export function Component() {
  return (
    <Page title="History" intro="Your meals by day, newest first.">
      <MealHistory />
    </Page>
  );
}
