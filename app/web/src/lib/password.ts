// The password rules of the user service (app/user/internal/biz/password.go),
// checked as the person types so they are shown before a submit, not after a
// refusal. The server stays the judge: its list of common passwords is longer.

export type PasswordRule = 'min_length' | 'max_length' | 'classes' | 'common' | 'contains_username';

export interface RuleState {
  rule: PasswordRule;
  ok: boolean;
}

// A few of the server's common passwords, the ones people try first.
const COMMON = new Set(['password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwerty123', 'qwertyuiop', '11111111', '88888888', 'abc12345', 'abcd1234', 'iloveyou', '1q2w3e4r', 'a1234567', 'woaini1314', 'passw0rd', 'admin123', 'letmein1', 'welcome1']);

function classes(pw: string): number {
  let lower = false;
  let upper = false;
  let digit = false;
  let other = false;
  for (const ch of pw) {
    if (/\p{Ll}/u.test(ch)) lower = true;
    else if (/\p{Lu}/u.test(ch)) upper = true;
    else if (/\p{Nd}/u.test(ch)) digit = true;
    else other = true;
  }
  return [lower, upper, digit, other].filter(Boolean).length;
}

/** Each rule and whether pw keeps it (username: the account's, when known). */
export function passwordRules(pw: string, username = ''): RuleState[] {
  const bytes = new TextEncoder().encode(pw).length;
  const u = username.trim().toLowerCase();
  return [
    { rule: 'min_length', ok: bytes >= 8 },
    { rule: 'max_length', ok: bytes <= 72 },
    { rule: 'classes', ok: classes(pw) >= 2 },
    { rule: 'common', ok: pw !== '' && !COMMON.has(pw.toLowerCase()) },
    { rule: 'contains_username', ok: u.length < 3 || !pw.toLowerCase().includes(u) },
  ];
}

/** Whether every rule is kept, so the form may be submitted. */
export function passwordAcceptable(pw: string, username = ''): boolean {
  return passwordRules(pw, username).every((r) => r.ok);
}
