import { IconFile, IconFileText, IconFileTypePdf, IconFileZip, IconFolderFilled, IconMovie, IconMusic, IconPhoto } from '@tabler/icons-react';
import type { Node } from '../api/types';
import { fileKind } from '../lib/filetype';

export function FileIcon({ node, size = 20 }: { node: Pick<Node, 'kind' | 'mime' | 'name'>; size?: number }) {
  switch (fileKind(node)) {
    case 'folder':
      return <IconFolderFilled size={size} color="var(--mantine-color-yellow-5)" />;
    case 'image':
      return <IconPhoto size={size} color="var(--mantine-color-teal-6)" />;
    case 'video':
      return <IconMovie size={size} color="var(--mantine-color-grape-6)" />;
    case 'audio':
      return <IconMusic size={size} color="var(--mantine-color-pink-6)" />;
    case 'pdf':
      return <IconFileTypePdf size={size} color="var(--mantine-color-red-6)" />;
    case 'text':
      return <IconFileText size={size} color="var(--mantine-color-blue-6)" />;
    case 'archive':
      return <IconFileZip size={size} color="var(--mantine-color-orange-6)" />;
    default:
      return <IconFile size={size} color="var(--mantine-color-gray-6)" />;
  }
}
