import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEAK_AUDIT_DIR_ENV } from '../../support/leak-audit';

/** Gives the run its leak-audit directory; test files inherit it through the environment. */
export default function leakAuditSetup(): void {
  process.env[LEAK_AUDIT_DIR_ENV] = mkdtempSync(join(tmpdir(), 'byok-leak-audit-'));
}
