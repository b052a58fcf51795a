import type { FieldErrors } from './api';

// Field is a labelled input with its error, if any, right below it.
export function Field(props: {
  name: string;
  label: string;
  type?: string;
  errors: FieldErrors;
  value: string;
  onChange: (v: string) => void;
}) {
  const id = `field-${props.name}`;
  const error = props.errors[props.name];
  return (
    <p>
      <label htmlFor={id}>{props.label}</label>{' '}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {error && (
        <span id={`${id}-error`} className="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </p>
  );
}

// FormError is what concerns no one field.
export function FormError({ errors }: { errors: FieldErrors }) {
  return errors[''] ? (
    <p className="error" role="alert" id="form-error">
      {errors['']}
    </p>
  ) : null;
}
