import { test } from 'uvu';
import { renameShape } from '../../../grammar/checks/rename-shape.ts';
import { checkTable } from './check-table.ts';

checkTable(renameShape, [
  ['segment to segment and key to key are fine', 'cam_* -> camera_*\na.** -> b.a.**', []],
  [
    'a segment renamed to several segments',
    'camera -> a.b',
    ['1:11 remap/segment-rename-shape: "camera" renames one key segment, so it must be renamed to one segment, not "a.b"'],
  ],
  [
    'a segment renamed to **',
    'camera -> **',
    ['1:11 remap/segment-rename-shape: "camera" renames one key segment, so it must be renamed to one segment, not "**"'],
  ],
]);

test.run();
