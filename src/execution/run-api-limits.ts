import type { OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config.js';

type Limits = Pick<AppConfig, 'MAX_CODE_LENGTH' | 'MAX_STDIN_BYTES' | 'BODY_LIMIT_BYTES'>;

interface StringSchema {
  minLength?: number;
  maxLength?: number;
  description?: string;
}

/**
 * Writes the configured limits of POST /run into the OpenAPI document. They are settings, not
 * constants, so the DTO's decorators cannot carry them; the document is built at start-up from
 * the validated config, so what /docs shows is what this instance enforces.
 */
export function documentRunLimits(document: OpenAPIObject, limits: Limits): OpenAPIObject {
  const schema = document.components?.schemas?.RunRequestDto as
    { properties?: Record<string, StringSchema>; description?: string } | undefined;
  const code = schema?.properties?.code;
  const stdin = schema?.properties?.stdin;
  if (!schema || !code || !stdin)
    throw new Error('RunRequestDto is missing from the OpenAPI document');
  code.minLength = 1;
  // Characters are Unicode code points; JSON Schema's maxLength counts them the same way.
  code.maxLength = limits.MAX_CODE_LENGTH;
  code.description =
    `${code.description ?? ''} At most ${limits.MAX_CODE_LENGTH} characters.`.trim();
  stdin.description =
    `${stdin.description ?? ''} At most ${limits.MAX_STDIN_BYTES} bytes once UTF-8 encoded.`.trim();
  schema.description = `The whole JSON body may be at most ${limits.BODY_LIMIT_BYTES} bytes (413 beyond).`;
  return document;
}
