// Content-Type from a file name. Pure. No charset is added: user files are not known to be UTF-8, and a wrong
// charset garbles text in browsers where a missing one does not.
import { lookup } from "mime-types";

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function contentTypeFor(fileName: string): string {
    const baseName = fileName.slice(fileName.lastIndexOf("/") + 1);
    return lookup(baseName) || DEFAULT_CONTENT_TYPE;
}
