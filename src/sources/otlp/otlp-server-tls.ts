/** TLS for a receiver. Without `clientCaFile`, clients are not asked for certificates. */
export interface OtlpServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle; when set, clients must present a certificate it signed (mTLS). */
  readonly clientCaFile?: string;
}
