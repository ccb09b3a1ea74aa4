// A rough passphrase strength hint for the create-profile screen: length, character classes, a
// few repeated characters and a short list of very common passwords. Advice only; it blocks nothing.

const COMMON = new Set([
  'password',
  'passw0rd',
  'password1',
  'password123',
  '123456',
  '12345678',
  '123456789',
  '1234567890',
  'qwerty',
  'qwertyuiop',
  'qwerty123',
  'abc123',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'monkey',
  'dragon',
  'football',
  'baseball',
  'sunshine',
  'princess',
  'master',
  'shadow',
  'superman',
  'trustno1',
  '111111',
  '000000',
  '123123',
  '654321',
  'changeme',
  'secret',
  'ricochet',
  'sotto',
  'correct horse battery staple',
  'hunter2',
  'whistleblower',
]);

export interface PassphraseStrength {
  /** 0 (very weak) .. 4 (strong): a hint for the UI, not a guarantee. */
  readonly score: 0 | 1 | 2 | 3 | 4;
  readonly label: 'very weak' | 'weak' | 'fair' | 'good' | 'strong';
  readonly warnings: readonly string[];
}

const LABELS = ['very weak', 'weak', 'fair', 'good', 'strong'] as const;

/** A rough hint from length, character classes and a short list of very common passwords. */
export function passphraseStrength(passphrase: string): PassphraseStrength {
  const warnings: string[] = [];
  const normalized = passphrase.normalize('NFC').toLowerCase().trim();
  const length = [...passphrase].length;
  if (COMMON.has(normalized)) {
    return { score: 0, label: 'very weak', warnings: ['this is one of the most common passwords'] };
  }
  const classes =
    Number(/[a-z]/.test(passphrase)) +
    Number(/[A-Z]/.test(passphrase)) +
    Number(/[0-9]/.test(passphrase)) +
    Number(/[^A-Za-z0-9]/.test(passphrase));
  const distinct = new Set(passphrase).size;
  let score = length >= 20 ? 4 : length >= 14 ? 3 : length >= 10 ? 2 : length >= 8 ? 1 : 0;
  if (length < 8) warnings.push('shorter than 8 characters');
  if (classes <= 1 && length < 20) {
    score -= 1;
    warnings.push('only one kind of character; use more words or mix in digits and symbols');
  }
  if (classes >= 3 && length >= 10) score += 1;
  if (distinct <= 3) {
    score = 0;
    warnings.push('repeats the same few characters');
  }
  if (length >= 14 && score < 4 && !warnings.length)
    warnings.push('a few more words make it stronger');
  const clamped = Math.max(0, Math.min(4, score)) as PassphraseStrength['score'];
  return { score: clamped, label: LABELS[clamped], warnings };
}
