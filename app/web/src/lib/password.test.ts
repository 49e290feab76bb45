import { describe, expect, it } from 'vitest';
import { passwordAcceptable, passwordRules } from './password';

const broken = (pw: string, user = '') => passwordRules(pw, user).filter((r) => !r.ok).map((r) => r.rule);

describe('password rules (the same as the user service)', () => {
  it('names each broken rule', () => {
    expect(broken('short1')).toEqual(['min_length']);
    expect(broken('a1'.repeat(40))).toEqual(['max_length']);
    expect(broken('abcdefghij')).toEqual(['classes']);
    expect(broken('Password123')).toEqual(['common']);
    expect(broken('Alice-2024x', 'alice')).toEqual(['contains_username']);
  });
  it('counts bytes as the server does (Chinese characters are 3 bytes)', () => {
    expect(broken('密码abc')).toEqual([]);
    expect(broken('密码')).toEqual(['min_length', 'classes']);
  });
  it('accepts a password that keeps every rule', () => {
    expect(passwordAcceptable('correct-horse-7', 'alice')).toBe(true);
    expect(passwordAcceptable('', 'alice')).toBe(false);
  });
});
