import { useId, useMemo } from 'react';

import { Notice } from '../../../components/ui/status';
import { formatDateTime, formatEnergy } from '../format';
import { ENERGY_UNITS, LOCALES, savePreferences, usePreferences, type Preferences } from '../preferences';

const LOCALE_NAMES: Record<Preferences['locale'], string> = {
  'en-NZ': 'English (New Zealand)',
  'en-AU': 'English (Australia)',
};

/** Time zones of New Zealand and Australia first, then every other one this browser knows. */
function timeZones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const local = all.filter((zone) => /^(Pacific\/(Auckland|Chatham)|Australia\/)/.test(zone));
  return [...new Set([current, ...local, ...all])];
}

/**
 * Energy unit, locale and time zone. Saved in this browser at once (no API field holds them
 * yet; docs/web.md), and applied to every number and date in the app.
 */
export function UnitsForm() {
  const id = useId();
  const prefs = usePreferences();
  const zones = useMemo(() => timeZones(prefs.timeZone), [prefs.timeZone]);
  const set = (change: Partial<Preferences>) => savePreferences({ ...prefs, ...change });

  return (
    <form className="form" aria-label="Units and time" onSubmit={(event) => event.preventDefault()}>
      <fieldset className="range-picker">
        <legend className="field-label">Energy</legend>
        {ENERGY_UNITS.map((unit) => (
          <label key={unit} className="range-option">
            <input
              type="radio"
              name={`${id}-energy`}
              value={unit}
              checked={prefs.energy === unit}
              onChange={() => set({ energy: unit })}
            />
            {unit === 'kJ' ? 'Kilojoules (kJ), as on food labels here' : 'Calories (kcal)'}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-locale`}>
          Number and date format
        </label>
        <select
          id={`${id}-locale`}
          className="select"
          value={prefs.locale}
          onChange={(event) => set({ locale: event.target.value as Preferences['locale'] })}
        >
          {LOCALES.map((locale) => (
            <option key={locale} value={locale}>
              {LOCALE_NAMES[locale]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-zone`}>
          Time zone
        </label>
        <select
          id={`${id}-zone`}
          className="select"
          value={prefs.timeZone}
          onChange={(event) => set({ timeZone: event.target.value })}
          aria-describedby={`${id}-zone-hint`}
        >
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
        <span className="field-description" id={`${id}-zone-hint`}>
          Your days (totals, history) start at midnight here. Weights are always in kilograms.
        </span>
      </div>
      <Notice>
        Example: {formatEnergy(500, prefs)} on {formatDateTime(new Date(), prefs)}. Saved in this browser.
      </Notice>
    </form>
  );
}
