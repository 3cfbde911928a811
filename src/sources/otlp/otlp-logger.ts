/**
 * The slice of a pino logger the OTLP receiver, forwarder and stitch stage use: context object
 * first, message second (a `logger.child({ mod: 'otlp' })` fits). Implementations must not throw.
 */
export interface OtlpLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

/** TLS for a receiver. Without `clientCaFile`, clients are not asked for certificates. */
export interface OtlpServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle; when set, clients must present a certificate it signed (mTLS). */
  readonly clientCaFile?: string;
}
