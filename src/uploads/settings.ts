/**
 * Upload limits and policy. They are read from the environment here until the configuration
 * owner moves them into src/config (keys named in docs/api/uploads.md).
 */
function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

function envBoolean(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got '${raw}'`);
}

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

export function uploadSettings(): UploadSettings {
  return {
    allowPrivateUrls: envBoolean('NEBULA_UPLOAD_ALLOW_PRIVATE_URLS', false),
    maxUploadBytes: envNumber('NEBULA_UPLOAD_MAX_BYTES', 100 * 1024 ** 3),
    urlIdleTimeoutMs: envNumber('NEBULA_UPLOAD_URL_IDLE_TIMEOUT_SECONDS', 60) * 1000,
    urlTotalTimeoutMs: envNumber('NEBULA_UPLOAD_URL_TOTAL_TIMEOUT_SECONDS', 6 * 3600) * 1000,
  };
}
