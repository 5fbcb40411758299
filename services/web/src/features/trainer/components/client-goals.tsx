import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { GoalsForm } from '../../goals/components/goals-form';
import { formatDateTime, formatEnergy, formatGrams } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useClientGoals, useSetClientGoals } from '../api/client-goals';

/** A client's daily goals: read them, and set them (the client sees who set them last). */
export function ClientGoals({ clientId }: { clientId: string }) {
  const prefs = usePreferences();
  const goals = useClientGoals(clientId);
  const save = useSetClientGoals(clientId);
  const [editing, setEditing] = useState(false);

  return (
    <Card title="Daily goals">
      {goals.isPending ? (
        <Loading label="Loading goals…" minHeight="6rem" />
      ) : goals.isError ? (
        <ProblemAlert error={goals.error} title="We could not load the goals" />
      ) : editing ? (
        <GoalsForm
          goals={goals.data}
          save={save}
          otherParty="your client"
          onDone={() => {
            save.reset();
            setEditing(false);
          }}
        />
      ) : (
        <>
          {goals.data.version === 0 ? (
            <EmptyState title="No goals yet">
              Set daily goals and the client sees them on their Today page.
            </EmptyState>
          ) : (
            <>
              <dl className="facts num">
                <dt>Energy</dt>
                <dd>{formatEnergy(goals.data.calories, prefs)}</dd>
                <dt>Protein</dt>
                <dd>{formatGrams(goals.data.proteinG, prefs)}</dd>
                <dt>Carbs</dt>
                <dd>{formatGrams(goals.data.carbsG, prefs)}</dd>
                <dt>Fat</dt>
                <dd>{formatGrams(goals.data.fatG, prefs)}</dd>
              </dl>
              {goals.data.updatedAt ? (
                <p className="muted">Last changed {formatDateTime(goals.data.updatedAt, prefs)}.</p>
              ) : null}
            </>
          )}
          <Button variant="secondary" onPress={() => setEditing(true)}>
            {goals.data.version === 0 ? 'Set goals' : 'Change goals'}
          </Button>
        </>
      )}
    </Card>
  );
}
