import { describe, expect, it } from 'vitest';
import { userAgentLabel } from './useragent';

describe('userAgentLabel', () => {
  it('names the browser and the OS', () => {
    expect(userAgentLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome 131 · Windows 10');
    expect(userAgentLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toBe('Safari 17 · iOS 17');
    expect(userAgentLabel('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133 · Linux');
  });
  it('keeps what it cannot read (the CLI, curl)', () => {
    expect(userAgentLabel('clouddrive-cli/1.0')).toBe('clouddrive-cli/1.0');
    expect(userAgentLabel('')).toBe('');
  });
});
