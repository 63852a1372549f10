// Scrubbing and sampling for the PostgreSQL copy: rules (one format for `--rules FILE` and `herokuenv:seed`), keyed
// fakes, the unique-column proof, the fail-closed detector, the sampling closure and the post-copy scan, assembled
// as the copy engine's hooks by scrubHooks().
export { parseRules, validateRules, rulesProblems, RulesError, FAKE_KINDS, type ScrubRules, type TableRules, type ColumnRule, type ScalarRule, type Sampling, type RuleProblem, type FakeKind, type FileKeyColumn } from "./rules";
export { readFileKeys } from "./files";
export { scrubHooks, scrubFingerprint, ScrubRefusal, SeedError, MIN_SEED_LENGTH, type ScrubHooks, type ScrubOptions, type ScrubReport } from "./hooks";
export { PersonalDataError, type Finding } from "./pii";
export { ScanError, type ScanReport } from "./scan";
export { SamplingError } from "./sampling";
export { validateSeedConfig, seedConfigProblems, seedFromEnvironment, type SeedConfig } from "./config";
