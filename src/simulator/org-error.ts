/** The org's domain errors; the API routes turn each code into the status the real API uses. */
export type SimOrgErrorCode =
  | 'user-not-found'
  | 'team-not-found'
  | 'policy-not-found'
  | 'username-taken'
  | 'slug-taken'
  | 'replacement-not-found'
  | 'not-a-member'
  | 'invalid-shift';

export class SimOrgError extends Error {
  readonly code: SimOrgErrorCode;
  constructor(code: SimOrgErrorCode, message: string) {
    super(message);
    this.name = 'SimOrgError';
    this.code = code;
  }
}
