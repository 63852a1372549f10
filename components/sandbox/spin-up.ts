// Kept for imports of the earlier module: the sandbox commands now live in ./plan.ts (what they decide) and
// ./automation.ts (the Pulumi Automation API driver); `herokuenv sandbox up|down|list|status|prune` uses both.
export { sandboxStackFile, sandboxStackName, validateEngineer } from "./plan";
