/** Schemas shared by several areas of the API. */
import * as v from 'valibot';

export const Email = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(254, 'must be at most 254 characters'),
  v.email('must be an email address'),
);

/** A password as typed at sign-in: bounded, never normalised away. Policy applies to new ones. */
export const PasswordInput = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(1024, 'is too long'));

export const DisplayName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1),
  v.maxLength(100, 'must be at most 100 characters'),
);

export const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a valid id'));

export const Timestamp = v.pipe(v.string(), v.isoTimestamp());

/** A numeric query parameter, which arrives as text. */
export const queryInt = (min: number, max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,9}$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(min, `must be at least ${min}`),
      v.maxValue(max, `must be at most ${max}`),
    ),
    String(fallback),
  );
