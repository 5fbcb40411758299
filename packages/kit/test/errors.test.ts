import { status } from '@grpc/grpc-js';

import {
  ConflictError,
  errorCodeOfGrpc,
  grpcStatusOf,
  httpStatusOf,
  isCorrelationId,
  ValidationError,
} from '../src';

describe('errors and correlation ids', () => {
  test('domain errors map to the same code over gRPC and HTTP', () => {
    const conflict = new ConflictError('email already registered');
    expect(grpcStatusOf(conflict.code)).toBe(status.ALREADY_EXISTS);
    expect(httpStatusOf(conflict.code)).toBe(409);
    expect(errorCodeOfGrpc(status.ALREADY_EXISTS)).toBe('already_exists');
    expect(httpStatusOf(new ValidationError('bad').code)).toBe(400);
    expect(errorCodeOfGrpc(status.DEADLINE_EXCEEDED)).toBe('unavailable');
    expect(errorCodeOfGrpc(status.DATA_LOSS)).toBe('internal');
  });

  test("the gateway's 405 is HTTP's alone: a service answering UNIMPLEMENTED is our fault, a 500", () => {
    expect(httpStatusOf('method_not_allowed')).toBe(405);
    expect(errorCodeOfGrpc(status.UNIMPLEMENTED)).toBe('internal');
  });

  test('only well-formed correlation ids are accepted from outside', () => {
    expect(isCorrelationId('0af7651916cd43dd8448eb211c80319c')).toBe(true);
    expect(isCorrelationId('short')).toBe(false);
    expect(isCorrelationId('abcdefgh\n{"level":"fatal"}')).toBe(false);
    expect(isCorrelationId('a'.repeat(129))).toBe(false);
    expect(isCorrelationId(undefined)).toBe(false);
  });
});
