/**
 * The command line of every `npm run` script: `--help` prints its usage, a bad argument fails
 * with one line and exit code 2, progress goes to stderr so stdout stays the script's output.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

export interface Command<O extends ParseArgsOptionsConfig> {
  /** Prefixes every error line, such as `restore`. */
  name: string;
  usage: string;
  options?: O;
  /** How many positionals the script takes; none when unset. */
  positionals?: { min: number; max: number };
}

/** Prints `name: message` to stderr and exits; 2 means the command line was wrong. */
export function fail(name: string, message: string, code = 1): never {
  console.error(`${name}: ${message}`);
  process.exit(code);
}

/** A progress line on stderr. */
export const progress = (message: string): void => {
  console.error(message);
};

/** Parses `process.argv`; answers `--help` and refuses what the script does not take. */
export function parseCommand<O extends ParseArgsOptionsConfig = Record<never, never>>(command: Command<O>) {
  const help = { type: 'boolean', short: 'h' } as const;
  const config = { options: { ...(command.options as O), help }, allowPositionals: true as const };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    // Node's own message, without its advice on positionals that start with '-'.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\. To specify .*$/s, '');
    fail(command.name, `${message} (see --help)`, 2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(command.usage);
    process.exit(0);
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  const count = parsed.positionals.length;
  // Never echo a positional: it may be a secret.
  if (count > max)
    fail(
      command.name,
      `takes ${max ? `at most ${max} argument${max > 1 ? 's' : ''}` : 'no arguments'} (see --help)`,
      2,
    );
  if (count < min) fail(command.name, `needs ${min} argument${min > 1 ? 's' : ''} (see --help)`, 2);
  return parsed;
}

/** An integer option or variable within bounds, or a one-line failure naming it. */
export function integerArg(name: string, label: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    fail(name, `${label} must be an integer from ${min} to ${max}`, 2);
  return value;
}
