export { API_MAIN, CERT_SCRIPT, startCluster, WEB_ROOT, WORKSPACE_ROOT } from './cluster';
export type { Cluster, ClusterInstance, ClusterOptions, InstanceRestart, RestartOptions } from './cluster';
export { apiServers, mainConfig, readTemplate, renderTemplate, TEMPLATE_PATH, TEMPLATE_VARIABLE } from './nginx-config';
export type { MainConfigOptions, NginxTemplateVars } from './nginx-config';
export { freePort, isPortOpen, ManagedProcess, Reaper, waitFor } from './processes';
export type { ExitStatus, ProcessSpec } from './processes';
