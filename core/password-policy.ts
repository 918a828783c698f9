/**
 * What a new password must be: 8 to 128 characters, no composition rules, not one of the
 * common passwords of zxcvbn-ts's list (ASVS 5.0 6.2).
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

let common: Set<string> | null = null;

async function commonPasswords(): Promise<Set<string>> {
  if (!common) {
    // Loaded on first use: the list is decompressed when its module is evaluated.
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    common = new Set(dictionary['passwords-common']);
  }
  return common;
}

/** The reason a password is refused, or null when it is acceptable. */
export async function passwordProblem(password: string): Promise<string | null> {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if ((await commonPasswords()).has(password.toLowerCase())) return 'is too common; choose another';
  return null;
}
