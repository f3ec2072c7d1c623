/** A command-line usage error: the CLI prints its message with a hint and exits with code 2. */
export class UsageError extends Error {}
