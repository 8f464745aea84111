export { FakeUpstream } from './fake-upstream';
export { STREAM_ERROR_KINDS } from './failures';
export type { FailureKind, FailureScope, FailureSpec, InjectedFailure, StreamErrorKind } from './failures';
export {
  DEFAULT_COMPATIBLE_MODELS,
  DEFAULT_KEYS,
  DEFAULT_MODELS,
  DEFAULT_STREAM_SETTINGS,
  DEFAULT_TEST_KEY_PREFIX,
  TEST_KEY_PREFIXES,
} from './options';
export type { FakeUpstreamOptions, KeyTable, StreamSettings } from './options';
export type { KeySource, WireFamily } from './protocol';
export type { Endpoint, RecordedRequest, RequestOutcome, UpstreamStats } from './recorder';
export { optionsFromEnvironment } from './environment';
export type { StandaloneConfig } from './environment';
