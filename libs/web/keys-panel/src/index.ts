export { KeysPanel } from './lib/keys-panel';
export { ProviderKeyRow } from './lib/provider-key-row';
export { ConfirmClearDialog, confirmClear, type ConfirmClearData } from './lib/confirm-clear-dialog';
export { Clock } from './lib/clock';
export { KEY_POLICY_DESCRIPTIONS, KEY_SOURCE_LABELS, VALIDATION_FAILURE_MESSAGES } from './lib/labels';
