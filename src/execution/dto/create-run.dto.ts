import { IsOptional } from 'class-validator';
import { IsCallbackUrl } from '../../callbacks/index.js';
import { RunRequestDto } from './run-request.dto.js';

export class CreateRunRequestDto extends RunRequestDto {
  /**
   * Where to POST the run when it ends (http or https, at most 2048 characters), signed with
   * the X-SCE-Signature-256 header. Only public addresses unless the operator allows more
   * (CALLBACK_ALLOWED_HOSTS); refused when the instance has no CALLBACK_SECRET.
   * @example https://example.com/hooks/runs
   */
  @IsOptional()
  @IsCallbackUrl()
  callbackUrl?: string;
}
