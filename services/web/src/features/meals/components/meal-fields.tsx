import { useId } from 'react';
import { useController, type Control } from 'react-hook-form';

import { MEAL_TYPES, type MealForm } from '../api/meal-input';

/** The three fields of a meal, shared by logging and editing: what kind, when, and what. */
export function MealFields({ control, idPrefix }: { control: Control<MealForm>; idPrefix: string }) {
  const id = useId();
  const type = useController({ control, name: 'mealType' });
  const eatenAt = useController({ control, name: 'eatenAt' });
  const description = useController({ control, name: 'description' });
  const ids = {
    type: `${idPrefix}-type-${id}`,
    when: `${idPrefix}-when-${id}`,
    what: `${idPrefix}-what-${id}`,
  };
  return (
    <>
      <div className="meal-fields-row">
        <div className="field">
          <label className="field-label" htmlFor={ids.type}>
            Meal
          </label>
          <select
            id={ids.type}
            className="select"
            name={type.field.name}
            ref={type.field.ref}
            value={type.field.value}
            onChange={(event) => type.field.onChange(event.target.value)}
            onBlur={type.field.onBlur}
          >
            {Object.entries(MEAL_TYPES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={ids.when}>
            When
          </label>
          <input
            id={ids.when}
            className="field-input"
            type="datetime-local"
            name={eatenAt.field.name}
            ref={eatenAt.field.ref}
            value={eatenAt.field.value}
            onChange={eatenAt.field.onChange}
            onBlur={eatenAt.field.onBlur}
            aria-invalid={eatenAt.fieldState.invalid || undefined}
            aria-describedby={eatenAt.fieldState.error ? `${ids.when}-error` : undefined}
            required
          />
          {eatenAt.fieldState.error ? (
            <span className="field-error" id={`${ids.when}-error`}>
              {eatenAt.fieldState.error.message}
            </span>
          ) : null}
        </div>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={ids.what}>
          What did you have?
        </label>
        <textarea
          id={ids.what}
          className="field-input"
          rows={3}
          name={description.field.name}
          ref={description.field.ref}
          value={description.field.value}
          onChange={description.field.onChange}
          onBlur={description.field.onBlur}
          placeholder="e.g. two eggs on wholegrain toast, a flat white"
          aria-invalid={description.fieldState.invalid || undefined}
          aria-describedby={`${ids.what}-hint${description.fieldState.error ? ` ${ids.what}-error` : ''}`}
          maxLength={2000}
          required
        />
        <span className="field-description" id={`${ids.what}-hint`}>
          In your own words; amounts help the estimate. The text goes to an AI provider (see Privacy).
        </span>
        {description.fieldState.error ? (
          <span className="field-error" id={`${ids.what}-error`}>
            {description.fieldState.error.message}
          </span>
        ) : null}
      </div>
    </>
  );
}
