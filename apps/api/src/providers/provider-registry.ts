import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig, ProviderConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { unknownProvider } from '../common/errors/api-exception';

/** The providers this deployment offers, in display order, as the admin configured them. */
@Injectable()
export class ProviderRegistry {
  private readonly byId: ReadonlyMap<string, ProviderConfig>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.byId = new Map(config.providers.map((provider) => [provider.id, provider]));
  }

  list(): ProviderConfig[] {
    return [...this.byId.values()];
  }

  find(id: string): ProviderConfig | undefined {
    return this.byId.get(id);
  }

  /** Throws a 404 when the provider does not exist. */
  get(id: string): ProviderConfig {
    const provider = this.byId.get(id);
    if (!provider) {
      throw unknownProvider();
    }
    return provider;
  }
}
