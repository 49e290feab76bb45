// A menu that opens where the pointer is (right-click) or under a button.

import { Menu } from '@mantine/core';
import type { ReactNode } from 'react';

export function ContextMenu({ pos, onClose, children }: { pos: { x: number; y: number } | null; onClose: () => void; children: ReactNode }) {
  return (
    <Menu opened={pos !== null} onChange={(o) => !o && onClose()} position="bottom-start" offset={2} withinPortal shadow="md" width={220}>
      <Menu.Target>
        <div style={{ position: 'fixed', left: pos?.x ?? 0, top: pos?.y ?? 0, width: 1, height: 1, pointerEvents: 'none' }} />
      </Menu.Target>
      <Menu.Dropdown data-testid="context-menu" onClick={onClose}>
        {children}
      </Menu.Dropdown>
    </Menu>
  );
}
