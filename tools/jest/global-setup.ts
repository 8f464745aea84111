import { type RunConfig, traceOpenHandles } from './open-handles';

export default function globalSetup(globalConfig: RunConfig): void {
  traceOpenHandles(globalConfig);
}
