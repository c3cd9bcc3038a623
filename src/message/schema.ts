/** Standard Schema v1 (https://standardschema.dev), declared locally, and validation with plain issue paths. */

/**
 * A schema from any library implementing Standard Schema v1 (zod ≥ 3.24,
 * valibot, arktype, …). Declared here rather than imported so roomcast has no
 * dependency for it; the shape follows the spec, so their schemas fit as is.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>
}

/** The `~standard` property of a {@link StandardSchemaV1}. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1
  readonly vendor: string
  readonly validate: (
    value: unknown,
  ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
  // `| undefined` because libraries declare it so; exactOptionalPropertyTypes would refuse them otherwise.
  readonly types?: { readonly input: Input; readonly output: Output } | undefined
}

/** What a schema's `validate` answers: the output value, or issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> }

/** One problem found by a schema; `path` leads from the root to the offending value. */
export interface StandardSchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** The type a schema accepts. */
export type InferInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input']

/** The type a schema produces. */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output']

/** A schema issue with its path reduced to plain keys, ready to send to a client as JSON. */
export interface ValidationIssue {
  message: string
  path: (string | number)[]
}

/** Outcome of {@link validate}. */
export type Validation<Output> =
  | { ok: true; value: Output }
  | { ok: false; issues: ValidationIssue[] }

/** Whether `value` implements Standard Schema v1. Functions count: arktype's types are callable. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  const props: unknown = (value as { '~standard'?: unknown })['~standard']
  return (
    typeof props === 'object' &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === 'function'
  )
}

/**
 * Validates `value` against `schema`. Answers synchronously when the schema
 * did (most do), so the message path allocates no promise for them; an async
 * schema (e.g. zod with an async refine) yields a promise. `await` works on
 * both.
 *
 * @throws whatever the schema's `validate` throws; a promise it returns that
 *   rejects makes the returned promise reject.
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Validation<InferOutput<S>> | Promise<Validation<InferOutput<S>>> {
  const result = schema['~standard'].validate(value)
  return result instanceof Promise ? result.then(toValidation) : toValidation(result)
}

function toValidation<Output>(result: StandardSchemaResult<Output>): Validation<Output> {
  if (result.issues === undefined) return { ok: true, value: result.value }
  return {
    ok: false,
    issues: result.issues.map((issue) => ({
      message: issue.message,
      path: issue.path === undefined ? [] : issue.path.map(toKey),
    })),
  }
}

/** A path segment as a plain key: `{ key }` unwrapped, symbols named, since JSON cannot hold them. */
function toKey(segment: PropertyKey | { readonly key: PropertyKey }): string | number {
  const key = typeof segment === 'object' ? segment.key : segment
  return typeof key === 'symbol' ? String(key) : key
}
