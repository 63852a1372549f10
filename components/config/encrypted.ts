/** Stands in for a value a stack file holds encrypted; it is never decrypted outside its own stack. */
export const ENCRYPTED = "[encrypted]";
