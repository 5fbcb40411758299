import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useMealOutbox } from '../api/log-meal';
import { MEAL_TYPES } from '../api/meal-input';

/** Meals saved on this device and not yet confirmed by the server: never lost, sent again by themselves. */
export function MealOutbox({ userId }: { userId: string }) {
  const prefs = usePreferences();
  const outbox = useMealOutbox(userId);
  if (outbox.queued.length === 0) return null;
  return (
    <section className="card outbox" aria-labelledby="outbox-title">
      <h2 className="card-title" id="outbox-title">
        Waiting to send
      </h2>
      <p className="muted">
        These meals are saved on this device. They are sent as soon as the connection is back, and never
        twice.
      </p>
      <ul className="outbox-list">
        {outbox.queued.map((entry) => (
          <li key={entry.key}>
            <strong>{MEAL_TYPES[entry.body.mealType]}</strong>, {formatDateTime(entry.body.eatenAt, prefs)}:{' '}
            {entry.body.description}
            {entry.refused ? (
              <div className="alert alert-danger">
                <p>The server did not accept this meal: {entry.refused}</p>
                <Button variant="secondary" onPress={() => outbox.discard(entry.key)}>
                  Remove it
                </Button>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {outbox.waiting.length > 0 ? (
        <Button variant="secondary" onPress={() => void outbox.flush()}>
          Send now
        </Button>
      ) : null}
    </section>
  );
}
