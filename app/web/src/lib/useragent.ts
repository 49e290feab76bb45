// A session's user agent as a person reads it ("Chrome 131 · Windows 10"),
// parsed by bowser rather than by hand.

import Bowser from 'bowser';

export interface Device {
  browser: string;
  os: string;
}

function major(v: string | undefined): string {
  return v ? v.split('.')[0] : '';
}

/** Browser and OS names of a user-agent string; empty strings when unknown. */
export function describeUserAgent(ua: string): Device {
  if (!ua.trim()) return { browser: '', os: '' };
  const p = Bowser.parse(ua);
  const browser = [p.browser.name, major(p.browser.version)].filter(Boolean).join(' ');
  const os = [p.os.name, p.os.versionName || major(p.os.version)].filter(Boolean).join(' ');
  return { browser, os };
}

/** One line for a sessions list: "Chrome 131 · Windows 10", or the raw string when nothing is known. */
export function userAgentLabel(ua: string): string {
  const d = describeUserAgent(ua);
  const parts = [d.browser, d.os].filter(Boolean);
  return parts.length ? parts.join(' · ') : ua;
}
