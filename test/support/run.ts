import request from 'supertest';
import type { RunResult } from '../../src/sandbox/run-result.js';

/** POSTs a program to /run and expects a 200 with a RunResult. */
export async function runProgram(url: string, code: string, stdin?: string): Promise<RunResult> {
  const response = await request(url)
    .post('/run')
    .send(stdin === undefined ? { code } : { code, stdin });
  if (response.status !== 200) {
    throw new Error(`POST /run answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body as RunResult;
}
