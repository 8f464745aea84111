import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Fingerprinter } from './fingerprinter';
import { KeyCipher } from './key-cipher';

@Global()
@Module({
  providers: [
    { provide: KeyCipher, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new KeyCipher(config.keystoreSecrets) },
    {
      provide: Fingerprinter,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new Fingerprinter(config.keystoreSecrets[0]),
    },
  ],
  exports: [KeyCipher, Fingerprinter],
})
export class CryptoModule {}
