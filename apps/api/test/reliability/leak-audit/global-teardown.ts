import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LEAK_AUDIT_DIR_ENV } from '../../support/leak-audit';
import { runAudit } from './audit';

/**
 * Fails the test run when any key used by the tests appears in anything the API or its store
 * produced, or when the audit saw too little to mean anything. Throwing here makes Jest exit 1.
 */
export default function leakAuditTeardown(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const dir = process.env[LEAK_AUDIT_DIR_ENV];
  if (!dir) {
    throw new Error(`Leak audit: ${LEAK_AUDIT_DIR_ENV} is not set, so nothing was captured; is the global setup configured?`);
  }
  const report = runAudit(dir, resolve(projectConfig.rootDir, '../..'));
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
  const { material } = report;
  const summary =
    `Leak audit (${report.fullRun ? 'full run' : 'partial run'}): ${report.keys} keys (${report.needles} forms) ` +
    `and ${report.personal} emails and names (not in responses) searched in ` +
    `${material.logLines} log lines of ${material.logFiles} API instances, ${material.payloads} received payloads, ` +
    `${material.redisValues} values of ${material.redisServers} Redis servers and their AOF files ` +
    `(${(material.bytes / 1e6).toFixed(1)} MB): ${report.hits.length} found.`;
  if (report.failures.length > 0) {
    throw new Error(`${summary}\nLeak audit FAILED:\n  - ${report.failures.join('\n  - ')}\nMaterial kept in ${dir}`);
  }
  process.stdout.write(`\n${summary}\n`);
  rmSync(dir, { recursive: true, force: true });
}
