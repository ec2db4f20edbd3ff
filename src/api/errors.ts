/**
 * Errors a client can cause, answered the way Galaxy answers them: a status code and a JSON body
 * `{ err_msg, err_code }` that BioBlend shows to the user.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: number = status * 1000,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message, 400008);
export const unauthorized = (message = 'API authentication required for this request') => new ApiError(401, message, 401001);
export const forbidden = (message: string) => new ApiError(403, message, 403002);
export const notFound = (message: string) => new ApiError(404, message, 404001);
export const conflict = (message: string) => new ApiError(409, message, 409001);
