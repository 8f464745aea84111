export * from './lib/providers';
export * from './lib/key-status';
export * from './lib/key-format';
export * from './lib/errors';
export * from './lib/http';
export * from './lib/chat';
export * from './lib/auth';
