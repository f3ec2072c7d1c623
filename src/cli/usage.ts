/** The usage error of the commands that live in their own files (run.ts reports it as exit 2). */
export class CommandUsageError extends Error {}
