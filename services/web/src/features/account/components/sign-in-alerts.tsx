import { SwitchButton, SwitchField } from 'react-aria-components';

import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading } from '../../../components/ui/status';
import { usePreferencesSetting, useSetPreferences } from '../api/preferences';
import './sign-in-alerts.css';

/** The owner's choice to be mailed when their account is signed in to from a new browser or network. */
export function SignInAlerts() {
  const preferences = usePreferencesSetting();
  const save = useSetPreferences();

  return (
    <Card title="Sign-in alerts">
      {preferences.isPending ? (
        <Loading label="Loading your settings…" />
      ) : preferences.isError ? (
        <ProblemAlert error={preferences.error} />
      ) : (
        <>
          <SwitchField
            isSelected={preferences.data.newDeviceAlerts}
            isDisabled={save.isPending}
            onChange={(newDeviceAlerts) => save.mutate({ newDeviceAlerts })}
          >
            <SwitchButton className="switch">
              <span className="switch-indicator" aria-hidden="true" />
              Email me when my account is signed in to from a new browser or network
            </SwitchButton>
          </SwitchField>
          <p className="muted">
            Changes of password, email address and two-step sign-in are always mailed, whatever this says.
          </p>
        </>
      )}
      {save.isError ? <ProblemAlert error={save.error} title="Not saved" /> : null}
    </Card>
  );
}
