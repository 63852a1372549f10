// Graph algorithms the engines share. Pure.

/**
 * Strongly connected components of a directed graph (Tarjan), in dependency order: a component comes after every
 * component it has an edge to (with edges child → parent: parents first). `edges(v)` lists the nodes v depends on;
 * nodes outside `nodes` are ignored. Each component's members are sorted. Iterative, so deep chains cannot overflow
 * the stack. Used by the MySQL engine's load order and by the scrubber's sampling closure.
 */
export function stronglyConnected(nodes: readonly string[], edges: (n: string) => readonly string[]): string[][] {
    const known = new Set(nodes);
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const out: string[][] = [];
    let counter = 0;
    for (const root of nodes) {
        if (index.has(root)) continue;
        const work: Array<{ node: string; next: readonly string[]; i: number }> = [];
        const open = (n: string): void => {
            index.set(n, counter);
            low.set(n, counter);
            counter++;
            stack.push(n);
            onStack.add(n);
            work.push({ node: n, next: edges(n).filter((m) => known.has(m)), i: 0 });
        };
        open(root);
        while (work.length > 0) {
            const frame = work[work.length - 1];
            if (frame.i < frame.next.length) {
                const m = frame.next[frame.i++];
                if (!index.has(m)) open(m);
                else if (onStack.has(m)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(m) as number));
                continue;
            }
            work.pop();
            if (work.length > 0) {
                const parent = work[work.length - 1].node;
                low.set(parent, Math.min(low.get(parent) as number, low.get(frame.node) as number));
            }
            if (low.get(frame.node) === index.get(frame.node)) {
                const comp: string[] = [];
                let m: string;
                do {
                    m = stack.pop() as string;
                    onStack.delete(m);
                    comp.push(m);
                } while (m !== frame.node);
                out.push(comp.sort());
            }
        }
    }
    // Tarjan emits a component after everything it reaches (its parents): that is already parents first.
    return out;
}
