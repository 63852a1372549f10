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

    async run<T>(task: () => Promise<T>): Promise<T> {
        await this.acquire();
        try {
            return await task();
        } finally {
            this.release();
        }
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

    get failed(): boolean {
        return this.failure !== undefined;
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
