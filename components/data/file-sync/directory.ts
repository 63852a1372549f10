// Walks a local directory. Symlinks are followed (to files and to directories, like `cp -L`), keyed by the link's own
// path; a link that points nowhere or back into its own ancestry is an error naming it. Anything that is not a
// regular file or a directory (sockets, FIFOs, devices) is refused, as are names that are not valid UTF-8.
import { constants, promises as fsp, type Dirent, type Stats } from "node:fs";
import { join } from "node:path";
import { fileSyncError } from "./errors";
import { decodeFileName, printableFileName } from "./keys";

export interface LocalFile {
    /** Path under the root with "/" separators: the key's suffix. */
    relativePath: string;
    path: string;
    size: number;
    mtimeMs: number;
}

export interface DirectoryScan {
    files: LocalFile[];
    /** One line per file that cannot be synced, naming it. */
    problems: string[];
}

function errorCode(error: unknown): string {
    return (error as NodeJS.ErrnoException).code ?? String(error);
}

function kindOf(stats: Stats): string {
    if (stats.isFIFO()) return "a FIFO";
    if (stats.isSocket()) return "a socket";
    if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
    return "not a regular file";
}

/** Lists every file under `root`, sorted by relative path, with the problems found on the way. */
export async function scanDirectory(root: string): Promise<DirectoryScan> {
    const files: LocalFile[] = [];
    const problems: string[] = [];
    const rootStats = await fsp.stat(root);

    async function visitEntry(directory: string, relativeDirectory: string, entry: Dirent<Buffer>, ancestors: ReadonlySet<string>): Promise<void> {
        const name = decodeFileName(entry.name);
        if (name === undefined) {
            problems.push(`${relativeDirectory}${printableFileName(entry.name)}: the file name is not valid UTF-8, which S3 keys must be`);
            return;
        }
        const path = join(directory, name);
        const relativePath = relativeDirectory + name;
        const link = entry.isSymbolicLink();
        let stats: Stats;
        try {
            stats = await fsp.stat(path);
        } catch (error) {
            const code = errorCode(error);
            problems.push(link && code === "ENOENT" ? `${relativePath}: symlink to a missing file` : `${relativePath}: cannot read (${code})`);
            return;
        }
        if (stats.isDirectory()) {
            const identity = `${stats.dev}:${stats.ino}`;
            if (ancestors.has(identity)) {
                problems.push(`${relativePath}: symlink loop (points to a directory that contains it)`);
                return;
            }
            await visitDirectory(path, `${relativePath}/`, new Set([...ancestors, identity]));
        } else if (stats.isFile()) {
            try {
                await fsp.access(path, constants.R_OK);
            } catch (error) {
                problems.push(`${relativePath}: cannot read (${errorCode(error)})`);
                return;
            }
            files.push({ relativePath, path, size: stats.size, mtimeMs: stats.mtimeMs });
        } else {
            problems.push(`${relativePath}: ${kindOf(stats)}, not a regular file`);
        }
    }

    async function visitDirectory(directory: string, relativeDirectory: string, ancestors: ReadonlySet<string>): Promise<void> {
        let entries: Dirent<Buffer>[];
        try {
            entries = await fsp.readdir(directory, { withFileTypes: true, encoding: "buffer" });
        } catch (error) {
            problems.push(`${relativeDirectory || "./"}: cannot read directory (${errorCode(error)})`);
            return;
        }
        await Promise.all(entries.map((entry) => visitEntry(directory, relativeDirectory, entry, ancestors)));
    }

    if (!rootStats.isDirectory()) throw fileSyncError("source", `source ${root} is not a directory`);
    await visitDirectory(root, "", new Set([`${rootStats.dev}:${rootStats.ino}`]));
    files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
    problems.sort();
    return { files, problems };
}
