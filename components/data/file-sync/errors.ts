// One error type for the sync, with messages that name the file or bucket at fault and never carry credentials.

export type FileSyncErrorKind =
    /** The request itself is wrong (bad URL, bad option): exit code 2 in the CLI. */
    | "usage"
    /** The source cannot be read as asked (missing, unreadable, names S3 cannot take, unsafe archive paths). */
    | "source"
    /** S3 refused or could not be reached. */
    | "s3"
    /** The store does not hold what was sent. */
    | "verification"
    | "interrupted";

export interface FileSyncError extends Error {
    name: "FileSyncError";
    kind: FileSyncErrorKind;
}

/**
 * A factory rather than a subclass of Error: Pulumi's closure serializer turns classes into functions, and
 * `Error.call(this, message)` sets no message on `this`, so a subclass would lose its message inside the provider.
 */
export function fileSyncError(kind: FileSyncErrorKind, message: string): FileSyncError {
    const error = new Error(message) as FileSyncError;
    error.name = "FileSyncError";
    error.kind = kind;
    return error;
}

export function isFileSyncError(error: unknown): error is FileSyncError {
    return error instanceof Error && error.name === "FileSyncError" && typeof (error as FileSyncError).kind === "string";
}

/** Up to `max` problems, one a line, and how many more there were. */
export function listProblems(problems: readonly string[], max = 20): string {
    const shown = problems.slice(0, max).map((p) => `  ${p}`);
    if (problems.length > max) shown.push(`  ... and ${problems.length - max} more`);
    return shown.join("\n");
}

interface SdkErrorShape {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
}

/** Where an S3 request went, for the message. */
export interface S3ErrorContext {
    bucket: string;
    key?: string;
    endpoint?: string;
    /** What was being done, e.g. "listing", "uploading". */
    action: string;
}

/**
 * Turns an SDK or network error into a FileSyncError naming the bucket (and key). Messages are built from the error
 * code, not copied from S3's text, which for signature errors quotes the string to sign.
 */
export function describeS3Error(error: unknown, context: S3ErrorContext): FileSyncError {
    if (isFileSyncError(error)) return error;
    const e = (error ?? {}) as SdkErrorShape;
    // Network errors are plain Errors with a code (ECONNREFUSED); S3's errors have a name (NoSuchBucket).
    const name = (e.name && e.name !== "Error" ? e.name : e.code ?? e.name) ?? "";
    const where = context.key === undefined ? `bucket "${context.bucket}"` : `s3://${context.bucket}/${context.key}`;
    const at = context.endpoint ? ` at ${context.endpoint}` : "";
    const status = e.$metadata?.httpStatusCode;
    switch (name) {
        case "AbortError":
            return fileSyncError("interrupted", `interrupted while ${context.action} ${where}; nothing was reported done: run again to complete`);
        case "NoSuchBucket":
            return fileSyncError("s3", `bucket "${context.bucket}" does not exist${at}`);
        case "InvalidAccessKeyId":
            return fileSyncError("s3", `S3${at} does not know the access key id used for bucket "${context.bucket}" (InvalidAccessKeyId): check the credentials`);
        case "SignatureDoesNotMatch":
            return fileSyncError("s3", `S3${at} rejected the secret access key used for bucket "${context.bucket}" (SignatureDoesNotMatch): check the credentials`);
        case "AccessDenied":
        case "AllAccessDisabled":
            return fileSyncError("s3", `access denied while ${context.action} ${where}${at} (${name}): the credentials lack permission`);
        case "CredentialsProviderError":
            return fileSyncError("s3", `no AWS credentials found for bucket "${context.bucket}": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)`);
        case "ECONNREFUSED":
        case "ENOTFOUND":
        case "EAI_AGAIN":
        case "ECONNRESET":
        case "TimeoutError":
            return fileSyncError("s3", `cannot reach S3${at || " (default AWS endpoint)"} while ${context.action} ${where}: ${name}`);
    }
    if (status === 403) return fileSyncError("s3", `access denied while ${context.action} ${where}${at} (HTTP 403 ${name})`);
    if (status === 301 || name === "PermanentRedirect") {
        return fileSyncError("s3", `bucket "${context.bucket}" is in another region than the one configured${at}: set the region`);
    }
    const detail = name && e.message && !e.message.includes(name) ? `${name}: ${e.message}` : e.message || name || String(error);
    return fileSyncError("s3", `S3 failed while ${context.action} ${where}${at}: ${detail}`);
}
