/**
 * The slice of a pino logger the OTLP receivers, the stitch stage and the real-span bridge use:
 * context object first, message second (a `logger.child({ mod: 'otlp' })` fits). Implementations
 * must not throw.
 */
export interface OtlpLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
