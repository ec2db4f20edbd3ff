import type { Config } from '../config/schema.ts';

/** Upload limits and policy, from the `uploads` configuration keys. */
export interface UploadSettings {
  /** URL uploads may reach loopback, private and link-local addresses (an admin's choice). */
  allowPrivateUrls: boolean;
  /** Largest file a URL upload or a tus session may bring in. */
  maxUploadBytes: number;
  /** A URL upload gives up when no byte arrives for this long. */
  urlIdleTimeoutMs: number;
  /** ... or when the whole download takes longer than this. */
  urlTotalTimeoutMs: number;
}

export function uploadSettings(config: Config): UploadSettings {
  const u = config.uploads;
  return {
    allowPrivateUrls: u.allowPrivateUrls,
    maxUploadBytes: u.maxBytes,
    urlIdleTimeoutMs: u.urlIdleTimeoutSeconds * 1000,
    urlTotalTimeoutMs: u.urlTotalTimeoutSeconds * 1000,
  };
}
