// Every default, limit and choice of the file sync, and their validation, shared by the engine, the CLI and the
// FileSync resource so that all three accept and refuse the same values with the same words. A module of its own,
// free of the AWS SDK, so the CLI can show the defaults without loading it.
const MiB = 1024 * 1024;

/** Transfers at once. */
export const DEFAULT_CONCURRENCY = 32;
export const MAX_CONCURRENCY = 256;
/** Multipart part size; also the size from which archive members are streamed in parts rather than read whole. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** Local files from this size up go in multipart; smaller ones in one PUT (streamed from SMALL_FILE_MAX up). */
export const DEFAULT_MULTIPART_THRESHOLD = 32 * MiB;
/**
 * Local files below this are read whole (concurrency x 1 MiB of memory at most); larger ones are hashed in one pass
 * and streamed in a second. It is also the size from which an object nothing proves is checked with a HEAD rather
 * than uploaded again, and the smallest multipart threshold.
 */
export const SMALL_FILE_MAX = 1 * MiB;
/** Multipart uploads at once, each with PART_QUEUE parts in flight: memory stays under 2 x 4 x part size for them. */
export const MULTIPART_UPLOADS_AT_ONCE = 2;
export const PART_QUEUE = 4;
/** DeleteObjects takes at most this many keys. */
export const DELETE_BATCH = 1000;
/** Keys named in an error about objects that could not be deleted, before "and N more". */
export const DELETE_ERRORS_SHOWN = 5;

/** The tunable options, as every front door takes them. */
export interface TransferOptions {
    concurrency?: unknown;
    partSize?: unknown;
    multipartThreshold?: unknown;
}

export interface ResolvedTransferOptions {
    concurrency: number;
    partSize: number;
    multipartThreshold: number;
}

export interface OptionProblem {
    /** The option at fault, as the engine and the resource name it (the CLI's flag is its kebab-case form). */
    option: keyof ResolvedTransferOptions;
    /** What is wrong and what would be valid, e.g. "concurrency must be a whole number from 1 to 256; got 0". */
    message: string;
}

/** A number, or a string of digits only (a command-line value); anything else is NaN. */
function wholeNumber(value: unknown): number {
    if (typeof value === "number") return value;
    if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
    return Number.NaN;
}

function shown(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
}

export function concurrencyProblem(value: unknown): string | undefined {
    const n = wholeNumber(value);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_CONCURRENCY) return undefined;
    return `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got ${shown(value)}`;
}

export function partSizeProblem(value: unknown): string | undefined {
    const n = wholeNumber(value);
    if (Number.isInteger(n) && n >= MIN_PART_SIZE) return undefined;
    return `part size must be a whole number of bytes, at least ${MIN_PART_SIZE} (S3's minimum, 5 MiB); got ${shown(value)}`;
}

export function multipartThresholdProblem(value: unknown): string | undefined {
    const n = wholeNumber(value);
    if (Number.isInteger(n) && n >= SMALL_FILE_MAX) return undefined;
    return `multipart threshold must be a whole number of bytes, at least ${SMALL_FILE_MAX} (1 MiB); got ${shown(value)}`;
}

const CHECKS: ReadonlyArray<[keyof ResolvedTransferOptions, (value: unknown) => string | undefined, number]> = [
    ["concurrency", concurrencyProblem, DEFAULT_CONCURRENCY],
    ["partSize", partSizeProblem, DEFAULT_PART_SIZE],
    ["multipartThreshold", multipartThresholdProblem, DEFAULT_MULTIPART_THRESHOLD],
];

/**
 * The options with their defaults filled in, and every problem with them. `undefined` means "the default"; a value
 * for which `isUnknown` is true (a Pulumi preview's unknown) is neither checked nor defaulted.
 */
export function checkTransferOptions(
    options: TransferOptions,
    isUnknown: (value: unknown) => boolean = () => false,
): { values: ResolvedTransferOptions; problems: OptionProblem[] } {
    const values = {} as Record<keyof ResolvedTransferOptions, unknown>;
    const problems: OptionProblem[] = [];
    for (const [option, problemOf, fallback] of CHECKS) {
        const given = options[option];
        if (given !== undefined && isUnknown(given)) {
            values[option] = given;
            continue;
        }
        const problem = given === undefined ? undefined : problemOf(given);
        if (problem) problems.push({ option, message: problem });
        values[option] = given === undefined ? fallback : wholeNumber(given);
    }
    return { values: values as unknown as ResolvedTransferOptions, problems };
}
