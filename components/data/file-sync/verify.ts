// Verification by listing, overlapped with the transfers. The source's keys are cut into ranges of 1,000 in S3's
// listing order (UTF-8 bytes); as soon as every key of a range is settled (uploaded or proven unchanged) and at least
// one of them was uploaded, one ListObjectsV2 starting after the previous range's last key checks that range while
// the rest is still uploading. So the check costs what a final listing would (about a request per 1,000 objects, and
// none for ranges where nothing changed), but it no longer waits at the end of the run for the whole prefix to be
// listed again. Whatever a range listing did not confirm (a key missing, or a store that lists in another order)
// is left to one final full listing, so the worst case is the plain check after the upload.
import { verificationProblems, type ExpectedObject, type ListedObject } from "./plan";

export const RANGE_SIZE = 1000;

/** Orders keys as S3 lists them: by their UTF-8 bytes (JavaScript's `<` compares UTF-16 units, which differs). */
export function compareKeys(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export interface ListPage {
    objects: ListedObject[];
    truncated: boolean;
}

/** Lists the destination prefix from after `startAfter` (from the start when undefined), one page. */
export type ListAfter = (startAfter: string | undefined) => Promise<ListPage>;

export interface RangeCheck {
    /** Stored objects that do not match what was sent: the run fails with these. */
    problems: string[];
    /** Keys of uploaded ranges that no range listing showed: a final full listing decides them. */
    unconfirmed: string[];
}

export class RangeVerifier {
    private readonly keys: string[];
    private readonly rangeOf = new Map<string, number>();
    private readonly unsettled: number[] = [];
    private readonly uploaded: boolean[] = [];
    private readonly seen = new Map<string, ListedObject>();
    private queue: Promise<void> = Promise.resolve();
    private failure: { error: unknown } | undefined;
    private stopped = false;

    constructor(
        keys: Iterable<string>,
        private readonly list: ListAfter,
        private readonly rangeSize = RANGE_SIZE,
    ) {
        const withBytes = [...keys].map((key) => ({ key, bytes: Buffer.from(key, "utf8") }));
        withBytes.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
        this.keys = withBytes.map(({ key }) => key);
        this.keys.forEach((key, index) => this.rangeOf.set(key, Math.floor(index / rangeSize)));
        for (let range = 0; range * rangeSize < this.keys.length; range++) {
            this.unsettled.push(Math.min(rangeSize, this.keys.length - range * rangeSize));
            this.uploaded.push(false);
        }
    }

    /** Records that a key is settled; `uploaded` when this run wrote it. Starts its range's check when complete. */
    settle(key: string, uploaded: boolean): void {
        const range = this.rangeOf.get(key);
        if (range === undefined || this.stopped) return;
        if (uploaded) this.uploaded[range] = true;
        this.unsettled[range]--;
        if (this.unsettled[range] === 0 && this.uploaded[range]) {
            this.queue = this.queue.then(() => this.checkRange(range)).catch((error: unknown) => void (this.failure ??= { error }));
        }
    }

    /** No more range checks: the caller verifies another way (or the run failed). */
    stop(): void {
        this.stopped = true;
    }

    private async checkRange(range: number): Promise<void> {
        if (this.failure || this.stopped) return;
        const first = range * this.rangeSize;
        const last = Math.min(first + this.rangeSize, this.keys.length) - 1;
        const lastKey = this.keys[last];
        let startAfter = first === 0 ? undefined : this.keys[first - 1];
        for (;;) {
            const page = await this.list(startAfter);
            for (const object of page.objects) {
                if (this.rangeOf.get(object.key) === range) this.seen.set(object.key, object);
            }
            const lastListed = page.objects.at(-1)?.key;
            if (!page.truncated || lastListed === undefined || compareKeys(lastListed, lastKey) >= 0) return;
            startAfter = lastListed;
        }
    }

    /** Once every key is settled: waits for the checks in flight and reports what they found. */
    async finish(expected: ReadonlyMap<string, ExpectedObject>): Promise<RangeCheck> {
        await this.queue;
        if (this.failure) throw this.failure.error;
        const checked = new Map<string, ExpectedObject>();
        const unconfirmed: string[] = [];
        this.keys.forEach((key, index) => {
            const want = expected.get(key);
            if (!want || !this.uploaded[Math.floor(index / this.rangeSize)]) return;
            if (this.seen.has(key)) checked.set(key, want);
            else unconfirmed.push(key);
        });
        return { problems: verificationProblems(checked, this.seen, []), unconfirmed };
    }
}
