// The migration night's steps, in order: what the component declares, what `herokuenv rehearse` runs, what the
// report lists. Pure, so the order and the messages are the same everywhere.

export const MIGRATION_STEPS = ["maintenance-on", "database", "files", "dns-cutover", "maintenance-off"] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

export const STEP_TITLES: Record<MigrationStep, string> = {
    "maintenance-on": "maintenance on",
    database: "database (MySQL → Heroku Postgres)",
    files: "user files → S3",
    "dns-cutover": "DNS cutover (Cloudflare → Heroku)",
    "maintenance-off": "maintenance off",
};

/** `3/5 user files → S3` */
export function stepLabel(step: MigrationStep): string {
    return `${MIGRATION_STEPS.indexOf(step) + 1}/${MIGRATION_STEPS.length} ${STEP_TITLES[step]}`;
}

/** What to do when a step fails, beyond "fix it and run again". */
export const STEP_NEXT: Record<MigrationStep, string> = {
    "maintenance-on": "Check the app id and the old site's maintenance command or URL.",
    database: "Read the error (it names the table and column); fix the source or add a columns override; the copy resumes table by table.",
    files: "Check the files source and the bucket credentials; uploaded files are skipped on the re-run.",
    "dns-cutover": "Check the Cloudflare token's DNS and zone-settings permissions; switched records are found in place on the re-run.",
    "maintenance-off": "Switch maintenance off by hand (heroku maintenance:off) if the site is otherwise ready.",
};

export interface StepReport {
    step: MigrationStep;
    title: string;
    status: "done" | "failed" | "pending";
    seconds?: number;
    /** Step-specific figures: rows, bytes, files, records… */
    figures: Record<string, number | string | boolean>;
    warnings: string[];
    error?: string;
}

export interface MigrationReport {
    phase: "prepare" | "migrate";
    /** The first step not done, or undefined when all are. */
    stoppedAt?: MigrationStep;
    steps: StepReport[];
}

/** The report from whatever each step recorded; steps after a failure are pending. */
export function migrationReport(phase: "prepare" | "migrate", recorded: Partial<Record<MigrationStep, Omit<StepReport, "step" | "title">>>): MigrationReport {
    const steps = MIGRATION_STEPS.map((step): StepReport => ({ step, title: STEP_TITLES[step], ...(recorded[step] ?? { status: "pending", figures: {}, warnings: [] }) }));
    const stoppedAt = phase === "migrate" ? steps.find((s) => s.status !== "done")?.step : undefined;
    return { phase, ...(stoppedAt ? { stoppedAt } : {}), steps };
}
