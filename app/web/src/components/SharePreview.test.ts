import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { SafeMarkdown, safeLink, sharePreviewable } from './SharePreview';

describe('SafeMarkdown', () => {
  it('renders Markdown and never the HTML inside it', () => {
    const html = renderToStaticMarkup(
      createElement(SafeMarkdown, {
        text: [
          '# Title',
          '',
          'Some **bold** and `code`.',
          '',
          '<script>alert(1)</script>',
          '<img src=x onerror="alert(2)">',
          '',
          '[click](javascript:alert(3)) [site](https://example.com) ![p](data:image/svg+xml,<svg/onload=alert(4)>)',
        ].join('\n'),
      }),
    );
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('href="https://example.com"');
    expect(html).not.toMatch(/<script|onerror|javascript:|data:image|alert\(4\)/i);
  });

  it('keeps only links a reader can follow safely', () => {
    expect(safeLink('https://a.example/x')).toBe('https://a.example/x');
    expect(safeLink('mailto:a@b.c')).toBe('mailto:a@b.c');
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd']) {
      expect(safeLink(bad)).toBeNull();
    }
  });
});

describe('sharePreviewable', () => {
  it('previews pictures, media, text and bounded PDFs', () => {
    const f = (name: string, size = '10') => ({ id: '1', name, size, kind: 'file' as const });
    expect(sharePreviewable(f('a.png'))).toBe(true);
    expect(sharePreviewable(f('notes.md'))).toBe(true);
    expect(sharePreviewable(f('clip.mp4'))).toBe(true);
    expect(sharePreviewable(f('doc.pdf'))).toBe(true);
    expect(sharePreviewable(f('doc.pdf', String(500 << 20)))).toBe(false);
    expect(sharePreviewable(f('a.zip'))).toBe(false);
  });
});
