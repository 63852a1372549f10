// herokuenv: the library's public surface.
export { Environment, type EnvironmentArgs } from "./environment";
export { loadEnvironmentSettings, readRawStackConfig, type EnvironmentSettings } from "./config/stack";
export { validateEnvironment, formatProblems, configKey } from "./config/validate";
export * from "./config/schema";
export { Storage, type StorageArgs } from "./aws/storage";
export { storagePolicyDocument } from "./aws/policy";
export { Dns, type DnsArgs, type DnsRecordSpec } from "./cloudflare/dns";
export { App, type AppArgs } from "./heroku/app";
export { ConfigVars, type ConfigVarsArgs } from "./heroku/config-vars";
export { Addon, type AddonArgs } from "./heroku/addon";
export { AddonAttachment, type AddonAttachmentArgs } from "./heroku/addon-attachment";
export { Domain, type DomainArgs } from "./heroku/domain";
export { Formation, type FormationArgs } from "./heroku/formation";
export { Maintenance, type MaintenanceArgs } from "./heroku/maintenance";
export { Acm, type AcmArgs } from "./heroku/acm";
export { HerokuClient, HerokuApiError, type HerokuClientOptions } from "./heroku/client";
export { FileSync, type FileSyncArgs } from "./data/file-sync-resource";
export { syncFiles, sourceFingerprint, type SyncOptions, type SyncSummary } from "./data/file-sync";
