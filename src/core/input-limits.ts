/**
 * The limits of every MCP tool argument (src/core/requests.ts applies them; messages quote them).
 * Each is an explicit bound so that bad input is refused by field name before a job row, a
 * reservation or an upstream request exists (issue 11, item 4).
 */

/**
 * Largest `prompt`, `task` or `question`, in UTF-8 bytes (100 KiB). The Claude Code CLI takes its
 * prompt as one argv string (`claude -p <prompt>`), and Linux caps one argv string at
 * MAX_ARG_STRLEN = 32 pages = 131,072 bytes including its NUL: spawning with a 131,071-byte
 * argument works, 131,072 fails with E2BIG (measured here, kernel page size 4096). 100 KiB stays
 * below that with room to spare; run_job and analyze use the same bound so one rule covers every
 * instruction text.
 */
export const TEXT_MAX_BYTES = 100 * 1024;

/** Largest path argument, in UTF-8 bytes: Linux PATH_MAX (4096, including the NUL). */
export const PATH_MAX_BYTES = 4095;

/** Largest single path segment (file or folder name), in UTF-8 bytes: NAME_MAX of ext4 and most filesystems. */
export const PATH_SEGMENT_MAX_BYTES = 255;

/** Largest short name (`model`, `checks[].name`, `job_id`), in UTF-8 bytes. */
export const NAME_MAX_BYTES = 256;

/**
 * Largest `checks[].command`, in UTF-8 bytes (8 KiB). It runs in a shell and is passed to Claude
 * Code as an allowed Bash command (one argv string, so it must also stay below MAX_ARG_STRLEN).
 */
export const COMMAND_MAX_BYTES = 8 * 1024;

/**
 * Largest money argument (`max_cost_usd`), USD: 1000. The monthly budget caps spend anyway; this
 * bound keeps the value a safe integer of µUSD (1e12 USD is 1e18 µUSD, past 2^53) and catches
 * typos. The smallest is 1 µUSD, the ledger's unit.
 */
export const MAX_COST_USD_LIMIT = 1000;
export const MIN_COST_USD = 0.000_001;

/** Largest `max_tokens` asked for (1,000,000); PER_JOB_TOKEN_LIMIT and the model's limit clamp it further. */
export const MAX_TOKENS_LIMIT = 1_000_000;

/** Largest `scoped_patch.max_diff_bytes` (64 MiB). */
export const MAX_DIFF_BYTES_LIMIT = 64 * 1024 * 1024;

/** Longest timeout of a check or a `wait`, ms (one hour). */
export const TIMEOUT_MAX_MS = 3_600_000;

/** Most entries of a path list (`input_refs`, `paths`, `allowed_dirs`, `scoped_patch.paths`). */
export const PATHS_MAX_ENTRIES = 50;

/** Most checks of one `start` job. */
export const CHECKS_MAX_ENTRIES = 20;

/** Most jobs of one `queue_batch`. */
export const BATCH_MAX_JOBS = 50;

/** Most log lines one `tail` returns. */
export const TAIL_MAX_LINES = 2000;
