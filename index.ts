// The whole environment of one stack (production, staging or an engineer's sandbox), from Pulumi.<stack>.yaml.
import { Environment, loadEnvironmentSettings } from "./components";

const settings = loadEnvironmentSettings();
const site = new Environment("site", { settings });

export const kind = settings.kind;
export const appName = site.app.name;
export const appUrl = site.appUrl;
export const hostnames = site.hostnames;
export const dnsTargets = site.dnsTargets;
export const filesBucket = site.storage.filesBucket.bucket;
export const staticBucket = site.storage.staticBucket.bucket;
export const databaseAddon = site.database.addonName;
export const databaseConfigVars = site.database.configVarNames;
export const storageAccessKeyId = site.storage.accessKeyId;
export const storageSecretAccessKey = site.storage.secretAccessKey;
