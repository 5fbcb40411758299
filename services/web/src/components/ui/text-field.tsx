import type { ReactNode } from 'react';
import { useController, type Control, type FieldPath, type FieldValues } from 'react-hook-form';
import { FieldError, Input, Label, Text, TextField as AriaTextField } from 'react-aria-components';

export interface TextFieldProps<T extends FieldValues, TOutput = T> {
  /** The form's control; its output type may differ from its field values (a zod transform). */
  control: Control<T, unknown, TOutput>;
  name: FieldPath<T>;
  label: string;
  description?: ReactNode;
  type?: 'text' | 'email' | 'password' | 'search' | 'tel' | 'url';
  autoComplete?: string;
  inputMode?: 'text' | 'numeric' | 'email' | 'decimal';
  isRequired?: boolean;
  autoFocus?: boolean;
}

/**
 * A labelled text input bound to a react-hook-form field. The error shown is the client's zod
 * message or, after a submit, the server's message for the same field.
 */
export function TextField<T extends FieldValues, TOutput = T>({
  control,
  name,
  label,
  description,
  type = 'text',
  autoComplete,
  inputMode,
  isRequired,
  autoFocus,
}: TextFieldProps<T, TOutput>) {
  const { field, fieldState } = useController({ control, name });
  return (
    <AriaTextField
      className="field"
      name={field.name}
      type={type}
      value={typeof field.value === 'string' ? field.value : ''}
      onChange={field.onChange}
      onBlur={field.onBlur}
      isInvalid={fieldState.invalid}
      isRequired={isRequired ?? false}
      validationBehavior="aria"
      autoComplete={autoComplete}
      inputMode={inputMode}
      // Only the first field of a single-purpose page (the code step) asks for this.
      autoFocus={autoFocus ?? false}
    >
      <Label className="field-label">{label}</Label>
      <Input ref={field.ref} className="field-input" />
      {description ? (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      ) : null}
      <FieldError className="field-error">{fieldState.error?.message}</FieldError>
    </AriaTextField>
  );
}
