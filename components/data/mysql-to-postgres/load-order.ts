// The order tables load in: units of work, each committed in one PostgreSQL transaction. Create mode adds foreign
// keys after every table is loaded, so each table is its own unit, largest first. Existing mode loads into the
// application's tables with their foreign keys enforced: parents first, and the tables of a foreign-key cycle
// together in one unit (deferrable constraints deferred, the others dropped and re-added inside the transaction).
// Pure: no I/O.
import { stronglyConnected } from "../shared/graph";
import type { TablePlan } from "./plan";
import type { SchemaMode, TargetTable } from "./types";

export interface LoadUnit {
    plans: TablePlan[];
    /** Target tables that must be loaded (committed) first. */
    dependsOn: string[];
    /** Foreign keys to drop and re-add inside the unit's transaction (non-deferrable ones inside a cycle). */
    dropFks: { table: string; name: string; definition: string }[];
}

/** Existing mode: units in foreign-key order; a self-reference is no dependency (checked at the end of its COPY). */
export function existingModeUnits(pending: TablePlan[], targets: Map<string, TargetTable>): LoadUnit[] {
    const names = new Set(pending.map((p) => p.target));
    const edges = new Map<string, string[]>();
    for (const p of pending) {
        const fks = targets.get(p.target)?.foreignKeys ?? [];
        edges.set(p.target, [...new Set(fks.map((f) => f.referencedTable).filter((r) => r !== p.target && names.has(r)))]);
    }
    const byTarget = new Map(pending.map((p) => [p.target, p]));
    return stronglyConnected(
        pending.map((p) => p.target),
        (t) => edges.get(t) ?? [],
    ).map((component) => {
        const members = new Set(component);
        const dependsOn = [...new Set(component.flatMap((t) => edges.get(t) ?? []).filter((t) => !members.has(t)))];
        const dropFks =
            component.length > 1
                ? component.flatMap((t) =>
                      (targets.get(t)?.foreignKeys ?? [])
                          .filter((f) => members.has(f.referencedTable) && f.referencedTable !== t && !f.deferrable)
                          .map((f) => ({ table: t, name: f.name, definition: f.definition })),
                  )
                : [];
        return { plans: component.map((t) => byTarget.get(t) as TablePlan), dependsOn, dropFks };
    });
}

/** Create mode: one unit per table, the largest first (so the longest copy starts early). */
export function createModeUnits(pending: TablePlan[]): LoadUnit[] {
    return pending.map((p) => ({ plans: [p], dependsOn: [], dropFks: [] })).sort((a, b) => b.plans[0].source.dataLength - a.plans[0].source.dataLength);
}

export function loadUnits(mode: SchemaMode, pending: TablePlan[], targets: Map<string, TargetTable>): LoadUnit[] {
    return mode === "existing" ? existingModeUnits(pending, targets) : createModeUnits(pending);
}

/**
 * Whether a unit may start: each dependency is loaded, or is not part of this run at all (already there).
 * `loaded` holds the targets committed so far; `inRun` every target some unit of this run loads.
 */
export function isUnitReady(unit: LoadUnit, loaded: ReadonlySet<string>, inRun: ReadonlySet<string>): boolean {
    return unit.dependsOn.every((d) => loaded.has(d) || !inRun.has(d));
}
