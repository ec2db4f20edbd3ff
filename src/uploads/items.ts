/** The shared vocabulary of uploads: where bytes come from and what to do with them. */

/** Where an upload's bytes are before the task runs. Never a local path. */
export type UploadSource =
  /** Pasted text, stored by the request under a server-made staging key. */
  | { kind: 'staged'; key: string }
  /** A URL the task downloads (checked again at download time). */
  | { kind: 'url'; url: string }
  /** A finished tus session, whose parts are read in order. */
  | { kind: 'tus'; sessionId: string };

export interface UploadOptions {
  /** 'auto' to sniff, or a registered extension. */
  ext: string;
  toPosixLines: boolean;
  spaceToTab: boolean;
  autoDecompress: boolean;
}

/** One dataset an upload job creates, as the request describes it. */
export interface UploadRequestItem extends UploadOptions {
  name: string;
  dbkey: string;
  source: UploadSource;
  /** Datasets made for a collection's elements are hidden, as in Galaxy. */
  visible?: boolean;
}

/** One dataset of an upload task's payload. */
export interface UploadTaskItem extends UploadOptions {
  hdaId: number;
  datasetId: number;
  objectKey: string;
  source: UploadSource;
}

export interface UploadTaskPayload {
  jobId: number;
  items: UploadTaskItem[];
}

export const UPLOAD_TASK_KIND = 'nebula.uploads.upload';
export const DISCARD_TASK_KIND = 'nebula.uploads.discard';
export const EXPIRE_SESSIONS_TASK_KIND = 'nebula.uploads.expire-sessions';
/** Attempts before an upload that keeps failing for unexpected reasons is marked as error. */
export const UPLOAD_MAX_ATTEMPTS = 4;

/** Galaxy clients send booleans as true/false, "true"/"false", "Yes"/"No" or 1/0. */
export function truthy(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(v)) return true;
    if (['false', 'no', '0', 'off', 'none'].includes(v)) return false;
  }
  return fallback;
}
