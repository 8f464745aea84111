import { Global, Module } from '@nestjs/common';
import { AuditLog } from './audit-log';

/** The audit trail, written to by keys, sign-in and chat alike. */
@Global()
@Module({ providers: [AuditLog], exports: [AuditLog] })
export class AuditModule {}
