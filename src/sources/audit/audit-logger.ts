/**
 * The slice of a pino logger the audit intake uses: context object first, message second
 * (a `logger.child({ mod: 'audit-webhook' })` fits). Implementations must not throw.
 */
export interface AuditLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
