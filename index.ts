// The whole environment of one stack, from Pulumi.<stack>.yaml: production, staging (production's mirror) or an
// engineer's sandbox (stack mini-<engineer>, derived from staging).
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
export const database = site.databaseAttachment;
export const storageAccessKeyId = site.storage.accessKeyId;
export const storageSecretAccessKey = site.storage.secretAccessKey;
// The migration report (production with a herokuenv:migration block): each step's status, duration and figures.
export const migrationReport = site.migration?.report;
