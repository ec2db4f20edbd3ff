/** A tool run request the client got wrong; `status` is the HTTP status the API answers with. */
export class JobRequestError extends Error {
  override name = 'JobRequestError';
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}
