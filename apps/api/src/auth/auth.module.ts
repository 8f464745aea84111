import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { AuthController } from './auth.controller';
import { AuthMiddleware } from './auth.middleware';
import { CallerResolver } from './caller-resolver';
import { OidcClient } from './oidc-client';
import { SignIns } from './sign-ins';

/** Sign-in (AUTH_MODE) and the caller every key-using route and socket is served for. */
@Module({
  imports: [KeysModule],
  controllers: [AuthController],
  providers: [CallerResolver, SignIns, OidcClient, AuthMiddleware],
  exports: [CallerResolver, AuthMiddleware],
})
export class AuthModule {}
