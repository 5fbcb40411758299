// The contracts between services, each written once: change one here and the type checker
// shows every service it touches. Runtime (logging, Kafka, gRPC, the outbox) is the kit's.
export * from './audit-chain';
export * from './data-inventory';
export * from './events';
export * from './names';
export * from './notifications';
export * from './plans';
export * from './privacy';
export * from './security-events';
