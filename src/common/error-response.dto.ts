/** The shape of every error answer. */
export class ErrorResponseDto {
  /** @example 400 */
  statusCode!: number;
  /**
   * What went wrong, naming the field and the limit where there is one.
   * @example 'code must be at most 5000 characters (got 5001)'
   */
  message!: string;
  /** @example 'Bad Request' */
  error!: string;
}
