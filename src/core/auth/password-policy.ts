/**
 * The local-account password policy (NIST SP 800-63B §5.1.1.2: length over composition rules). Checked when an
 * administrator sets a password; the password itself never leaves this function in an answer.
 * - at least 12 characters (counted as user-perceived characters), at most 256 (bounds the cost of hashing);
 * - not the username, and not containing it (case-insensitive);
 * - not a single repeated character, and not one of a few notorious passwords.
 */
export const PASSWORD_POLICY = { minLength: 12, maxLength: 256 } as const;

const NOTORIOUS = new Set(['password1234', '123456789012', 'qwertyuiopas', 'passwordpassword', 'letmeinletmein', 'welcome12345', 'changeme1234']);

export type PasswordProblem = 'too-short' | 'too-long' | 'contains-username' | 'repetitive' | 'common';

export type PasswordVerdict = { readonly ok: true } | { readonly ok: false; readonly problems: readonly PasswordProblem[] };

/**
 * @param password - the proposed password
 * @param username - the account's username
 * @returns ok, or every rule it breaks (names of rules, never the password)
 */
export function checkPasswordPolicy(password: string, username: string): PasswordVerdict {
  const problems: PasswordProblem[] = [];
  const characters = Array.from(new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(password), (s) => s.segment);
  const length = characters.length;
  if (length < PASSWORD_POLICY.minLength) problems.push('too-short');
  if (length > PASSWORD_POLICY.maxLength) problems.push('too-long');
  const lower = password.toLowerCase();
  if (username.length > 0 && lower.includes(username.toLowerCase())) problems.push('contains-username');
  if (length > 0 && new Set(characters).size === 1) problems.push('repetitive');
  if (NOTORIOUS.has(lower)) problems.push('common');
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}
