// The kit's public surface. Telemetry is deliberately not re-exported here: a service must
// start it (from '@tracking/kit/telemetry') before this module loads http, grpc and pg.
export * from './address';
export * from './config';
export * from './context';
export * from './crypto';
export * from './db';
export * from './errors';
export * from './events';
export * from './grpc';
export * from './grpc-tls';
export * from './http-tls';
export * from './kafka';
export * from './kafka-acl';
export * from './log';
export * from './metrics';
export * from './ops';
export * from './outbox';
export * from './principal';
export * from './retention';
export * from './security';
export * from './shutdown';
export * from './trace';
