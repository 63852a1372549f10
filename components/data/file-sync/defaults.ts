// Defaults shared by the engine, the CLI and the resource; a module of its own so the CLI can show them without
// loading the AWS SDK.
export const DEFAULT_CONCURRENCY = 32;
/** Multipart part size; also the size from which archive members are streamed in parts rather than read whole. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Local files from this size up go in multipart; smaller ones in one PUT (streamed from 1 MiB up). */
export const DEFAULT_MULTIPART_THRESHOLD = 32 * 1024 * 1024;
export const MAX_CONCURRENCY = 256;
