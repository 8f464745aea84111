export { KeysPanel } from './lib/keys-panel';
export { ProviderKeyRow } from './lib/provider-key-row';
export { ConfirmClearDialog, confirmClear, type ConfirmClearData } from './lib/confirm-clear-dialog';
// The panel's clock lives with the other browser edges; re-exported so embedders can fix it.
export { Clock } from '@byok/web/data-access';
export { KEY_POLICY_DESCRIPTIONS, KEY_SOURCE_LABELS, VALIDATION_FAILURE_MESSAGES } from './lib/labels';
