// The dump file's tokenizer and statement parser: what mysqldump, mariadb-dump and SequelPro write, read as a
// stream of byte chunks (never the whole file). Pure: no I/O. Statements other than INSERT come out as SQL text with
// comments removed and conditional comments (/*!40101 … */, /*M!100100 … */) inlined; INSERT … VALUES rows come out
// one by one, their values unescaped into one row buffer (start/end per value, a kind per value). The client
// command DELIMITER is followed. An incomplete statement at the end of the input is an error (a truncated dump).

/** What a value of a parsed row is. */
export const enum ValueKind {
    Null = 0,
    /** A quoted string (escapes resolved), in the connection character set (SET NAMES). */
    Text = 1,
    /** A number literal, as written. */
    Number = 2,
    /** Raw bytes: 0x…/x'…' hex literals, b'…' bit literals (big-endian, minimal bytes) and _binary strings. */
    Bytes = 3,
    /** A string with a _latin1 introducer (to be decoded as cp1252, like the server does). */
    Latin1 = 4,
    /** A b'…' or 0b… bit literal (bytes, big-endian). */
    Bits = 5,
}

/** One parsed row: value i is bytes [starts[i], ends[i]) of buf, of kind kinds[i]. Valid during the callback only. */
export interface DumpRow {
    buf: Buffer;
    starts: Int32Array;
    ends: Int32Array;
    kinds: Uint8Array;
    count: number;
}

/** Session settings a dump changes with SET, which decide how the following statements are read. */
export interface ParserState {
    delimiter: string;
    noBackslashEscapes: boolean;
    ansiQuotes: boolean;
    /** SET NAMES / character_set_client, lower case (utf8mb4 when the dump says nothing). */
    names: string;
    /** SET TIME_ZONE, as written ('+00:00'), or null when the dump does not set it. */
    timeZone: string | null;
}

export const INITIAL_STATE: ParserState = { delimiter: ";", noBackslashEscapes: false, ansiQuotes: false, names: "utf8mb4", timeZone: null };

export interface DumpHandler {
    /** A `--` or `#` comment at the top level (the header says which tool and server wrote the dump). */
    comment?(text: string, line: number): void;
    /** A statement other than INSERT: comments removed, conditional comments inlined. */
    statement(sql: string, line: number, offset: number): void;
    /**
     * The start of an INSERT: its table, its column list (or null), where it starts. Returns whether rows are wanted:
     * false (skipped: no row() calls), true (every value), or a mask over the INSERT's value positions (1 = wanted):
     * row() is then called for every row, with each value's kind, but only wanted values have their bytes (the
     * others are skipped over without being unescaped, and are empty in the row buffer).
     */
    insert(table: string, columns: string[] | null, line: number, offset: number, state: ParserState): boolean | Uint8Array;
    /** One row of the current INSERT (only when insert() returned true). */
    row(row: DumpRow, line: number): void;
    /** The end of the current INSERT (offset just past its delimiter). */
    insertEnd(offset: number, line: number): void;
}

/** A statement or value the parser cannot read; `line` is the dump's line number (1-based). */
export class DumpSyntaxError extends Error {
    constructor(
        message: string,
        readonly line: number,
        readonly table?: string,
    ) {
        super(message);
        this.name = "DumpSyntaxError";
    }
}

const INCOMPLETE = -1;
const SQ = 0x27;
const DQ = 0x22;
const BT = 0x60;
const BS = 0x5c;
const NL = 0x0a;
const LPAREN = 0x28;
const RPAREN = 0x29;
const COMMA = 0x2c;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === NL || b === 0x0d || b === 0x0c || b === 0x0b;
const isWord = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x24 || b >= 0x80;
const hexVal = (b: number): number => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : b >= 0x41 && b <= 0x46 ? b - 0x37 : -1);

/** Version of a conditional comment at data[p] ("/*!" or "/*M!"): the content is read when below this. */
const CONDITIONAL_LIMIT = 999999;

/**
 * The streaming parser. push() chunks in order, then end(). Work is done in push(); a unit (statement head, row,
 * other statement) split across chunks is re-read once the next chunk arrives.
 */
export class DumpParser {
    state: ParserState;
    private data: Buffer = Buffer.alloc(0);
    /** The parser's own buffer: the unread rest of the last chunk, then the next chunk. */
    private carry: Buffer = Buffer.alloc(0);
    private pos = 0;
    /** Absolute offset of data[0] in the stream. */
    private base = 0;
    /** Line number at data[lineScan] (1-based). */
    private line = 1;
    private lineScan = 0;
    private inValues = false;
    private wantRows = false;
    /** The value mask of the current INSERT (null: every value wanted). */
    private valueMask: Uint8Array | null = null;
    private firstTuple = false;
    private currentTable = "";
    private row: DumpRow = { buf: Buffer.allocUnsafe(64 * 1024), starts: new Int32Array(64), ends: new Int32Array(64), kinds: new Uint8Array(64), count: 0 };
    private ended = false;
    /** Index of the next backslash in data (data.length when none; -1 when not searched yet). */
    private nextBackslash = -1;

    constructor(
        private readonly handler: DumpHandler,
        state: ParserState = INITIAL_STATE,
        /** Absolute offset and line of the first byte pushed (a segment read from the middle of a file). */
        start: { offset: number; line: number } = { offset: 0, line: 1 },
    ) {
        this.state = { ...state };
        this.base = start.offset;
        this.line = start.line;
    }

    /** The table of the INSERT being read, if any. */
    get table(): string | undefined {
        return this.inValues ? this.currentTable : undefined;
    }

    /** Absolute offset of the next unread byte. */
    get offset(): number {
        return this.base + this.pos;
    }

    /**
     * Reads a chunk. The parser keeps no reference to `chunk` once this returns (what it has not read yet is copied
     * into its own buffer), so the caller may reuse it for the next read.
     */
    push(chunk: Buffer): void {
        this.lineAt(this.pos); // Count the lines of what is dropped.
        const rest = this.data.length - this.pos;
        if (rest > 0) {
            // The unit cut by the previous chunk's end, then this chunk, in the parser's own (reused) buffer.
            const need = rest + chunk.length;
            if (this.carry.length < need) {
                const grown = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
                this.data.copy(grown, 0, this.pos);
                this.carry = grown;
            } else this.data.copy(this.carry, 0, this.pos); // Buffer.copy handles the overlap of a move.
            chunk.copy(this.carry, rest);
            this.data = this.carry.subarray(0, need);
        } else this.data = chunk;
        this.base += this.pos;
        this.lineScan -= this.pos;
        this.pos = 0;
        this.nextBackslash = -1;
        this.run(false);
        if (this.data === chunk) this.keepRest();
    }

    /** Copies the unread rest of a caller's chunk into the parser's buffer. */
    private keepRest(): void {
        const rest = this.data.length - this.pos;
        if (this.carry.length < rest) this.carry = Buffer.allocUnsafe(Math.max(rest, this.carry.length * 2));
        this.data.copy(this.carry, 0, this.pos);
        this.lineAt(this.pos);
        this.base += this.pos;
        this.lineScan -= this.pos;
        this.pos = 0;
        this.nextBackslash = -1;
        this.data = this.carry.subarray(0, rest);
    }

    end(): void {
        if (this.ended) return;
        this.ended = true;
        this.run(true);
        if (this.inValues || this.pos < this.data.length) {
            // Point at the row (or statement) that is cut, not at the end of the one before.
            let p = this.pos;
            while (p < this.data.length && (isSpace(this.data[p]) || this.data[p] === COMMA)) p++;
            this.pos = Math.min(p, this.data.length);
            const what = this.inValues ? `the dump ends in the middle of an INSERT into ${this.currentTable} (truncated dump?)` : "the dump ends in the middle of a statement (truncated dump?)";
            throw new DumpSyntaxError(what, this.lineAt(this.pos), this.inValues ? this.currentTable : undefined);
        }
    }

    /** The line number at data[p] (p only moves forward between calls). */
    private lineAt(p: number): number {
        const d = this.data;
        let i = this.lineScan;
        let line = this.line;
        if (p < i) {
            // Behind the last position asked: count back (the cache stays where it was).
            let back = line;
            for (let k = p; k < i; k++) if (d[k] === NL) back--;
            return back;
        }
        while (i < p) {
            const nl = d.indexOf(NL, i);
            if (nl < 0 || nl >= p) break;
            line++;
            i = nl + 1;
        }
        this.line = line;
        this.lineScan = p;
        return line;
    }

    private fail(message: string, p: number): never {
        throw new DumpSyntaxError(message, this.lineAt(Math.min(p, this.data.length)), this.inValues ? this.currentTable : undefined);
    }

    private run(final: boolean): void {
        for (;;) {
            const before = this.pos;
            const next = this.inValues ? this.valuesStep() : this.topStep(final);
            if (next === INCOMPLETE) return;
            this.pos = next;
            if (next === before && !this.inValues) return;
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Top level: comments, DELIMITER, statements.

    private topStep(final: boolean): number {
        const d = this.data;
        const n = d.length;
        let p = this.pos;
        while (p < n) {
            const b = d[p];
            if (isSpace(b) || b === 0xef) {
                if (b === 0xef && !(d[p + 1] === 0xbb && d[p + 2] === 0xbf)) break; // Only a UTF-8 BOM is skipped.
                p += b === 0xef ? 3 : 1;
                continue;
            }
            if (b === 0x23 || (b === 0x2d && d[p + 1] === 0x2d && (p + 2 >= n ? !final && p + 2 >= n : isSpace(d[p + 2])))) {
                if (b === 0x2d && p + 2 >= n && !final) return this.keep(p);
                const eol = d.indexOf(NL, p);
                if (eol < 0 && !final) return this.keep(p);
                const end = eol < 0 ? n : eol;
                this.handler.comment?.(d.toString("utf8", p + (b === 0x23 ? 1 : 2), end).trim(), this.lineAt(p));
                p = end;
                continue;
            }
            if (b === 0x2f && d[p + 1] === 0x2a) {
                if (p + 4 > n && !final) return this.keep(p);
                const cond = conditionalAt(d, p);
                if (cond === null || cond.version >= CONDITIONAL_LIMIT) {
                    const close = d.indexOf("*/", p + 2);
                    if (close < 0) {
                        if (!final) return this.keep(p);
                        this.fail("unterminated /* comment", p);
                    }
                    p = close + 2;
                    continue;
                }
            }
            break;
        }
        if (p >= n) return p;
        this.pos = p;
        // DELIMITER is a client command: the rest of its line.
        if (matchWord(d, p, "DELIMITER")) {
            const eol = d.indexOf(NL, p);
            if (eol < 0 && !final) return this.keep(p);
            const text = d.toString("utf8", p + 9, eol < 0 ? n : eol).trim();
            if (text === "") this.fail("DELIMITER without a delimiter", p);
            this.state.delimiter = text.split(/\s+/)[0];
            return eol < 0 ? n : eol + 1;
        }
        if (matchWord(d, p, "INSERT") || matchWord(d, p, "REPLACE")) return this.insertHead(p, final);
        const end = this.statementEnd(p);
        if (end === INCOMPLETE) {
            if (!final) return this.keep(p);
            this.fail("the dump ends in the middle of a statement (truncated dump?)", p);
        }
        const line = this.lineAt(p);
        const sql = stripComments(d.toString("utf8", p, end));
        this.handler.statement(sql, line, this.base + p);
        this.applySet(sql);
        return end + Buffer.byteLength(this.state.delimiter);
    }

    private keep(p: number): number {
        this.pos = p;
        return INCOMPLETE;
    }

    /** Index of the delimiter ending the statement at p (outside quotes and comments), or INCOMPLETE. */
    private statementEnd(p: number): number {
        const d = this.data;
        const n = d.length;
        const delim = Buffer.from(this.state.delimiter);
        const d0 = delim[0];
        const backslash = !this.state.noBackslashEscapes;
        for (let i = p; i < n; i++) {
            const b = d[i];
            if (b === d0 && (delim.length === 1 || d.subarray(i, i + delim.length).equals(delim))) {
                if (i + delim.length > n) return INCOMPLETE;
                return i;
            }
            if (b === SQ || b === DQ || b === BT) {
                const close = skipQuoted(d, i, b, backslash && b !== BT);
                if (close === INCOMPLETE) return INCOMPLETE;
                i = close - 1;
            } else if (b === 0x2d && d[i + 1] === 0x2d && (i + 2 >= n || isSpace(d[i + 2]))) {
                const eol = d.indexOf(NL, i);
                if (eol < 0) return INCOMPLETE;
                i = eol;
            } else if (b === 0x23) {
                const eol = d.indexOf(NL, i);
                if (eol < 0) return INCOMPLETE;
                i = eol;
            } else if (b === 0x2f && d[i + 1] === 0x2a) {
                const cond = conditionalAt(d, i);
                if (cond === null || cond.version >= CONDITIONAL_LIMIT) {
                    const close = d.indexOf("*/", i + 2);
                    if (close < 0) return INCOMPLETE;
                    i = close + 1;
                } else i = cond.contentStart - 1;
            }
        }
        return INCOMPLETE;
    }

    /** Follows the SET statements that change how the rest is read. */
    private applySet(sql: string): void {
        const m = /^\s*SET\s+([\s\S]*)$/i.exec(sql);
        if (!m) return;
        for (const part of splitTopLevel(m[1])) {
            const names = /^NAMES\s+'?([A-Za-z0-9_]+)'?/i.exec(part);
            if (names) {
                this.state.names = names[1].toLowerCase();
                continue;
            }
            const a = /^(?:@@(?:SESSION\.|LOCAL\.)?|SESSION\s+|LOCAL\s+)?([A-Za-z_]+)\s*:?=\s*([\s\S]*)$/i.exec(part);
            if (!a) continue;
            const name = a[1].toLowerCase();
            const value = a[2].trim();
            if (name === "time_zone" && /^'[^']*'$/.test(value)) this.state.timeZone = value.slice(1, -1);
            else if (name === "sql_mode" && /^'[^']*'$/.test(value)) {
                const modes = value.slice(1, -1).toUpperCase().split(",");
                this.state.noBackslashEscapes = modes.includes("NO_BACKSLASH_ESCAPES");
                this.state.ansiQuotes = modes.includes("ANSI_QUOTES") || modes.includes("ANSI");
            } else if (name === "character_set_client" && /^'?[A-Za-z0-9_]+'?$/.test(value)) this.state.names = value.replace(/'/g, "").toLowerCase();
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // INSERT [IGNORE] INTO t [(columns)] VALUES (…), (…);

    private insertHead(p: number, final: boolean): number {
        const d = this.data;
        const n = d.length;
        const words: { text: string; quoted: boolean }[] = [];
        let i = p;
        let columns: string[] | null = null;
        let table = "";
        const identQuote = this.state.ansiQuotes ? DQ : -1;
        for (;;) {
            while (i < n && isSpace(d[i])) i++;
            if (i >= n) {
                if (final) this.fail("the dump ends in the middle of an INSERT statement (truncated dump?)", p);
                return this.keep(p);
            }
            const b = d[i];
            if (b === 0x2f && d[i + 1] === 0x2a) {
                const cond = conditionalAt(d, i);
                const close = d.indexOf("*/", i + 2);
                if (close < 0) return final ? this.fail("unterminated comment in INSERT", i) : this.keep(p);
                if (cond && cond.version < CONDITIONAL_LIMIT) i = cond.contentStart;
                else i = close + 2;
                continue;
            }
            if (b === 0x2a && d[i + 1] === 0x2f) {
                i += 2;
                continue;
            }
            if (b === BT || b === identQuote) {
                const close = skipQuoted(d, i, b, false);
                if (close === INCOMPLETE) return final ? this.fail("unterminated identifier", i) : this.keep(p);
                words.push({ text: d.toString("utf8", i + 1, close - 1).split(String.fromCharCode(b, b)).join(String.fromCharCode(b)), quoted: true });
                i = close;
                continue;
            }
            if (b === 0x2e) {
                // db.table: keep the table.
                i++;
                if (words.length > 0) words[words.length - 1].text += ".";
                continue;
            }
            if (b === LPAREN && columns === null && table === "" && words.length > 0) {
                table = this.tableOf(words, i);
                const list: string[] = [];
                let j = i + 1;
                for (;;) {
                    while (j < n && isSpace(d[j])) j++;
                    if (j >= n) return final ? this.fail("the dump ends in the middle of an INSERT column list", j) : this.keep(p);
                    const c = d[j];
                    if (c === RPAREN) {
                        j++;
                        break;
                    }
                    if (c === COMMA) {
                        j++;
                        continue;
                    }
                    if (c === BT || c === identQuote) {
                        const close = skipQuoted(d, j, c, false);
                        if (close === INCOMPLETE) return final ? this.fail("unterminated identifier", j) : this.keep(p);
                        list.push(d.toString("utf8", j + 1, close - 1).split(String.fromCharCode(c, c)).join(String.fromCharCode(c)));
                        j = close;
                        continue;
                    }
                    if (isWord(c)) {
                        let k = j;
                        while (k < n && isWord(d[k])) k++;
                        if (k >= n) return final ? this.fail("the dump ends in the middle of an INSERT column list", j) : this.keep(p);
                        list.push(d.toString("utf8", j, k));
                        j = k;
                        continue;
                    }
                    this.fail(`cannot read the column list of an INSERT into ${table}`, j);
                }
                columns = list;
                i = j;
                continue;
            }
            if (isWord(b)) {
                let k = i;
                while (k < n && isWord(d[k])) k++;
                if (k >= n && !final) return this.keep(p);
                const w = d.toString("utf8", i, k);
                const upper = w.toUpperCase();
                if (upper === "VALUES" || upper === "VALUE") {
                    if (table === "") table = this.tableOf(words, i);
                    this.currentTable = table;
                    this.inValues = true;
                    this.firstTuple = true;
                    const wanted = this.handler.insert(table, columns, this.lineAt(p), this.base + p, this.state);
                    this.wantRows = wanted !== false;
                    this.valueMask = typeof wanted === "boolean" ? null : wanted;
                    return k;
                }
                if (upper === "SELECT" || upper === "SET") this.fail(`INSERT … ${upper} cannot be read from a dump (only INSERT … VALUES)`, i);
                words.push({ text: w, quoted: false });
                i = k;
                continue;
            }
            this.fail("cannot read this INSERT statement", i);
        }
    }

    private tableOf(words: { text: string; quoted: boolean }[], at: number): string {
        const keywords = new Set(["INSERT", "REPLACE", "INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"]);
        const rest = words.filter((w) => w.quoted || !keywords.has(w.text.toUpperCase()));
        if (rest.length === 0) this.fail("INSERT without a table name", at);
        // `db`.`table` arrives as "db." then "table".
        let name = rest[rest.length - 1].text;
        if (rest.length >= 2 && rest[rest.length - 2].text.endsWith(".")) name = rest[rest.length - 1].text;
        else if (name.endsWith(".")) this.fail("INSERT without a table name", at);
        return name;
    }

    // -----------------------------------------------------------------------------------------------------------
    // The VALUES list: tuples separated by commas, ended by the delimiter.

    private valuesStep(): number {
        const d = this.data;
        const n = d.length;
        let p = this.pos;
        while (p < n && isSpace(d[p])) p++;
        if (p >= n) return this.keep(p);
        if (!this.firstTuple) {
            const b = d[p];
            if (b === COMMA) {
                p++;
                while (p < n && isSpace(d[p])) p++;
                if (p >= n) return this.keep(this.pos);
            } else {
                const delim = this.state.delimiter;
                if (p + delim.length > n) return this.keep(p);
                if (d.toString("utf8", p, p + delim.length) === delim) {
                    this.inValues = false;
                    const end = p + delim.length;
                    this.handler.insertEnd(this.base + end, this.lineAt(p));
                    return end;
                }
                this.fail(`expected "," or "${delim}" after a row of ${this.currentTable}`, p);
            }
        }
        if (d[p] !== LPAREN) this.fail(`expected "(" to start a row of ${this.currentTable}`, p);
        const end = this.tuple(p);
        if (end === INCOMPLETE) return this.keep(this.pos);
        this.firstTuple = false;
        if (this.wantRows) this.handler.row(this.row, this.lineAt(p));
        return end;
    }

    private growRow(need: number): void {
        const r = this.row;
        if (need > r.buf.length) {
            const next = Buffer.allocUnsafe(Math.max(need, r.buf.length * 2));
            r.buf.copy(next);
            r.buf = next;
        }
    }

    /** Reads one tuple at data[p] ("("); fills this.row when rows are wanted. Returns the index past ")". */
    private tuple(p: number): number {
        const d = this.data;
        const n = d.length;
        const wantRow = this.wantRows;
        const mask = this.valueMask;
        const backslash = !this.state.noBackslashEscapes;
        const r = this.row;
        let out = 0;
        let count = 0;
        let i = p + 1;
        for (;;) {
            while (i < n && isSpace(d[i])) i++;
            if (i >= n) return INCOMPLETE;
            let b = d[i];
            if (b === RPAREN && count === 0) return i + 1;
            const want = wantRow && (mask === null || mask[count] === 1);
            if (count >= r.starts.length) {
                const size = r.starts.length * 2;
                const s = new Int32Array(size);
                s.set(r.starts);
                const e = new Int32Array(size);
                e.set(r.ends);
                const k = new Uint8Array(size);
                k.set(r.kinds);
                r.starts = s;
                r.ends = e;
                r.kinds = k;
            }
            let kind: ValueKind = ValueKind.Text;
            let introduced = false;
            // Charset introducer: _binary '…', _utf8mb4'…', _latin1 0x…
            if (b === 0x5f) {
                let k = i + 1;
                while (k < n && isWord(d[k])) k++;
                if (k >= n) return INCOMPLETE;
                const cs = d.toString("latin1", i + 1, k).toLowerCase();
                kind = cs === "binary" ? ValueKind.Bytes : cs === "latin1" ? ValueKind.Latin1 : ValueKind.Text;
                introduced = true;
                i = k;
                while (i < n && isSpace(d[i])) i++;
                if (i >= n) return INCOMPLETE;
                b = d[i];
            }
            const start = out;
            if (b === SQ || (b === DQ && !this.state.ansiQuotes)) {
                // A string: unescape into the row buffer, jumping from quote to backslash with indexOf.
                if (want) this.growRow(out + (n - i));
                const buf = r.buf;
                let j = i + 1;
                let closed = false;
                const quote: number = b;
                let nextBs = backslash ? this.nextBackslash : n;
                for (;;) {
                    const qi: number = d.indexOf(quote, j);
                    if (qi < 0) return INCOMPLETE;
                    if (nextBs < j) {
                        // The next backslash of the whole buffer, found once and reused by the strings before it.
                        nextBs = d.indexOf(BS, j);
                        if (nextBs < 0) nextBs = n;
                        this.nextBackslash = nextBs;
                    }
                    const stop = nextBs < qi ? nextBs : qi;
                    if (want) {
                        if (stop - j < 48) for (let k = j; k < stop; k++) buf[out++] = d[k];
                        else {
                            d.copy(buf, out, j, stop);
                            out += stop - j;
                        }
                    }
                    if (stop === qi) {
                        if (qi + 1 >= n) return INCOMPLETE;
                        if (d[qi + 1] === quote) {
                            if (want) buf[out++] = quote;
                            j = qi + 2;
                            continue;
                        }
                        closed = true;
                        j = qi + 1;
                        break;
                    }
                    // A backslash escape.
                    if (stop + 1 >= n) return INCOMPLETE;
                    const e = d[stop + 1];
                    if (want) {
                        switch (e) {
                            case 0x30: buf[out++] = 0; break; // \0
                            case 0x62: buf[out++] = 0x08; break; // \b
                            case 0x6e: buf[out++] = NL; break; // \n
                            case 0x72: buf[out++] = 0x0d; break; // \r
                            case 0x74: buf[out++] = 0x09; break; // \t
                            case 0x5a: buf[out++] = 0x1a; break; // \Z
                            case 0x25: case 0x5f: buf[out++] = BS; buf[out++] = e; break; // \% \_ keep the backslash
                            default: buf[out++] = e;
                        }
                    }
                    j = stop + 2;
                }
                if (!closed) return INCOMPLETE;
                i = j;
            } else if (b === 0x30 && i + 2 >= n) {
                return INCOMPLETE; // "0x…", "0b…" or a number: decided once more bytes are there.
            } else if (b === 0x30 && (d[i + 1] === 0x78 || d[i + 1] === 0x62) && (hexVal(d[i + 2]) >= 0 || d[i + 2] === 0x30 || d[i + 2] === 0x31)) {
                // 0x… hex or 0b… bit literal.
                const isHex = d[i + 1] === 0x78;
                let k = i + 2;
                while (k < n && (isHex ? hexVal(d[k]) >= 0 : d[k] === 0x30 || d[k] === 0x31)) k++;
                if (k >= n) return INCOMPLETE;
                if (want) out = isHex ? this.hexInto(d, i + 2, k, out) : this.bitsInto(d, i + 2, k, out);
                kind = !isHex ? ValueKind.Bits : introduced ? kind : ValueKind.Bytes;
                i = k;
            } else if ((b === 0x78 || b === 0x58 || b === 0x62 || b === 0x42) && d[i + 1] === SQ) {
                // x'…' / b'…'
                const close = d.indexOf(SQ, i + 2);
                if (close < 0) return INCOMPLETE;
                const isHex = b === 0x78 || b === 0x58;
                if (want) out = isHex ? this.hexInto(d, i + 2, close, out) : this.bitsInto(d, i + 2, close, out);
                kind = !isHex ? ValueKind.Bits : introduced ? kind : ValueKind.Bytes;
                i = close + 1;
            } else if ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e) {
                let k = i + 1;
                while (k < n && ((d[k] >= 0x30 && d[k] <= 0x39) || d[k] === 0x2e || d[k] === 0x65 || d[k] === 0x45 || ((d[k] === 0x2d || d[k] === 0x2b) && (d[k - 1] === 0x65 || d[k - 1] === 0x45)))) k++;
                if (k >= n) return INCOMPLETE;
                if (want) {
                    this.growRow(out + (k - i));
                    d.copy(r.buf, out, b === 0x2b ? i + 1 : i, k);
                    out += k - (b === 0x2b ? i + 1 : i);
                }
                kind = ValueKind.Number;
                i = k;
            } else if ((b === 0x4e || b === 0x6e) && i + 4 < n && (d[i + 1] | 0x20) === 0x75 && (d[i + 2] | 0x20) === 0x6c && (d[i + 3] | 0x20) === 0x6c && !isWord(d[i + 4])) {
                kind = ValueKind.Null;
                i += 4;
            } else if (isWord(b)) {
                let k = i;
                while (k < n && isWord(d[k])) k++;
                if (k >= n) return INCOMPLETE;
                const w = d.toString("latin1", i, k).toUpperCase();
                if (w === "NULL") kind = ValueKind.Null;
                else if (w === "TRUE" || w === "FALSE") {
                    if (want) {
                        this.growRow(out + 1);
                        r.buf[out++] = w === "TRUE" ? 0x31 : 0x30;
                    }
                    kind = ValueKind.Number;
                } else this.fail(`cannot read the value ${JSON.stringify(w.slice(0, 40))} in a row of ${this.currentTable} (value ${count + 1})`, i);
                i = k;
            } else this.fail(`cannot read value ${count + 1} of a row of ${this.currentTable}`, i);
            r.starts[count] = start;
            r.ends[count] = out;
            r.kinds[count] = kind;
            count++;
            while (i < n && isSpace(d[i])) i++;
            if (i >= n) return INCOMPLETE;
            const sep = d[i];
            if (sep === COMMA) {
                i++;
                continue;
            }
            if (sep === RPAREN) {
                r.count = count;
                return i + 1;
            }
            this.fail(`expected "," or ")" after value ${count} of a row of ${this.currentTable}`, i);
        }
    }

    private hexInto(d: Buffer, s: number, e: number, out: number): number {
        const r = this.row;
        this.growRow(out + (e - s + 1) / 2 + 1);
        let k = s;
        if ((e - s) % 2 === 1) r.buf[out++] = hexVal(d[k++]);
        for (; k < e; k += 2) {
            const hi = hexVal(d[k]);
            const lo = hexVal(d[k + 1]);
            if (hi < 0 || lo < 0) this.fail("invalid hex literal", k);
            r.buf[out++] = (hi << 4) | lo;
        }
        return out;
    }

    private bitsInto(d: Buffer, s: number, e: number, out: number): number {
        const r = this.row;
        const bits = e - s;
        const bytes = Math.max(1, Math.ceil(bits / 8));
        this.growRow(out + bytes);
        let k = s;
        let first = bits % 8 === 0 ? 8 : bits % 8;
        for (let byte = 0; byte < bytes; byte++) {
            let v = 0;
            for (let j = 0; j < first && k < e; j++, k++) {
                const c = d[k];
                if (c !== 0x30 && c !== 0x31) this.fail("invalid bit literal", k);
                v = (v << 1) | (c - 0x30);
            }
            r.buf[out++] = v;
            first = 8;
        }
        return out;
    }
}

function matchWord(d: Buffer, p: number, word: string): boolean {
    if (p + word.length > d.length) return false;
    for (let i = 0; i < word.length; i++) if ((d[p + i] | 0x20) !== (word.charCodeAt(i) | 0x20)) return false;
    const after = d[p + word.length];
    return after === undefined || !isWord(after);
}

/** A conditional comment at data[p] ("/*!NNNNN" or "/*M!NNNNNN"): its version and where its content starts. */
function conditionalAt(d: Buffer, p: number): { version: number; contentStart: number } | null {
    let i = p + 2;
    if (d[i] === 0x4d && d[i + 1] === 0x21) i += 2; // M!
    else if (d[i] === 0x21) i += 1;
    else return null;
    let k = i;
    while (k < d.length && k < i + 6 && d[k] >= 0x30 && d[k] <= 0x39) k++;
    const version = k > i ? Number(d.toString("latin1", i, k)) : 0;
    return { version, contentStart: k };
}

/** Index past the closing quote of the quoted text at d[p], or INCOMPLETE. */
function skipQuoted(d: Buffer, p: number, q: number, backslash: boolean): number {
    const n = d.length;
    for (let i = p + 1; i < n; i++) {
        const c = d[i];
        if (c === BS && backslash) {
            i++;
            continue;
        }
        if (c === q) {
            if (i + 1 >= n) return INCOMPLETE;
            if (d[i + 1] === q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return INCOMPLETE;
}

/**
 * SQL text with comments removed and conditional comments inlined (their content kept, when below the limit).
 * Quotes are respected; `--` and `#` comments run to the end of the line.
 */
export function stripComments(sql: string): string {
    let out = "";
    let i = 0;
    const n = sql.length;
    let inConditional = 0;
    while (i < n) {
        const c = sql[i];
        if (c === "'" || c === '"' || c === "`") {
            let j = i + 1;
            while (j < n) {
                if (sql[j] === "\\" && c !== "`") j += 2;
                else if (sql[j] === c && sql[j + 1] === c) j += 2;
                else if (sql[j] === c) break;
                else j++;
            }
            out += sql.slice(i, j + 1);
            i = j + 1;
            continue;
        }
        if (c === "/" && sql[i + 1] === "*") {
            const m = /^\/\*(M?!)(\d{0,6})/.exec(sql.slice(i, i + 10));
            if (m && (m[2] === "" || Number(m[2]) < CONDITIONAL_LIMIT)) {
                inConditional++;
                i += m[0].length;
                continue;
            }
            const close = sql.indexOf("*/", i + 2);
            i = close < 0 ? n : close + 2;
            out += " ";
            continue;
        }
        if (c === "*" && sql[i + 1] === "/" && inConditional > 0) {
            inConditional--;
            i += 2;
            continue;
        }
        if ((c === "-" && sql[i + 1] === "-" && (i + 2 >= n || /\s/.test(sql[i + 2]))) || c === "#") {
            const eol = sql.indexOf("\n", i);
            i = eol < 0 ? n : eol;
            continue;
        }
        out += c;
        i++;
    }
    return out.trim();
}

/** Splits "a = 1, b = 'x,y'" at top-level commas (outside quotes and parentheses). */
export function splitTopLevel(text: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "'" || c === '"' || c === "`") {
            let j = i + 1;
            while (j < text.length && text[j] !== c) j += text[j] === "\\" && c !== "`" ? 2 : 1;
            i = j;
        } else if (c === "(") depth++;
        else if (c === ")") depth--;
        else if (c === "," && depth === 0) {
            parts.push(text.slice(start, i).trim());
            start = i + 1;
        }
    }
    parts.push(text.slice(start).trim());
    return parts.filter((p) => p !== "");
}
