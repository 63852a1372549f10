// Bounded concurrency: at most `limit` tasks at once; the first failure stops new tasks and is the one reported.

export class Semaphore {
    private available: number;
    private readonly waiters: Array<() => void> = [];

    constructor(limit: number) {
        this.available = limit;
    }

    async acquire(): Promise<void> {
        if (this.available > 0) {
            this.available--;
            return;
        }
        await new Promise<void>((resolve) => this.waiters.push(resolve));
    }

    release(): void {
        const next = this.waiters.shift();
        if (next) next();
        else this.available++;
    }
}

/** Tasks started one by one (so a producer can wait for room) and awaited together. */
export class TaskGroup {
    private readonly slots: Semaphore;
    private readonly running = new Set<Promise<void>>();
    private failure: { error: unknown } | undefined;

    constructor(limit: number) {
        this.slots = new Semaphore(limit);
    }

    /** Waits for a free slot, then starts the task; throws the group's first failure instead once there is one. */
    async spawn(task: () => Promise<void>): Promise<void> {
        this.throwIfFailed();
        await this.slots.acquire();
        if (this.failure) {
            this.slots.release();
            this.throwIfFailed();
        }
        const running: Promise<void> = task()
            .catch((error: unknown) => {
                this.failure ??= { error };
            })
            .finally(() => {
                this.running.delete(running);
                this.slots.release();
            });
        this.running.add(running);
    }

    /** Waits for every started task; throws the first failure. */
    async wait(): Promise<void> {
        while (this.running.size > 0) await Promise.all([...this.running]);
        this.throwIfFailed();
    }

    private throwIfFailed(): void {
        if (this.failure) throw this.failure.error;
    }
}

/** Runs `worker` over every item with at most `limit` at once; waits for all started ones even after a failure. */
export async function forEachLimited<T>(items: Iterable<T>, limit: number, worker: (item: T) => Promise<void>): Promise<void> {
    const group = new TaskGroup(limit);
    try {
        for (const item of items) await group.spawn(() => worker(item));
    } finally {
        await group.wait().catch(() => undefined);
    }
    await group.wait();
}

export interface WorkerPoolOptions<T, R> {
    /** Workers started: at most this many, and never more than there are items. */
    concurrency: number;
    /** Opens what one worker needs (its connections), once, before its first item. A failure counts as the run's failure. */
    setup: () => Promise<R>;
    /** Closes a worker's resources once it stops, after a failure too; its own errors are ignored. */
    teardown?: (resources: R) => Promise<void>;
    /**
     * Whether an item may start now (e.g. the items it depends on are done); asked again whenever an item finishes.
     * Default: always. Items are taken in order among the ready ones.
     */
    ready?: (item: T) => boolean;
    /** Does one item with the worker's resources. */
    run: (item: T, resources: R) => Promise<void>;
}

/**
 * Runs every item on a pool of workers, each with resources of its own (setup/teardown), starting an item only when
 * `ready` says so. The first failure stops new items; items in flight finish, every worker tears down, and the
 * failure is thrown. When no item is running and none of the remaining ones is ready, they never would be: that is
 * a failure too (rather than waiting forever).
 */
export async function runWorkerPool<T, R>(items: Iterable<T>, options: WorkerPoolOptions<T, R>): Promise<void> {
    const queue = [...items];
    const ready = options.ready ?? (() => true);
    let failure: { error: unknown } | undefined;
    let running = 0;
    const waiters: Array<() => void> = [];
    const wake = (): void => {
        for (const w of waiters.splice(0)) w();
    };
    const fail = (error: unknown): void => {
        failure ??= { error };
        wake();
    };
    /** The next ready item (counted as running from here), or undefined when the worker should stop. */
    const take = async (): Promise<{ item: T } | undefined> => {
        for (;;) {
            if (failure || queue.length === 0) return undefined;
            const i = queue.findIndex((item) => ready(item));
            if (i >= 0) {
                running++;
                return { item: queue.splice(i, 1)[0] };
            }
            if (running === 0) {
                fail(new Error(`${queue.length} item(s) can never start: what they wait for is not in the pool`));
                return undefined;
            }
            await new Promise<void>((resolve) => waiters.push(resolve));
        }
    };
    const worker = async (): Promise<void> => {
        if (failure || queue.length === 0) return;
        let resources: R;
        try {
            resources = await options.setup();
        } catch (error) {
            fail(error);
            return;
        }
        try {
            for (let next = await take(); next !== undefined; next = await take()) {
                try {
                    await options.run(next.item, resources);
                } catch (error) {
                    failure ??= { error };
                } finally {
                    running--;
                    wake();
                }
            }
        } finally {
            await options.teardown?.(resources).catch(() => undefined);
            wake();
        }
    };
    const count = Math.max(1, Math.min(Math.floor(options.concurrency), queue.length));
    await Promise.all(Array.from({ length: count }, worker));
    if (failure) throw failure.error;
}
