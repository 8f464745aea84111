import { failOnOpenHandles, type RunConfig } from './open-handles';

export default function globalTeardown(globalConfig: RunConfig): Promise<void> {
  return failOnOpenHandles(globalConfig);
}
