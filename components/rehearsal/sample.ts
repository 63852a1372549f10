// The bundled sample a rehearsal runs on when given nothing: Sakila as a mariadb-dump file (samples/sakila.sql.gz,
// see samples/SOURCES.md) and a generated tree of user files shaped like a Django site's MEDIA_ROOT. The tree is
// deterministic (a seeded generator), so its file count, bytes and digests are the same on every machine.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { seededRandom } from "../data/shared/seeded-random";

/** Where the package keeps its samples (next to dist/ in the package, at the root of a checkout). */
export function samplesDir(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "samples")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return path.join(dir, "samples");
}

export function sampleDumpFile(): string {
    return path.join(samplesDir(), "sakila.sql.gz");
}

/** Sakila's tables and row counts (samples/SOURCES.md): what a rehearsal on the sample must end with. */
export const SAKILA_ROWS: Readonly<Record<string, number>> = {
    actor: 200, address: 603, category: 16, city: 600, country: 109, customer: 599, film: 1000, film_actor: 5462,
    film_category: 1000, film_text: 1000, inventory: 4581, language: 6, payment: 16049, rental: 16044, staff: 2, store: 2,
};

export interface GeneratedFiles {
    dir: string;
    count: number;
    bytes: number;
    /** Relative path → MD5 hex of its content. */
    md5: Record<string, string>;
}

const KINDS = [
    { dir: "avatars", ext: ".jpg", min: 4_000, max: 60_000, share: 0.6 },
    { dir: "documents", ext: ".pdf", min: 20_000, max: 400_000, share: 0.25 },
    { dir: "exports", ext: ".csv", min: 500, max: 30_000, share: 0.15 },
];
const NAMES = ["profile", "scan", "Rechnung", "reçu", "report final", "photo", "contrat signé", "avatar", "export"];

/**
 * Writes `count` files (default 500, about 30 MB) under `dir` as `<kind>/<year>/<month>/<name>-<n><ext>`, names with
 * spaces and accents as uploads have them. Idempotent: an existing tree with the same content is left as it is.
 */
export function generateUserFiles(dir: string, count = 500): GeneratedFiles {
    const random = seededRandom(20_090_101);
    const md5: Record<string, string> = {};
    let bytes = 0;
    for (let i = 0; i < count; i++) {
        const pick = random();
        let acc = 0;
        const kind = KINDS.find((k) => (acc += k.share) >= pick) ?? KINDS[0];
        const size = Math.floor(kind.min + random() * (kind.max - kind.min));
        const year = 2009 + Math.floor(random() * 5);
        const month = String(1 + Math.floor(random() * 12)).padStart(2, "0");
        const name = `${NAMES[Math.floor(random() * NAMES.length)]}-${i}${kind.ext}`;
        const relative = path.posix.join(kind.dir, String(year), month, name);
        const content = Buffer.alloc(size);
        for (let o = 0; o < size; o += 4) content.writeUInt32LE(Math.floor(random() * 4294967296), Math.min(o, size - 4));
        const file = path.join(dir, relative);
        if (!fs.existsSync(file) || fs.statSync(file).size !== size) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, content);
        }
        md5[relative] = createHash("md5").update(content).digest("hex");
        bytes += size;
    }
    return { dir, count, bytes, md5 };
}
