/**
 * What a new password must be (ASVS 5.0 6.2, NIST SP 800-63B 3.1.1.2), judged on its NFKC
 * form, the form that is hashed: 8 to 128 characters, no composition rules, not only spaces
 * or control characters, not one of the common passwords of zxcvbn-ts's list, and not the
 * account's email, name or a word of either.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** Shorter parts of an email or name are too common inside passwords to refuse. */
export const CONTEXT_WORD_MIN = 4;

/** What the password must not contain: the account it is for. */
export interface PasswordContext {
  email: string;
  name?: string | null;
}

let common: Set<string> | null = null;

async function commonPasswords(): Promise<Set<string>> {
  if (!common) {
    // Loaded on first use: the list is decompressed when its module is evaluated.
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    common = new Set(dictionary['passwords-common']);
  }
  return common;
}

const fold = (text: string): string => text.normalize('NFKC').toLowerCase();

const BLANK = /^[\p{White_Space}\p{Cc}\p{Cf}]*$/u;

/** The whole value and each of its words long enough to matter. */
function contextWords(value: string): string[] {
  const words = value.split(/[^\p{L}\p{N}]+/u);
  return [value, ...words].filter((word) => [...word].length >= CONTEXT_WORD_MIN);
}

function containsContext(password: string, context: PasswordContext): 'email' | 'name' | null {
  const email = fold(context.email);
  const local = email.slice(0, email.lastIndexOf('@'));
  if ([email, ...contextWords(local)].some((part) => password.includes(part))) return 'email';
  if (contextWords(fold(context.name ?? '')).some((part) => password.includes(part))) return 'name';
  return null;
}

/** The reason a password is refused, or null when it is acceptable. */
export async function passwordProblem(password: string, context: PasswordContext): Promise<string | null> {
  const normal = password.normalize('NFKC');
  const length = [...normal].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (BLANK.test(normal)) return 'must not be only spaces or control characters';
  const folded = normal.toLowerCase();
  if ((await commonPasswords()).has(folded)) return 'is too common; choose another';
  const found = containsContext(folded, context);
  if (found === 'email') return 'must not contain your email address or a part of it';
  if (found === 'name') return 'must not contain your name';
  return null;
}
